"""Brings a database to the current schema with Alembic and owns the server epoch."""

from __future__ import annotations

import secrets
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from server import models as m
from server.db import Database

_MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x4B454655  # "KEFU": several processes starting at once migrate one at a time


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """Runs pending migrations (idempotent), then makes sure the database has an epoch."""
    with db.engine.connect() as conn:
        if db.kind == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
        try:
            cfg = alembic_config(db.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            if db.kind == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()
    with db.write() as session:
        if session.get(m.ServerMeta, "epoch") is None:
            session.add(m.ServerMeta(key="epoch", value=secrets.token_hex(8)))


def read_epoch(session: Session) -> str:
    value = session.scalar(select(m.ServerMeta.value).where(m.ServerMeta.key == "epoch"))
    if value is None:
        raise RuntimeError("database has no epoch: run `kefudesk-server migrate` first")
    return value


def new_epoch(db: Database) -> str:
    """After restoring a backup: every client must rebuild (they push their outbox first)."""
    epoch = secrets.token_hex(8)
    with db.write() as session:
        session.merge(m.ServerMeta(key="epoch", value=epoch))
    return epoch

"""The one place that opens the local database: pragmas, forward migrations, one instance."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from app.models.tables import Base

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2


class ProfileInUse(Exception):
    """Another KefuDesk window already has this server+account profile open."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


def profile_dir(data_root: Path, server_url: str, account: str) -> Path:
    """One folder per server + account: `<root>/profiles/<host>_<port>__<account>`."""
    parts = urlsplit(server_url)
    host = f"{parts.hostname or 'local'}_{parts.port or (443 if parts.scheme == 'https' else 80)}"
    slug = re.sub(r"[^A-Za-z0-9@._-]", "_", f"{host}__{account}")
    return data_root / "profiles" / slug


class Checkpointer:
    """Copies the WAL back into the database from its own connection (PASSIVE: it never
    blocks the writer or readers), so no commit on the DB thread pays for a checkpoint."""

    def __init__(self, path: Path, *, every_s: float = 2.0, wal_bytes: int = 8 << 20) -> None:
        self.path = path
        self.every_s = every_s
        self.wal_bytes = wal_bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kefu-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        wal = Path(f"{self.path}-wal")
        idle_rounds = 0
        while not self._stop.wait(self.every_s):
            idle_rounds += 1
            try:
                size = wal.stat().st_size if wal.exists() else 0
            except OSError:
                continue
            if size >= self.wal_bytes or (size and idle_rounds >= 15):
                self.checkpoint()
                idle_rounds = 0

    def checkpoint(self) -> None:
        try:
            with sqlite3.connect(self.path, timeout=1) as conn:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            log.info("checkpoint skipped: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.checkpoint()


@dataclass
class Store:
    engine: Engine
    path: Path
    _sessions: sessionmaker[Session]
    _lock: IO[bytes] | None
    _checkpointer: Checkpointer | None = None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction (BEGIN IMMEDIATE); only the DB worker thread calls this."""
        with self._sessions() as session:
            session.connection(execution_options={"kefu_immediate": True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction; loaded rows stay usable after it ends (closed, not expired)."""
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def open_store(path: Path, *, exclusive: bool = True) -> Store:
    """Opens (creating or migrating) the cache at `path`; refuses a second app instance."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = _take_lock(path.with_suffix(".lock")) if exclusive else None
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False,
                                                              "timeout": 30})
    _configure(engine)
    migrate(engine)
    return Store(engine, path, sessionmaker(engine, expire_on_commit=False), lock,
                 Checkpointer(path) if exclusive else None)


def _configure(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-32768")  # 32 MiB: large caches stay fast to apply
        cur.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer does it, off the writer
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("kefu_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _v1(conn: Connection) -> None:
    Base.metadata.create_all(conn)


def _v2(conn: Connection) -> None:
    """The conversation list's order as a covering partial index (an index-only scan)."""
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_conversation_list ON conversation "
        "(pinned DESC, coalesce(last_message_at, created_at) DESC, id) WHERE state != 'closed'"
    )


# Forward-only migrations, indexed by the version they produce. A migration may add tables,
# columns and indexes, and may rebuild synced tables; it never drops or rewrites the outbox.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1, 2: _v2}


def migrate(engine: Engine) -> int:
    """Brings the schema to SCHEMA_VERSION in one transaction; a newer file is refused."""
    with engine.connect() as plain:
        conn = plain.execution_options(kefu_immediate=True)
        with conn.begin():
            current = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"cache schema {current} is newer than this app ({SCHEMA_VERSION})"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](conn)
                conn.exec_driver_sql(f"PRAGMA user_version = {version}")
    return SCHEMA_VERSION


def integrity_ok(store: Store) -> bool:
    with store.engine.connect() as conn:
        return conn.execute(text("PRAGMA quick_check")).scalar_one() == "ok"


def _take_lock(lock_path: Path) -> IO[bytes]:
    handle = open(lock_path, "a+b")  # noqa: SIM115 - held for the life of the store
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        handle.close()
        raise ProfileInUse(lock_path) from exc
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()).encode())
    handle.flush()
    return handle

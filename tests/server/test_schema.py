"""The migrations build exactly the tables the models declare (a missing index or column in
either one is a schema drift that only shows on a customer's upgraded database)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server import models as m
from server.db import open_database
from server.migrate import upgrade


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'server.db'}")
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
        assert drift == []
    finally:
        db.engine.dispose()

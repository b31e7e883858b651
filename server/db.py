"""Opens the server database: one engine per process; SQLite writes serialise (BEGIN IMMEDIATE)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


@dataclass(frozen=True)
class Database:
    """The engine plus session factories; `kind` is 'sqlite' or 'postgresql'."""

    engine: Engine
    kind: str
    url: str
    _sessions: sessionmaker[Session]
    pool_size: int = 5

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: BEGIN IMMEDIATE on SQLite, committed on success."""
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
        """A read-only transaction (rolled back at the end). On PostgreSQL the connection runs
        in autocommit: under READ COMMITTED every statement takes its own snapshot anyway, so a
        BEGIN and a ROLLBACK would only add two round trips to every long-poll's read."""
        with self._sessions() as session:
            if self.kind == "postgresql":
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            try:
                yield session
            finally:
                session.rollback()


def open_database(url: str, *, pool_size: int = 20) -> Database:
    """Creates the engine for `url` with the pragmas and pool settings this server relies on."""
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    kwargs: dict[str, Any] = {}
    if kind == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        # Connections past pool_size are closed when handed back, and PostgreSQL forks a backend
        # for each new one: the pool is sized for a wake-up of a whole floor's long-polls
        # (server/routes/sync.py caps their reads below it), the overflow only absorbs spikes.
        kwargs.update(pool_size=pool_size, max_overflow=pool_size // 2, pool_pre_ping=True)
    engine = create_engine(url, **kwargs)
    if kind == "sqlite":
        _configure_sqlite(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    return Database(engine=engine, kind=kind, url=url, _sessions=sessions, pool_size=pool_size)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout; the driver's own BEGIN is replaced by ours."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("kefu_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

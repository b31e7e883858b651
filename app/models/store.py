"""The one place that opens the local database: pragmas, forward migrations, one instance."""

from __future__ import annotations

import logging
import os
import re
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
from sqlalchemy.pool import QueuePool

from app.models import cipher
from app.models.board_index import add_board_index
from app.models.cipher import CacheKey
from app.models.listing_index import add_listing_index
from app.models.record_index import add_record_indexes
from app.models.recovery import CacheRecovery, damage, set_aside
from app.models.tables import Base

log = logging.getLogger(__name__)

SCHEMA_VERSION = 7


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

    def __init__(self, path: Path, secret: bytes | None, *, every_s: float = 2.0,
                 wal_bytes: int = 8 << 20) -> None:
        self.path = path
        self._secret = secret
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
            conn = cipher.connect(self.path, self._secret, timeout=1)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except cipher.dbapi.Error as exc:
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
    recovery: CacheRecovery | None = None
    """Set when the file found at start was damaged and set aside (rebuilt from the server)."""
    encrypted: bool = False
    """The file is encrypted (H11.3); False only for tools and tests that open plain files."""
    volatile: bool = False
    """No keyring holds the key: the file is deleted at close and cannot outlive this run."""

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
        if self.volatile:
            cipher.remove_files(self.path)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def open_store(path: Path, *, exclusive: bool = True, key: CacheKey | None = None) -> Store:
    """Opens (creating or migrating) the cache at `path`; refuses a second app instance. With a
    `key` the file is encrypted (a plaintext one from an earlier release is converted first);
    a key no keyring keeps makes a volatile cache: any file left by a crashed run is deleted
    (it is unreadable without that run's key) and this one goes at close."""
    path.parent.mkdir(parents=True, exist_ok=True)
    known_profile = path.with_suffix(".lock").exists()
    lock = _take_lock(path.with_suffix(".lock")) if exclusive else None
    volatile = key is not None and not key.kept
    if volatile:
        cipher.remove_files(path)
    recovery = _recover(path, known_profile, key) if exclusive and not volatile else None
    secret = key.secret if key is not None else None
    engine = create_engine("sqlite://", module=cipher.dbapi, poolclass=QueuePool,
                           creator=lambda: cipher.connect(path, secret))
    _configure(engine)
    migrate(engine)
    return Store(engine, path, sessionmaker(engine, expire_on_commit=False), lock,
                 Checkpointer(path, secret) if exclusive else None, recovery,
                 encrypted=key is not None, volatile=volatile)


def _recover(path: Path, known_profile: bool, key: CacheKey | None) -> CacheRecovery | None:
    """A cache that cannot be used is set aside; a usable plaintext one is encrypted now."""
    if key is not None:
        cipher.finish_interrupted(path)
    reason = damage(path, known_profile=known_profile, key=key)
    if reason is not None:
        return set_aside(path, reason, key)
    if key is not None and cipher.is_plaintext(path):
        cipher.encrypt_in_place(path, key.secret)
    return None


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


# ---- v3: chat-record search (H14.3, H9.3) ---------------------------------------------------
# `message_search` gives each message a time-ordered integer key: its created_at in ms times
# 10^6, plus a slot for messages of the same millisecond. That key is the rowid of the FTS5
# trigram index, so "newest first" is the index's own order (a scan stops after LIMIT hits)
# and a time range is a rowid range. The indexed text is padded with two U+0001, so every
# 1- and 2-character substring starts some trigram: short queries enumerate the trigrams in
# the fts5vocab table (SQLite 3.40's trigram MATCH returns nothing below 3 characters).
# Triggers keep all of it in step with `message`, whoever writes it (feed apply, history).
# New keys wait in `message_fts_pending` and enter the index SEARCH_BATCH at a time, in one
# statement: FTS5 flushes its buffer at every statement's savepoint, so indexing row by row
# inside apply's executemany wrote one index segment per message (3x the apply cost,
# measured). Search reads the few pending rows directly.

SEARCH_PAD = "\x01\x01"  # also written as char(1, 1) in SQL
SEARCH_SLOTS = 1_000_000  # keys per millisecond
SEARCH_BATCH = 256  # pending keys that trigger one indexing statement
_MS = "CAST(round((julianday({t}) - 2440587.5) * 86400000) AS INTEGER)"
_NEW_KEY = (
    "(SELECT coalesce((SELECT max(key) + 1 FROM message_search WHERE key >= b "
    f"AND key < b + {SEARCH_SLOTS}), b) FROM (SELECT {_MS.format(t='new.created_at')} "
    f"* {SEARCH_SLOTS} AS b))"
)
_INDEX_NEW = (
    f"INSERT INTO message_search (key, message_rowid) VALUES ({_NEW_KEY}, new.rowid);\n"
    "INSERT INTO message_fts_pending (key) VALUES (last_insert_rowid());\n"
)
_UNINDEX_OLD = (
    "INSERT INTO message_fts (message_fts, rowid, text) SELECT 'delete', s.key, "
    "coalesce(old.text, '') || char(1, 1) FROM message_search s WHERE s.message_rowid = "
    "old.rowid AND NOT EXISTS (SELECT 1 FROM message_fts_pending p WHERE p.key = s.key);\n"
    "DELETE FROM message_fts_pending WHERE key IN "
    "(SELECT key FROM message_search WHERE message_rowid = old.rowid);\n"
    "DELETE FROM message_search WHERE message_rowid = old.rowid;\n"
)
_INDEX_PENDING = (
    "INSERT INTO message_fts (rowid, text) SELECT p.key, coalesce(m.text, '') || char(1, 1) "
    "FROM message_fts_pending p CROSS JOIN message_search s ON s.key = p.key "
    "CROSS JOIN message m ON m.rowid = s.message_rowid ORDER BY p.key;\n"
    "DELETE FROM message_fts_pending;\n"
)
_CUSTOMER_TAGS = (
    "INSERT OR IGNORE INTO customer_tag (tag_id, customer_id) SELECT CAST(value AS TEXT), "
    "new.id FROM json_each(CASE WHEN json_valid(new.data) THEN new.data ELSE '{}' END, "
    "'$.tags') WHERE value IS NOT NULL;\n"
)
_V3 = (
    "CREATE TABLE IF NOT EXISTS message_search "
    "(key INTEGER PRIMARY KEY, message_rowid INTEGER NOT NULL UNIQUE)",
    "CREATE TABLE IF NOT EXISTS message_fts_pending (key INTEGER PRIMARY KEY)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5"
    "(text, content='', columnsize=0, tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_fts_terms USING fts5vocab(message_fts, 'row')",
    "CREATE TRIGGER IF NOT EXISTS message_search_ai AFTER INSERT ON message BEGIN\n"
    f"{_INDEX_NEW}END",
    "CREATE TRIGGER IF NOT EXISTS message_search_ad AFTER DELETE ON message BEGIN\n"
    f"{_UNINDEX_OLD}END",
    "CREATE TRIGGER IF NOT EXISTS message_search_au AFTER UPDATE OF text, created_at ON message "
    "WHEN old.text IS NOT new.text OR old.created_at IS NOT new.created_at BEGIN\n"
    f"{_UNINDEX_OLD}{_INDEX_NEW}END",
    "CREATE TRIGGER IF NOT EXISTS message_fts_batch AFTER INSERT ON message_fts_pending "
    f"WHEN (SELECT count(*) FROM message_fts_pending) >= {SEARCH_BATCH} BEGIN\n"
    f"{_INDEX_PENDING}END",
    # Backfill: the keys the trigger would give, then the index, each in one statement.
    "INSERT INTO message_search (key, message_rowid) SELECT CASE WHEN b IS NULL THEN NULL ELSE "
    "b + row_number() OVER (PARTITION BY b ORDER BY rowid) - 1 END, rowid FROM "
    f"(SELECT rowid, {_MS.format(t='created_at')} * {SEARCH_SLOTS} AS b FROM message)",
    "INSERT INTO message_fts (rowid, text) SELECT s.key, coalesce(m.text, '') || char(1, 1) "
    "FROM message_search s CROSS JOIN message m ON m.rowid = s.message_rowid ORDER BY s.key",
    # The agent filter ("conversations the agent holds or wrote in") as two index lookups.
    "CREATE INDEX IF NOT EXISTS ix_conversation_agent ON conversation (agent_id)",
    "CREATE INDEX IF NOT EXISTS ix_message_agent ON message (agent_id, conversation_id) "
    "WHERE agent_id IS NOT NULL",
    # Customers: nickname search reads a small covering index; tags get a lookup table.
    "CREATE INDEX IF NOT EXISTS ix_customer_nickname ON customer (nickname)",
    "CREATE TABLE IF NOT EXISTS customer_tag (tag_id TEXT NOT NULL, customer_id TEXT NOT NULL, "
    "PRIMARY KEY (tag_id, customer_id)) WITHOUT ROWID",
    "CREATE TRIGGER IF NOT EXISTS customer_tag_ai AFTER INSERT ON customer BEGIN\n"
    f"{_CUSTOMER_TAGS}END",
    "CREATE TRIGGER IF NOT EXISTS customer_tag_au AFTER UPDATE OF id, data ON customer BEGIN\n"
    "DELETE FROM customer_tag WHERE customer_id = old.id;\n"
    f"{_CUSTOMER_TAGS}END",
    "CREATE TRIGGER IF NOT EXISTS customer_tag_ad AFTER DELETE ON customer BEGIN\n"
    "DELETE FROM customer_tag WHERE customer_id = old.id;\nEND",
    "INSERT OR IGNORE INTO customer_tag (tag_id, customer_id) SELECT CAST(j.value AS TEXT), c.id "
    "FROM customer c, json_each(CASE WHEN json_valid(c.data) THEN c.data ELSE '{}' END, "
    "'$.tags') j WHERE j.value IS NOT NULL",
)


def _v3(conn: Connection) -> None:
    """Chat-record search: the time-keyed trigram index, customer nickname index and tags."""
    for statement in _V3:
        conn.exec_driver_sql(statement)


_MESSAGE_TRIGGERS = ("message_search_ai", "message_search_ad", "message_search_au")


def delete_all_messages(session: Session) -> None:
    """Empties `message` and its search index in the caller's transaction, for a reset: the
    delete triggers are set aside meanwhile, so SQLite truncates instead of unindexing row by
    row (1M cached messages: 2 s, against 53 s for a plain DELETE with the triggers)."""
    session.execute(text("INSERT INTO message_fts (message_fts) VALUES ('delete-all')"))
    session.execute(text("DELETE FROM message_fts_pending"))
    session.execute(text("DELETE FROM message_search"))
    for name in _MESSAGE_TRIGGERS:
        session.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    session.execute(text("DELETE FROM message"))
    for statement in _V3:
        if statement.startswith("CREATE TRIGGER IF NOT EXISTS message_search_"):
            session.execute(text(statement))


def _v5(conn: Connection) -> None:
    """The agent's open conversations and their unread counts straight from an index (the
    tray's badge, H10.1: 35 ms -> 3 ms at 50k, bench.personal_bench)."""
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_conversation_agent_unread ON conversation "
                      "(agent_id, state, unread) WHERE state != 'closed'"))


# Forward-only migrations, indexed by the version they produce. A migration may add tables,
# columns and indexes, and may rebuild synced tables; it never drops or rewrites the outbox.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _v1, 2: _v2, 3: _v3, 4: add_listing_index, 5: _v5, 6: add_board_index,
    7: add_record_indexes}


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

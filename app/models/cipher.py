"""The cache file encrypted at rest (H11.3): SQLCipher connections keyed with a raw 256-bit key."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3.dbapi2 as dbapi

log = logging.getLogger(__name__)

Connection = dbapi.Connection
"""The DB-API connection every cache connection is (SQLCipher's bundled SQLite 3.53)."""
DatabaseError = dbapi.DatabaseError
KEY_BYTES = 32
HEADER = b"SQLite format 3\x00"
"""A plaintext SQLite file starts with this; an encrypted one starts with its random salt."""
_LEFTOVER = ".plaintext"
"""A plaintext cache renamed while it is replaced by its encrypted copy (then shredded)."""


@dataclass(frozen=True, repr=False)
class CacheKey:
    """The key of one profile's cache. `kept`: it lives in the OS keyring, so the cache
    outlives this run; otherwise it exists in this process only (no keyring). `new`: the
    keyring had none, so an existing encrypted file was written under a key now lost."""

    secret: bytes
    new: bool
    kept: bool

    def __repr__(self) -> str:  # the key never ends up in a log line by accident
        return f"CacheKey(new={self.new}, kept={self.kept})"


def new_secret() -> bytes:
    return os.urandom(KEY_BYTES)


def _key_sql(secret: bytes) -> str:
    return f"x'{secret.hex()}'"


def connect(path: Path, secret: bytes | None, *, timeout: float = 30.0,
            read_only: bool = False) -> Connection:
    """A connection to the cache at `path`, keyed first thing when `secret` is given (without
    one the file is plain SQLite: tools, benchmarks and tests that ask for that)."""
    target = f"file:{path}?mode=ro" if read_only else str(path)
    conn = dbapi.connect(target, uri=read_only, timeout=timeout, check_same_thread=False)
    if secret is not None:
        conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is our answer, not stderr
        conn.execute(f'PRAGMA key = "{_key_sql(secret)}"')
    return conn


def is_plaintext(path: Path) -> bool:
    """The file is an unencrypted SQLite database (a cache from a release before H11.3)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(HEADER)) == HEADER
    except OSError:
        return False


def opens(path: Path, secret: bytes | None) -> str:
    """ok | unreadable (not a database, or not under this key) | malformed (it opens, but the
    quick_check finds damage or stops at a page that does not decrypt)."""
    try:
        conn = connect(path, secret, read_only=True)
    except DatabaseError:
        return "unreadable"
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except DatabaseError:
            return "unreadable"
        try:
            row = conn.execute("PRAGMA quick_check").fetchone()
        except DatabaseError:
            return "malformed"
    finally:
        conn.close()
    return "ok" if row is not None and row[0] == "ok" else "malformed"


def encrypt_in_place(path: Path, secret: bytes) -> None:
    """Converts a plaintext cache into an encrypted one under `secret`: exported into a new
    file, which replaces it; the plaintext file and its WAL are then overwritten and removed."""
    finish_interrupted(path)
    staging = path.with_name(path.name + ".encrypting")
    _remove(staging)
    conn = connect(path, None)
    try:
        conn.isolation_level = None
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(staging), _key_sql(secret)))
        conn.execute("SELECT sqlcipher_export('encrypted')").fetchall()
        conn.execute(f"PRAGMA encrypted.user_version = {version}")  # export leaves it out
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    _fsync(staging)
    leftover = path.with_name(path.name + _LEFTOVER)
    os.replace(path, leftover)
    os.replace(staging, path)
    for name in (leftover.name, f"{path.name}-wal", f"{path.name}-shm"):
        shred(path.with_name(name))
    log.info("plaintext cache encrypted in place (H11.3)")


def finish_interrupted(path: Path) -> None:
    """A conversion cut off between its renames: the plaintext file goes back (converted again)
    while the cache is missing; once the encrypted cache is in place it is shredded."""
    leftover = path.with_name(path.name + _LEFTOVER)
    if not leftover.exists():
        return
    if path.exists():
        shred(leftover)
    else:
        os.replace(leftover, path)


def shred(path: Path) -> None:
    """Overwrites the file with zeros before removing it (best effort: SSDs and copy-on-write
    file systems may keep old blocks; the encrypted cache is what protects at rest)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    try:
        with path.open("r+b") as handle:
            chunk = b"\0" * (1 << 20)
            for _ in range(0, size, len(chunk)):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        log.warning("plaintext file not overwritten before removal: %s", type(exc).__name__)
    _remove(path)


def remove_files(path: Path) -> None:
    """The database and its WAL and shared-memory files, gone."""
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        _remove(path.with_name(name))


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.error("could not remove %s: %s", path.name, type(exc).__name__)


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())

"""A damaged cache file: detected before opening, set aside, its unsent intents salvaged."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_HEADER = b"SQLite format 3\x00"
UNSENT_FILE = "unsent.json"
"""Written beside the set-aside files: every salvaged intent, for IT if re-queuing fails."""


@dataclass(frozen=True)
class SalvagedIntent:
    name: str
    args: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class CacheRecovery:
    """What happened to a damaged cache; the new one is rebuilt from the server."""

    reason: str
    """truncated | not_sqlite | malformed"""
    folder: Path
    """Where the damaged files went (kept for IT, inside the profile folder)."""
    salvaged: tuple[SalvagedIntent, ...]
    """Unsent intents read back from the damaged file, oldest first."""
    salvage_failed: bool
    """The damaged file's outbox could not be read at all."""


def damage(path: Path, *, known_profile: bool) -> str | None:
    """Why the cache at `path` cannot be used, or None. A missing file is a new cache; an
    empty one is too unless this profile ran before (`known_profile`): then it was cut off."""
    if not path.exists():
        return None
    size = path.stat().st_size
    if size == 0:
        return "truncated" if known_profile else None
    with path.open("rb") as handle:
        if handle.read(len(_HEADER)) != _HEADER:
            return "not_sqlite"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return "malformed"
    return None if verdict is not None and verdict[0] == "ok" else "malformed"


def set_aside(path: Path, reason: str) -> CacheRecovery:
    """Moves the cache and its WAL/SHM into damaged-<time>/ and salvages what it can."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = path.parent / f"damaged-{stamp}"
    folder.mkdir()
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            shutil.move(str(source), str(folder / source.name))
    salvaged, failed = _salvage(folder / path.name)
    (folder / UNSENT_FILE).write_text(json.dumps(
        [{"name": s.name, "args": s.args, "created_at": s.created_at} for s in salvaged],
        ensure_ascii=False, indent=1), encoding="utf-8")
    log.error("cache damaged (%s): set aside in %s, %d unsent intents salvaged%s", reason,
              folder.name, len(salvaged), ", outbox unreadable" if failed else "")
    return CacheRecovery(reason, folder, tuple(salvaged), failed)


def _salvage(damaged: Path) -> tuple[list[SalvagedIntent], bool]:
    """The outbox rows not refused by the server, row by row so one bad page loses little."""
    if not damaged.exists() or damaged.stat().st_size == 0:
        return [], False
    try:
        conn = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True, timeout=30)
    except sqlite3.DatabaseError:
        return [], True
    found: list[SalvagedIntent] = []
    try:
        seqs = [row[0] for row in conn.execute(
            "SELECT seq FROM outbox WHERE state != 'rejected' ORDER BY seq")]
    except sqlite3.DatabaseError:
        conn.close()
        return [], True
    failed = False
    for seq in seqs:
        try:
            row = conn.execute("SELECT name, args, created_at FROM outbox WHERE seq = ?",
                               (seq,)).fetchone()
            found.append(SalvagedIntent(str(row[0]), json.loads(row[1]), str(row[2])))
        except (sqlite3.DatabaseError, ValueError, TypeError):
            failed = True
    conn.close()
    return found, failed

"""A damaged or undecryptable cache: detected before opening, set aside, unsent work salvaged."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.models.cipher import CacheKey, DatabaseError, connect, is_plaintext, opens

log = logging.getLogger(__name__)

UNSENT_FILE = "unsent.json"
"""Written beside the set-aside files: every salvaged intent, for IT if re-queuing fails."""


@dataclass(frozen=True)
class SalvagedIntent:
    name: str
    args: dict[str, Any]
    created_at: str
    mutation_id: int | None = None
    """Its number under the damaged cache's client id (None if unreadable)."""


@dataclass(frozen=True)
class CacheRecovery:
    """What happened to a damaged cache; the new one is rebuilt from the server."""

    reason: str
    """truncated | not_sqlite | malformed | key_lost (the keyring no longer holds the key the
    file was encrypted with: nothing in it, the unsent outbox included, can be read)"""
    folder: Path
    """Where the damaged files went (kept for IT, inside the profile folder)."""
    salvaged: tuple[SalvagedIntent, ...]
    """Unsent intents read back from the damaged file, oldest first."""
    salvage_failed: bool
    """The damaged file's outbox could not be read at all."""
    client_id: str | None = None
    """The damaged cache's client id: re-sent under it and their old numbers, intents the
    server applied before the damage are replayed, not run again (a kb.used twice)."""


def damage(path: Path, *, known_profile: bool, key: CacheKey | None = None) -> str | None:
    """Why the cache at `path` cannot be used, or None. A missing file is a new cache; an
    empty one is too unless this profile ran before (`known_profile`): then it was cut off.
    With a `key`, a plaintext file is a cache from before encryption (usable: it is converted)."""
    if not path.exists():
        return None
    size = path.stat().st_size
    if size == 0:
        return "truncated" if known_profile else None
    if is_plaintext(path):
        return None if opens(path, None) == "ok" else "malformed"
    if key is None:
        return "not_sqlite"
    if key.new:
        return "key_lost"
    verdict = opens(path, key.secret)
    return {"ok": None, "unreadable": "not_sqlite"}.get(verdict, verdict)


def set_aside(path: Path, reason: str, key: CacheKey | None = None) -> CacheRecovery:
    """Moves the cache and its WAL/SHM into damaged-<time>/ and salvages what it can. The
    salvaged intents are also written to unsent.json, but only for a cache kept in plaintext:
    an encrypted one's intents are re-queued into the new encrypted cache, never a plain file."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = path.parent / f"damaged-{stamp}"
    folder.mkdir()
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            shutil.move(str(source), str(folder / source.name))
    damaged = folder / path.name
    salvaged: list[SalvagedIntent] = []
    failed, client_id = False, None
    if reason != "key_lost":
        secret = key.secret if key is not None and not is_plaintext(damaged) else None
        salvaged, failed, client_id = _salvage(damaged, secret)
    if key is None:
        (folder / UNSENT_FILE).write_text(json.dumps(
            [{"name": s.name, "args": s.args, "created_at": s.created_at} for s in salvaged],
            ensure_ascii=False, indent=1), encoding="utf-8")
    log.error("cache unusable (%s): set aside in %s, %d unsent intents salvaged%s", reason,
              folder.name, len(salvaged), ", outbox unreadable" if failed else "")
    return CacheRecovery(reason, folder, tuple(salvaged), failed, client_id)


def _salvage(damaged: Path,
             secret: bytes | None) -> tuple[list[SalvagedIntent], bool, str | None]:
    """The outbox rows not refused by the server, row by row so one bad page loses little,
    and the client id they were numbered under."""
    if not damaged.exists() or damaged.stat().st_size == 0:
        return [], False, None
    try:
        conn = connect(damaged, secret, read_only=True)
    except DatabaseError:
        return [], True, None
    found: list[SalvagedIntent] = []
    try:
        seqs = [row[0] for row in conn.execute(
            "SELECT seq FROM outbox WHERE state != 'rejected' ORDER BY seq")]
    except DatabaseError:
        conn.close()
        return [], True, None
    failed = False
    for seq in seqs:
        try:
            row = conn.execute("SELECT name, args, created_at, mutation_id FROM outbox "
                               "WHERE seq = ?", (seq,)).fetchone()
            found.append(SalvagedIntent(str(row[0]), json.loads(row[1]), str(row[2]),
                                        int(row[3]) if row[3] is not None else None))
        except (DatabaseError, ValueError, TypeError):
            failed = True
    client_id: str | None = None
    try:
        row = conn.execute("SELECT value FROM sync_state WHERE key = 'client_id'").fetchone()
        client_id = str(row[0]) if row and row[0] else None
    except DatabaseError:
        pass  # the intents go out under a new client id, renumbered
    conn.close()
    return found, failed, client_id

"""The local store: one file per profile, pragmas, forward-only schema, one instance."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from app.i18n import Tr
from app.models.store import SCHEMA_VERSION, ProfileInUse, open_store, profile_dir
from app.sync import outbox


def test_profile_per_server_and_account(tmp_path: Path) -> None:
    a = profile_dir(tmp_path, "https://kefu.example.com", "10086@shop.example")
    b = profile_dir(tmp_path, "https://kefu.example.com:8443", "10086@shop.example")
    c = profile_dir(tmp_path, "https://kefu.example.com", "10087@shop.example")
    assert len({a, b, c}) == 3
    assert a.parent == tmp_path / "profiles"


def test_pragmas_and_schema_version(tmp_path: Path) -> None:
    store = open_store(tmp_path / "cache.db")
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000
            assert conn.execute(text("PRAGMA user_version")).scalar_one() == SCHEMA_VERSION
    finally:
        store.close()


def test_second_instance_is_refused_and_the_outbox_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    store = open_store(path)
    with store.write() as session:
        outbox.enqueue(session, "message.send", {"id": "x", "conversation_id": "y", "text": "z"})
    with pytest.raises(ProfileInUse):
        open_store(path)
    store.close()
    again = open_store(path)
    try:
        with again.read() as session:
            assert [p.name for p in outbox.next_batch(session)] == ["message.send"]
    finally:
        again.close()


_HOLDER = """
import sys
from pathlib import Path
from app.models.store import open_store
from app.sync import outbox
store = open_store(Path(sys.argv[1]))
with store.write() as session:
    outbox.enqueue(session, "message.send", {"id": "m1", "conversation_id": "c", "text": "hi"})
print("ready", flush=True)
sys.stdin.read()
"""


def test_another_process_on_the_profile_is_refused_until_it_dies_even_by_kill_9(
        tmp_path: Path) -> None:
    """A second KefuDesk started on the same account gets the clear refusal (the login window
    says 客服台已在本机以该账号打开); a holder killed -9 leaves no stale lock behind and its
    queued intent is still there."""
    path = tmp_path / "cache.db"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(ProfileInUse):
            open_store(path)
        assert Tr("zh")("login.fail.profile_in_use").startswith("客服台已在本机以该账号打开")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    again = open_store(path)
    try:
        assert again.recovery is None
        with again.read() as session:
            assert [p.args["text"] for p in outbox.next_batch(session)] == ["hi"]
    finally:
        again.close()


def test_a_newer_schema_is_refused_rather_than_damaged(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    open_store(path).close()
    import sqlite3

    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        open_store(path)


def test_renumbering_after_a_reset_keeps_every_intent_in_order(tmp_path: Path) -> None:
    store = open_store(tmp_path / "cache.db")
    try:
        with store.write() as session:
            old_client = outbox.client_id(session)
            for n in range(4):
                outbox.enqueue(session, "note.add", {"n": n})
            batch = outbox.next_batch(session)
            from kefu_protocol.wire import MutationResult

            outbox.record_results(session, batch[:2], [
                MutationResult(id=batch[0].mutation_id, status="applied"),
                MutationResult(id=batch[1].mutation_id, status="rejected", code="x", message="y"),
            ])
            new_client = outbox.start_new_client(session)
            renumbered = outbox.next_batch(session)
        assert new_client != old_client
        assert [(p.mutation_id, p.args["n"]) for p in renumbered] == [(1, 0), (2, 2), (3, 3)]
        with store.read() as session:
            assert outbox.rejected_count(session) == 1, "a refused intent stays visible"
    finally:
        store.close()

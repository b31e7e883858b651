"""A damaged local cache (issue 9): detected at start, set aside, rebuilt, unsent work kept."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import qasync
from sqlalchemy.orm import Session

from app.i18n import Tr
from app.models import cipher
from app.models.recovery import UNSENT_FILE
from app.models.store import open_store, profile_dir
from app.sync import outbox
from app.ui.cache_notice import recovery_text
from server import models as m
from tests.support.api import AgentClient, VisitorClient
from tests.support.client_side import Desk, MemoryKeyring, eventually
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


def _break_an_index(path: Path, secret: bytes | None = None) -> None:
    """Overwrites one index's root page: quick_check fails, the outbox's own pages survive."""
    conn = cipher.connect(path, secret)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = 'conversation' ORDER BY name LIMIT 1").fetchone()[0]
    conn.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * page_size)


def _queue(path: Path, texts: list[str]) -> None:
    store = open_store(path)
    with store.write() as session:
        for text in texts:
            outbox.enqueue(session, "message.send", {"text": text})
    store.close()


def test_a_broken_cache_is_set_aside_and_its_unsent_intents_come_back(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    _queue(path, ["第一条", "第二条"])
    _break_an_index(path)
    store = open_store(path)
    try:
        recovery = store.recovery
        assert recovery is not None and recovery.reason == "malformed"
        assert [s.args["text"] for s in recovery.salvaged] == ["第一条", "第二条"]
        assert not recovery.salvage_failed
        assert (recovery.folder / "cache.db").exists(), "the damaged file is kept for IT"
        exported = json.loads((recovery.folder / UNSENT_FILE).read_text(encoding="utf-8"))
        assert [e["args"]["text"] for e in exported] == ["第一条", "第二条"]
        with store.read() as session:  # a new, empty, working cache
            assert outbox.pending_count(session) == 0
        assert recovery_text(Tr("zh"), recovery).startswith(
            "本机的本地缓存文件已损坏（数据库结构损坏），已移到 ")
    finally:
        store.close()


def test_an_emptied_or_overwritten_cache_is_reported_not_silently_recreated(
        tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    _queue(path, ["丢了的"])
    path.write_bytes(b"")  # cut off to nothing (disk full, a bad sync tool)
    for name in ("cache.db-wal", "cache.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    store = open_store(path)
    assert store.recovery is not None and store.recovery.reason == "truncated"
    assert store.recovery.salvaged == ()
    assert "0 条操作" in recovery_text(Tr("zh"), store.recovery)
    store.close()
    path.write_bytes(b"PK\x03\x04 not a database at all" * 100)
    store = open_store(path)
    assert store.recovery is not None and store.recovery.reason == "not_sqlite"
    store.close()
    fresh = open_store(tmp_path / "new" / "cache.db")  # a first start is not damage
    assert fresh.recovery is None
    fresh.close()
    again = open_store(path)  # the rebuilt cache opens cleanly next time
    assert again.recovery is None
    again.close()


def test_after_the_rebuild_the_queued_reply_still_reaches_the_customer(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    company = world.company()
    agent = world.agent(company)
    ring = MemoryKeyring()  # the OS keyring, which outlives each run of the app
    desk = Desk(server.url, tmp_path, keyring_backend=ring)
    visitor = VisitorClient(server.url, "缓存损坏的顾客", company=company.domain)
    try:
        runtime = desk.sign_in(agent.account, PASSWORD)
        visitor.send("在吗")
        eventually(lambda: visitor.conversation_id in runtime.chat.conversation_ids())
        server.stop()
        try:
            desk.workers.run_db(runtime.chat.send, visitor.conversation_id, "断网时写的回复")
            eventually(lambda: runtime.engine.status.pending == 1)
            desk.close()
            path = profile_dir(tmp_path, server.url, agent.account) / "cache.db"
            _break_an_index(path, desk.vault.cache_key(server.url, agent.account).secret)
        finally:
            server.start()
        desk = Desk(server.url, tmp_path, keyring_backend=ring)
        runtime = desk.sign_in(agent.account, PASSWORD)
        assert runtime.recovery is not None and runtime.recovery.reason == "malformed"
        assert len(runtime.recovery.salvaged) == 1
        eventually(lambda: runtime.engine.status.pending == 0, timeout=45)
        eventually(lambda: visitor.conversation_id in runtime.chat.conversation_ids())
        visitor.after = 0
        agent_texts = [m["text"] for m in visitor.receive()["messages"]
                       if m["sender"] == "agent"]
        assert agent_texts.count("断网时写的回复") == 1
        texts = [m.text for m in runtime.chat.messages(visitor.conversation_id)]
        assert "断网时写的回复" in texts and "在吗" in texts, "rebuilt from the server"
    finally:
        desk.close()


def test_an_intent_the_server_applied_before_the_damage_is_not_applied_twice(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    """The server applied a kb.used whose answer the desk never recorded; then the cache broke.
    Re-sent under the old client id and number, the server replays it: the entry's use count
    goes up once, not twice (renumbered under a new id it ran again)."""
    lead = world.agent(world.company(), role="lead")
    editor = AgentClient(server.url, lead.account, PASSWORD)
    kb_id = str(uuid.uuid4())
    assert editor.do("kb.upsert", id=kb_id, category="售后", title="退货", body="七天无理由",
                     base_version=None)["status"] == "applied"
    ring = MemoryKeyring()
    desk = Desk(server.url, tmp_path, keyring_backend=ring)
    try:
        runtime = desk.sign_in(lead.account, PASSWORD)
        eventually(lambda: runtime.engine.status.state == "online")
        runtime.engine.stop()  # from here the desk hears no answer

        def queue(session: Session) -> tuple[str, int]:
            outbox.enqueue(session, "kb.used", {"id": kb_id})
            item = outbox.next_batch(session)[-1]
            return outbox.client_id(session), item.mutation_id

        with runtime.store.write() as session:
            client_id, mutation_id = queue(session)
        editor.client_id = client_id  # the push whose answer was lost: the server applied it
        assert editor.push({"id": mutation_id, "name": "kb.used",
                            "args": {"id": kb_id}})[0]["status"] == "applied"
        desk.close()
        path = profile_dir(tmp_path, server.url, lead.account) / "cache.db"
        _break_an_index(path, desk.vault.cache_key(server.url, lead.account).secret)
        desk = Desk(server.url, tmp_path, keyring_backend=ring)
        runtime = desk.sign_in(lead.account, PASSWORD)
        assert runtime.recovery is not None and len(runtime.recovery.salvaged) == 1
        eventually(lambda: runtime.engine.status.pending == 0, timeout=45)
        with world.db.read() as session:
            entry = session.get(m.KbEntry, kb_id)
            assert entry is not None and entry.use_count == 1, "kb.used ran twice"
    finally:
        desk.close()


def test_the_window_tells_the_agent_the_cache_was_rebuilt(
    aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World,
    tmp_path: Path
) -> None:
    agent = ui_world.agent(ui_world.company())
    path = profile_dir(tmp_path, ui_server.url, agent.account) / "cache.db"
    _queue(path, [])
    path.write_bytes(b"")  # this profile ran before; its cache is now cut off

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        notice = await until(lambda: window.cache_notice)
        assert notice.isVisible() and not notice.isModal(), "the desk works meanwhile"
        assert notice.windowTitle() == "本地缓存已重建"
        assert "文件被截断" in notice.text() and "damaged-" in notice.text()
        notice.accept()

    run(aloop, scenario())

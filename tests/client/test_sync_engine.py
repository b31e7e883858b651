"""The client's sync engine against a real server: receive, send, offline queue, exactly once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import VisitorClient
from tests.support.bad_proxy import BadProxy
from tests.support.client_side import Desk, eventually
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


@pytest.fixture()
def desk(server: ServerProcess, tmp_path: Path) -> Iterator[Desk]:
    d = Desk(server.url, tmp_path)
    yield d
    d.close()


def _customer_texts(visitor: VisitorClient) -> list[str]:
    visitor.after = 0
    return [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "agent"]


def test_customer_message_arrives_and_reply_reaches_the_customer(
    server: ServerProcess, world: World, desk: Desk
) -> None:
    company = world.company()
    agent = world.agent(company)
    runtime = desk.sign_in(agent.account, PASSWORD)
    eventually(lambda: runtime.engine.status.state == "online")
    visitor = VisitorClient(server.url, "小鱼儿", company=company.domain)
    visitor.send("请问发货了吗？")
    eventually(lambda: visitor.conversation_id in runtime.chat.conversation_ids())
    texts = eventually(lambda: [m.text for m in runtime.chat.messages(visitor.conversation_id)
                                if m.sender == "customer"])
    assert texts == ["请问发货了吗？"]
    row = runtime.chat.conversation_rows([visitor.conversation_id])[visitor.conversation_id]
    assert row.nickname == "小鱼儿" and row.unread == 1
    desk.workers.run_db(runtime.chat.send, visitor.conversation_id, "今天下午发出")
    sending = [m for m in runtime.chat.messages(visitor.conversation_id) if m.sender == "agent"]
    assert [m.delivery for m in sending] in (["sending"], ["sent"])
    eventually(lambda: _customer_texts(visitor) == ["今天下午发出"])
    eventually(lambda: [m.delivery for m in runtime.chat.messages(visitor.conversation_id)
                        if m.sender == "agent"] == ["sent"])
    assert runtime.engine.status.pending == 0


def test_offline_sends_queue_visibly_and_arrive_once_in_order(
    server: ServerProcess, world: World, desk: Desk
) -> None:
    company = world.company()
    agent = world.agent(company)
    runtime = desk.sign_in(agent.account, PASSWORD)
    visitor = VisitorClient(server.url, "断网顾客", company=company.domain)
    visitor.send("在吗")
    eventually(lambda: visitor.conversation_id in runtime.chat.conversation_ids())
    server.stop()
    try:
        for text in ("第一条", "第二条", "第三条"):
            desk.workers.run_db(runtime.chat.send, visitor.conversation_id, text)
        eventually(lambda: runtime.engine.status.state == "offline")
        assert runtime.engine.status.pending == 3
        assert runtime.engine.status.offline_since is not None
        readable = runtime.chat.messages(visitor.conversation_id)
        assert [m.text for m in readable] [-3:] == ["第一条", "第二条", "第三条"]
        assert {m.delivery for m in readable[-3:]} == {"sending"}
    finally:
        server.start()
    eventually(lambda: runtime.engine.status.pending == 0, timeout=45)
    assert _customer_texts(visitor) == ["第一条", "第二条", "第三条"]


def test_a_misbehaving_server_is_reported_and_nothing_is_lost(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    company = world.company()
    agent = world.agent(company)
    proxy = BadProxy(server.url)
    desk = Desk(proxy.url, tmp_path)
    try:
        runtime = desk.sign_in(agent.account, PASSWORD, read_timeout=2.0)
        visitor = VisitorClient(server.url, "代理后面的顾客", company=company.domain)
        visitor.send("你好")
        eventually(lambda: visitor.conversation_id in runtime.chat.conversation_ids())
        sent = []
        for mode, state, error in (("html", "degraded", "protocol"),
                                   ("garbage", "degraded", "protocol"),
                                   ("badutf8", "degraded", "protocol"),
                                   ("error500", "degraded", "server"),
                                   ("hang", "offline", "network")):
            proxy.mode = mode
            text = f"经过 {mode} 的回复"
            desk.workers.run_db(runtime.chat.send, visitor.conversation_id, text)
            sent.append(text)
            eventually(lambda s=state, e=error: (runtime.engine.status.state,
                                                 runtime.engine.status.last_error) == (s, e),
                       timeout=30)
            assert runtime.engine.status.pending >= 1
        proxy.mode = "pass"
        eventually(lambda: runtime.engine.status.pending == 0, timeout=60)
        assert _customer_texts(visitor) == sent
        assert all(t.is_alive() for t in runtime.engine._threads), "a sync thread died"
    finally:
        desk.close()
        proxy.close()


def test_server_epoch_reset_pushes_the_outbox_first_then_rebuilds(
    server: ServerProcess, world: World, desk: Desk
) -> None:
    company = world.company()
    agent = world.agent(company)
    runtime = desk.sign_in(agent.account, PASSWORD)
    visitor = VisitorClient(server.url, "恢复备份的顾客", company=company.domain)
    visitor.send("订单怎么还没到")
    eventually(lambda: visitor.conversation_id in runtime.chat.conversation_ids())
    # The conversation can show mid-bootstrap, before the page's cursor is stored.
    old_cursor = eventually(lambda: desk.workers.run_db(_cursor, runtime))
    server.stop()
    try:
        desk.workers.run_db(runtime.chat.send, visitor.conversation_id, "备份恢复前写的回复")
        subprocess.run([sys.executable, "-m", "server", "reset-epoch", "--database-url",
                        server.database_url], check=True, capture_output=True, timeout=60)
    finally:
        server.start()
    eventually(lambda: runtime.engine.status.pending == 0, timeout=60)
    old_epoch = _epoch(old_cursor)
    assert old_epoch
    # Mid-rebuild the cursor is empty; once rebuilt it names the new epoch.
    eventually(lambda: _epoch(desk.workers.run_db(_cursor, runtime)) not in ("", old_epoch),
               timeout=30)
    assert _customer_texts(visitor) == ["备份恢复前写的回复"]
    rebuilt = eventually(lambda: [m.text for m in runtime.chat.messages(visitor.conversation_id)])
    assert "订单怎么还没到" in rebuilt and "备份恢复前写的回复" in rebuilt


def _cursor(runtime: object) -> str:
    from app.sync.outbox import get_state

    with runtime.store.read() as session:  # type: ignore[attr-defined]
        return get_state(session, "cursor")


def _epoch(cursor: str) -> str:
    """The epoch a feed cursor (`sq:EPOCH:…` / `pg:EPOCH:…`) belongs to; "" before bootstrap."""
    parts = cursor.split(":")
    return parts[1] if len(parts) > 2 else ""

"""The client's sync engine against a real server: receive, send, offline queue, exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import VisitorClient
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

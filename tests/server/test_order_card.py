"""Order cards in the chat (H5, H11.3): the customer sees their order, never someone else's."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from kefu_protocol.shop import ORDER_CARD_MAX_LINES
from server import models as m
from tests.support.api import AgentClient, InBackground, VisitorClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World

ADDRESS = "浙江省杭州市西湖区文三路100号"
PHONE = "13812345678"
ID_NUMBER = "330102199001011234"
LINES = [{"sku": f"SKU-{n}", "name": f"商品{n}", "qty": n, "price_cents": 1000}
         for n in range(1, ORDER_CARD_MAX_LINES + 3)]


def _shipped_order(world: World, company: CompanyRef) -> tuple[str, str, str]:
    """(customer_id, order_id, order_no) of a shipped ¥101.50 order with two tracking events."""
    customer_id, order_id, order_no = world.customer_with_order(company, status="已发货")
    now = dt.datetime.now(dt.UTC)
    with world.db.write() as session:
        order = session.get(m.Order, order_id)
        assert order is not None
        order.lines, order.address, order.total_cents = LINES, ADDRESS, 10150
        for hours, status in ((30, "已揽收"), (2, "运输中，已到达杭州转运中心")):
            session.add(m.LogisticsEvent(
                id=str(uuid.uuid4()), order_id=order_id, team_id=company.team_id,
                at=now - dt.timedelta(hours=hours), carrier="顺丰速运",
                tracking_no="SF1234567890", status=status))
    return customer_id, order_id, order_no


def _chat(server: ServerProcess, world: World, company: CompanyRef,
          order_no: str) -> tuple[AgentClient, VisitorClient]:
    """An online agent and the order's customer, whose chat the agent was given (H14.1)."""
    agent = AgentClient(server.url, world.agent(company, name="王小明").account, PASSWORD)
    agent.online()
    visitor = VisitorClient(server.url, "老顾客", company=company.domain, order_no=order_no)
    assert visitor.start_response.status_code == 200, visitor.start_response.text
    visitor.receive()  # the greeting
    return agent, visitor


def _send_card(agent: AgentClient, conversation_id: str, order_id: str,
               message_id: str | None = None) -> dict[str, Any]:
    return agent.do("order.send_card", id=message_id or str(uuid.uuid4()),
                    conversation_id=conversation_id, order_id=order_id)


def test_the_customer_receives_their_order_as_a_card_h5_h11_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    _customer, order_id, order_no = _shipped_order(world, company)
    agent, visitor = _chat(server, world, company, order_no)
    assert visitor.send("我的快递到哪了？").status_code == 200
    visitor.receive()  # their own message

    waiting = InBackground(lambda: visitor.receive(wait=20))
    message_id = str(uuid.uuid4())
    assert _send_card(agent, visitor.conversation_id, order_id, message_id)["status"] == "applied"
    body, seconds = waiting.finish()
    assert seconds < 5, "the customer's waiting page is woken by the card"
    card_message = body["messages"][-1]
    assert card_message["id"] == message_id and card_message["sender"] == "agent"
    assert card_message["agent_name"] == "王小明"
    assert card_message["text"] == f"订单 {order_no} · 已发货 · ¥101.50"
    card = card_message["card"]
    assert card["type"] == "order" and card["order_no"] == order_no
    assert card["status"] == "已发货" and card["total_cents"] == 10150
    assert card["created_at"]
    assert card["lines"] == [{"name": line["name"], "qty": line["qty"]}
                             for line in LINES[:ORDER_CARD_MAX_LINES]]
    assert card["more"] == len(LINES) - ORDER_CARD_MAX_LINES
    assert card["tracking"] | {"at": ""} == {
        "carrier": "顺丰速运", "status": "运输中，已到达杭州转运中心", "at": ""}
    shown = json.dumps(body, ensure_ascii=False)
    for secret in ("文三路", PHONE, ID_NUMBER):
        assert secret not in shown, "no address or contact data reaches the page (H11.3)"

    # The agent's desks see a normal agent message: the card, the readable text, no longer
    # awaiting a reply.
    changes = agent.pull_all()
    row = [c for c in changes if c["entity"] == "message" and c["id"] == message_id][-1]["data"]
    assert row["card"] == card and row["text"] == card_message["text"]
    conv = [c for c in changes if c["entity"] == "conversation"
            and c["id"] == visitor.conversation_id][-1]["data"]
    assert conv["last_message_text"] == card_message["text"]
    assert conv["awaiting_reply_since"] is None


def test_another_customers_order_is_refused_h11_3(server: ServerProcess, world: World) -> None:
    company = world.company()
    _customer, _order_id, order_no = _shipped_order(world, company)
    _other, someone_elses, _no = world.customer_with_order(company, status="已付款")
    agent, visitor = _chat(server, world, company, order_no)
    refused = _send_card(agent, visitor.conversation_id, someone_elses)
    assert refused["code"] == "order_not_customers"
    assert "不是当前客户的订单" in refused["message"]
    hidden = world.customer_with_order(company, team_id=company.other_team_id)[1]
    assert _send_card(agent, visitor.conversation_id, hidden)["code"] == "order_not_found"
    assert _send_card(agent, visitor.conversation_id, str(uuid.uuid4()))[
        "code"] == "order_not_found"
    assert all(not msg.get("card") for msg in visitor.receive()["messages"])


def test_a_replayed_card_is_sent_once_and_ownership_rules_hold_h3_5(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    _customer, order_id, order_no = _shipped_order(world, company)
    agent, visitor = _chat(server, world, company, order_no)
    message_id = str(uuid.uuid4())
    assert _send_card(agent, visitor.conversation_id, order_id, message_id)["status"] == "applied"
    # The same outbox replayed under a new client id (a reinstall) changes nothing.
    agent.client_id = str(uuid.uuid4())
    agent._ids = iter(range(1, 100))
    assert _send_card(agent, visitor.conversation_id, order_id, message_id)["status"] == "applied"
    cards = [msg for msg in visitor.receive()["messages"] if msg.get("card")]
    assert [msg["id"] for msg in cards] == [message_id]
    clash = _send_card(agent, str(uuid.uuid4()), order_id, message_id)
    assert clash["code"] == "message_id_conflict", "one message id, one message"

    colleague = AgentClient(server.url, world.agent(company, name="李晓华").account, PASSWORD)
    not_mine = _send_card(colleague, visitor.conversation_id, order_id)
    assert not_mine["code"] == "not_owner" and "王小明" in not_mine["message"]
    assert agent.do("conversation.close", conversation_id=visitor.conversation_id)[
        "status"] == "applied"
    closed = _send_card(agent, visitor.conversation_id, order_id)
    assert closed["code"] == "conversation_closed"

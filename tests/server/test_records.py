"""Tags, notes with kept conflicts, the order state machine, workspace mutations (H4, H5, H13)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.api import AgentClient, VisitorClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World


def _agent(server: ServerProcess, world: World, company: CompanyRef, **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, **kw).account, PASSWORD)


def _latest(agent: AgentClient, entity: str, entity_id: str) -> dict[str, Any] | None:
    agent.cursor = ""
    rows = [c for c in agent.pull_all() if c["entity"] == entity and c["id"] == entity_id]
    if not rows:
        return None
    return rows[-1]["data"] if rows[-1]["op"] == "upsert" else {"deleted": True}


def test_tags_add_and_remove_idempotently_h4_3(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    customer_id, _order, _no = world.customer_with_order(company)
    tag = world.tag(company)
    for _ in range(2):
        assert agent.do("customer.tag_add", customer_id=customer_id, tag_id=tag)[
            "status"] == "applied"
    assert _latest(agent, "customer", customer_id)["tags"] == [tag]  # type: ignore[index]
    agent.do("customer.tag_remove", customer_id=customer_id, tag_id=tag)
    assert _latest(agent, "customer", customer_id)["tags"] == []  # type: ignore[index]
    foreign_tag = world.tag(world.company())
    refused = agent.do("customer.tag_add", customer_id=customer_id, tag_id=foreign_tag)
    assert refused["code"] == "tag_not_found"


def test_concurrent_note_edits_keep_the_loser_and_tell_both_authors(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    alice, bob = _agent(server, world, company), _agent(server, world, company)
    customer_id, _order, _no = world.customer_with_order(company)
    note_id = str(uuid.uuid4())
    alice.do("note.add", id=note_id, customer_id=customer_id, text="顾客偏好顺丰")
    assert _latest(bob, "note", note_id)["version"] == 1  # type: ignore[index]
    # Both edit version 1 while offline; Alice's arrives first, Bob's last and wins.
    assert alice.do("note.edit", id=note_id, text="顾客偏好京东", base_version=1)[
        "status"] == "applied"
    assert bob.do("note.edit", id=note_id, text="顾客只要顺丰", base_version=1)[
        "status"] == "applied"
    final = _latest(alice, "note", note_id)
    assert final is not None and final["text"] == "顾客只要顺丰" and final["version"] == 3
    for author in (alice, bob):
        author.cursor = ""
        notices = [c["data"] for c in author.pull_all() if c["entity"] == "notice"]
        assert len(notices) == 1, "each author is told once"
        assert notices[0]["kind"] == "note_conflict"
        assert notices[0]["overwritten_text"] == "顾客偏好京东"
        assert notices[0]["winner_text"] == "顾客只要顺丰"


def test_order_state_machine_and_handler_id_h5_1_h5_4(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    _customer, order_id, _no = world.customer_with_order(company, status="已付款")
    illegal = agent.do("order.transition", order_id=order_id, to_status="已完成")
    assert illegal["status"] == "rejected" and illegal["code"] == "illegal_transition"
    stale = agent.do("order.transition", order_id=order_id, from_status="待付款",
                     to_status="已付款")
    assert stale["code"] == "stale_status" and "已付款" in stale["message"]
    ok = agent.do("order.transition", order_id=order_id, from_status="已付款", to_status="已发货")
    assert ok["status"] == "applied"
    order = _latest(agent, "order", order_id)
    assert order is not None and order["status"] == "已发货"
    employee_id = agent.agent["account"].split("@")[0]
    assert order["handled_by"] == [employee_id]
    assert order["history"][-1]["by"] == employee_id
    other_team = _agent(server, world, company, team_id=company.other_team_id)
    hidden = other_team.do("order.transition", order_id=order_id, to_status="已签收")
    assert hidden["code"] == "order_not_found"


def test_handover_is_created_and_acknowledged_h13_2(server: ServerProcess, world: World) -> None:
    company = world.company()
    outgoing, incoming = _agent(server, world, company), _agent(server, world, company)
    stranger = _agent(server, world, company)
    handover_id = str(uuid.uuid4())
    created = outgoing.do("handover.create", id=handover_id, to_agent_id=incoming.agent["id"],
                          note="夜班交接", items=[{"kind": "todo", "text": "回电 张女士"}])
    assert created["status"] == "applied"
    refused = stranger.do("handover.ack", id=handover_id)
    assert refused["status"] == "rejected"
    assert incoming.do("handover.ack", id=handover_id)["status"] == "applied"
    row = _latest(outgoing, "handover", handover_id)
    assert row is not None and row["acked_by"] == incoming.agent["id"]
    assert row["items"][0]["text"] == "回电 张女士"


def test_settings_roam_only_to_their_owner(server: ServerProcess, world: World) -> None:
    company = world.company()
    account = world.agent(company)
    desk_a = AgentClient(server.url, account.account, PASSWORD)
    desk_b = AgentClient(server.url, account.account, PASSWORD)
    colleague = _agent(server, world, company)
    assert desk_a.do("setting.set", key="ui.font_size", value=16)["status"] == "applied"
    setting_id = f"{account.id}:ui.font_size"
    assert _latest(desk_b, "setting", setting_id)["value"] == 16  # type: ignore[index]
    assert _latest(colleague, "setting", setting_id) is None
    big = desk_a.do("setting.set", key="ui.blob", value="x" * 20000)
    assert big["code"] == "setting_too_large"


def test_quick_phrases_personal_and_team(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent, lead = _agent(server, world, company), _agent(server, world, company, role="lead")
    mine = str(uuid.uuid4())
    assert agent.do("quick_phrase.upsert", id=mine, text="订单已发货，请注意查收")[
        "status"] == "applied"
    team_phrase = str(uuid.uuid4())
    refused = agent.do("quick_phrase.upsert", id=team_phrase, scope="team", text="请提供订单号")
    assert refused["status"] == "rejected"
    assert lead.do("quick_phrase.upsert", id=team_phrase, scope="team", text="请提供订单号")[
        "status"] == "applied"
    assert _latest(agent, "quick_phrase", team_phrase)["text"] == "请提供订单号"  # type: ignore[index]
    assert _latest(lead, "quick_phrase", mine) is None, "personal phrases stay personal"
    assert agent.do("quick_phrase.delete", id=mine)["status"] == "applied"
    assert _latest(agent, "quick_phrase", mine) == {"deleted": True}


def test_pin_is_shared_with_the_team(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent, colleague = _agent(server, world, company), _agent(server, world, company)
    visitor = VisitorClient(server.url, "VIP顾客", company=company.domain)
    assert agent.do("conversation.pin", conversation_id=visitor.conversation_id, pinned=True)[
        "status"] == "applied"
    row = _latest(colleague, "conversation", visitor.conversation_id)
    assert row is not None and row["pinned"] is True

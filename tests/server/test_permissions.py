"""Per-permission grants on top of roles (H10.2): who may grant, and what a grant unlocks."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from kefu_protocol.shop import REFUND_LIMIT_CENTS
from kefu_protocol.wire import PERMISSIONS, has_permission
from server import models as m
from tests.support.api import AgentClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World

NEW_PERMISSIONS = ("kb.edit", "order.refund_large", "tag.manage", "phrase.team")


def _agent(server: ServerProcess, world: World, company: CompanyRef, **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, **kw).account, PASSWORD)


def _grant(by: AgentClient, server: ServerProcess, agent_id: str,
           grants: list[str]) -> requests.Response:
    return by.http.put(f"{server.url}/api/v1/admin/agents/{agent_id}/grants",
                       json={"grants": grants}, timeout=10)


def _latest(agent: AgentClient, entity: str, entity_id: str) -> dict[str, Any]:
    agent.cursor = ""
    rows = [c for c in agent.pull_all() if c["entity"] == entity and c["id"] == entity_id]
    return rows[-1]["data"]


def _big_order(world: World, company: CompanyRef, status: str = "已付款") -> str:
    _customer, order_id, _no = world.customer_with_order(company, status=status)
    with world.db.write() as session:
        order = session.get(m.Order, order_id)
        assert order is not None
        order.total_cents = REFUND_LIMIT_CENTS + 1
    return order_id


def test_roles_have_every_permission_by_default_but_agents_none_h10_2() -> None:
    for permission in NEW_PERMISSIONS:
        assert permission in PERMISSIONS
        assert not has_permission("agent", [], permission)
        assert has_permission("agent", [permission], permission)
        for role in ("lead", "supervisor", "admin"):
            assert has_permission(role, [], permission)


def test_only_supervisors_and_admins_grant_and_only_known_permissions_h10_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    agent_id = agent.agent["id"]
    lead = _agent(server, world, company, role="lead")
    supervisor = _agent(server, world, company, role="supervisor")
    admin = _agent(server, world, company, role="admin")
    assert _grant(lead, server, agent_id, ["kb.edit"]).status_code == 403
    assert _grant(agent, server, agent_id, ["kb.edit"]).status_code == 403
    unknown = _grant(supervisor, server, agent_id, ["order.refund_everything"])
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid_request"
    granted = _grant(supervisor, server, agent_id, list(NEW_PERMISSIONS))
    assert granted.status_code == 200, granted.text
    assert granted.json()["grants"] == sorted(NEW_PERMISSIONS)
    assert _latest(supervisor, "agent", agent_id)["grants"] == sorted(NEW_PERMISSIONS)
    assert _grant(admin, server, agent_id, ["tag.manage"]).json()["grants"] == ["tag.manage"]
    elsewhere = world.company()
    stranger = _agent(server, world, elsewhere, role="supervisor")
    assert _grant(stranger, server, agent_id, ["kb.edit"]).status_code == 404


def test_a_granted_agent_manages_team_phrases_an_ungranted_one_cannot_h10_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    plain, granted = _agent(server, world, company), _agent(server, world, company)
    supervisor = _agent(server, world, company, role="supervisor")
    phrase = str(uuid.uuid4())
    refused = plain.do("quick_phrase.upsert", id=phrase, scope="team", text="请提供订单号")
    assert refused["code"] == "permission_required" and "phrase.team" in refused["message"]
    assert _grant(supervisor, server, granted.agent["id"], ["phrase.team"]).status_code == 200
    assert granted.do("quick_phrase.upsert", id=phrase, scope="team", text="请提供订单号")[
        "status"] == "applied"
    assert _latest(plain, "quick_phrase", phrase)["owner_id"] is None
    edit = plain.do("quick_phrase.upsert", id=phrase, scope="team", text="改掉")
    assert edit["code"] == "phrase_not_found"
    assert plain.do("quick_phrase.delete", id=phrase)["code"] == "phrase_not_found"
    assert granted.do("quick_phrase.delete", id=phrase)["status"] == "applied"


def test_refunds_above_the_limit_need_the_grant_h10_2_h5_1(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    plain, granted = _agent(server, world, company), _agent(server, world, company)
    supervisor = _agent(server, world, company, role="supervisor")
    big = _big_order(world, company)
    refused = plain.do("order.transition", order_id=big, to_status="退款中")
    assert refused["code"] == "permission_required"
    assert "order.refund_large" in refused["message"]
    assert "退款/取消超过限额的订单" in refused["message"]
    assert plain.do("order.cancel", order_id=big, reason="顾客不要了")[
        "code"] == "permission_required"
    assert plain.do("order.transition", order_id=big, to_status="已发货")[
        "status"] == "applied", "shipping is no refund"
    _customer, small, _no = world.customer_with_order(company)  # ¥199, under the limit
    assert plain.do("order.transition", order_id=small, to_status="退款中")[
        "status"] == "applied"
    assert _grant(supervisor, server, granted.agent["id"], ["order.refund_large"]).ok
    assert granted.do("order.transition", order_id=big, to_status="退款中")[
        "status"] == "applied"
    big_unpaid = _big_order(world, company)
    assert granted.do("order.cancel", order_id=big_unpaid, reason="顾客不要了")[
        "status"] == "applied"
    lead = _agent(server, world, company, role="lead")
    assert lead.do("order.transition", order_id=big, to_status="已退款")["status"] == "applied"

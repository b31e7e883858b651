"""The company's three-level customer tag library (H4.3), managed by permission (H10.2)."""

from __future__ import annotations

import uuid
from typing import Any

from server import models as m
from tests.support.api import AgentClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World


def _agent(server: ServerProcess, world: World, company: CompanyRef, **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, **kw).account, PASSWORD)


def _tags(agent: AgentClient) -> dict[str, dict[str, Any] | None]:
    """The tag library a desk holds after a full pull (None once deleted)."""
    agent.cursor = ""
    held: dict[str, dict[str, Any] | None] = {}
    for change in agent.pull_all():
        if change["entity"] == "tag":
            held[change["id"]] = change["data"] if change["op"] == "upsert" else None
    return held


def _upsert(agent: AgentClient, tag_id: str, name: str,
            parent_id: str | None = None) -> dict[str, Any]:
    # Built by hand: the tag's `name` would clash with the mutation name of AgentClient.do.
    args = {"id": tag_id, "parent_id": parent_id, "name": name}
    return agent.push({"id": next(agent._ids), "name": "tag.upsert", "args": args})[0]


def _add(agent: AgentClient, name: str, parent_id: str | None = None) -> tuple[str, dict[str, Any]]:
    tag_id = str(uuid.uuid4())
    return tag_id, _upsert(agent, tag_id, name, parent_id)


def _chain(lead: AgentClient) -> tuple[str, str, str]:
    """产品使用 › 功能操作 › 支付异常, the handbook's example."""
    top, result = _add(lead, "产品使用")
    assert result["status"] == "applied", result
    middle, result = _add(lead, "功能操作", top)
    assert result["status"] == "applied", result
    leaf, result = _add(lead, "支付异常", middle)
    assert result["status"] == "applied", result
    return top, middle, leaf


def test_three_levels_and_no_fourth_h4_3(server: ServerProcess, world: World) -> None:
    company = world.company()
    lead = _agent(server, world, company, role="lead")
    agent = _agent(server, world, company)
    top, middle, leaf = _chain(lead)
    library = _tags(agent)
    assert [library[t]["level"] for t in (top, middle, leaf)] == [1, 2, 3]  # type: ignore[index]
    assert library[leaf]["parent_id"] == middle  # type: ignore[index]
    deep, refused = _add(lead, "微信支付", leaf)
    assert refused["code"] == "tag_too_deep" and "三级" in refused["message"]
    assert deep not in _tags(agent)
    assert _add(lead, "孤儿", str(uuid.uuid4()))[1]["code"] == "tag_not_found"


def test_sibling_names_are_unique_and_renames_keep_the_place_h4_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    lead = _agent(server, world, company, role="lead")
    top, middle, _leaf = _chain(lead)
    clash = _add(lead, "功能操作", top)[1]
    assert clash["code"] == "tag_exists" and "功能操作" in clash["message"]
    assert _add(lead, "产品使用")[1]["code"] == "tag_exists"
    # The same name elsewhere in the tree is fine.
    assert _add(lead, "功能操作")[1]["status"] == "applied"

    assert _upsert(lead, middle, "操作问题", top)["status"] == "applied"
    renamed = _tags(lead)[middle]
    assert renamed is not None and renamed["name"] == "操作问题"
    assert renamed["parent_id"] == top and renamed["level"] == 2 and renamed["version"] == 2
    moved = _upsert(lead, middle, "操作问题")
    assert moved["code"] == "invalid_args", "a tag keeps its parent"


def test_delete_needs_no_children_and_customers_lose_the_tag_h4_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    lead = _agent(server, world, company, role="lead")
    agent = _agent(server, world, company)
    top, middle, leaf = _chain(lead)
    keep = _add(lead, "退款咨询", top)[0]
    customer_id, _order, _no = world.customer_with_order(company)
    far_customer, _order, _no = world.customer_with_order(company, team_id=company.other_team_id)
    for customer in (customer_id, far_customer):
        with world.db.write() as session:
            row = session.get(m.Customer, customer)
            assert row is not None
            row.tags = [leaf, keep]

    refused = lead.do("tag.delete", id=middle)
    assert refused["code"] == "tag_has_children" and "功能操作" in refused["message"]
    assert lead.do("tag.delete", id=leaf)["status"] == "applied"
    assert _tags(agent)[leaf] is None
    agent.cursor = ""
    customers = [c for c in agent.pull_all() if c["entity"] == "customer"
                 and c["id"] == customer_id]
    assert customers[-1]["data"]["tags"] == [keep], "the customer's panel drops the tag"
    with world.db.read() as session:
        far = session.get(m.Customer, far_customer)
        assert far is not None and far.tags == [keep]
    assert lead.do("tag.delete", id=leaf)["status"] == "applied", "a replay is harmless"
    assert lead.do("tag.delete", id=middle)["status"] == "applied", "no children any more"
    tag_add = agent.do("customer.tag_add", customer_id=customer_id, tag_id=leaf)
    assert tag_add["code"] == "tag_not_found"


def test_only_tag_managers_change_the_library_h10_2(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    refused = _add(agent, "售后")[1]
    assert refused["code"] == "permission_required" and "管理标签库" in refused["message"]
    supervisor = _agent(server, world, company, role="supervisor")
    tag_id, result = _add(supervisor, "售后")
    assert result["status"] == "applied"
    assert agent.do("tag.delete", id=tag_id)["code"] == "permission_required"

    grant = supervisor.http.put(f"{server.url}/api/v1/admin/agents/{agent.agent['id']}/grants",
                                json={"grants": ["tag.manage"]}, timeout=10)
    assert grant.status_code == 200, grant.text
    granted = AgentClient(server.url, agent.login_body["agent"]["account"], PASSWORD)
    assert _add(granted, "物流问题", tag_id)[1]["status"] == "applied"
    assert _upsert(granted, tag_id, "售后服务")["status"] == "applied"
    assert _tags(supervisor)[tag_id]["name"] == "售后服务"  # type: ignore[index]

    stranger = _agent(server, world, world.company(), role="admin")
    assert stranger.do("tag.delete", id=tag_id)["code"] == "tag_not_found"
    assert _add(stranger, "别家", tag_id)[1]["code"] == "tag_not_found"

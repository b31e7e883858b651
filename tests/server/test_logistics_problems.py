"""Delivery problems on an order (H7): where they may be reported, one at a time, resolved."""

from __future__ import annotations

from typing import Any

from kefu_protocol.shop import LOGISTICS_PROBLEM_STATUSES, ORDER_TRANSITIONS
from tests.support.api import AgentClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World


def _agent(server: ServerProcess, world: World, company: CompanyRef) -> AgentClient:
    return AgentClient(server.url, world.agent(company).account, PASSWORD)


def _order(world: World, company: CompanyRef, status: str) -> str:
    return world.customer_with_order(company, status=status)[1]


def _latest(agent: AgentClient, order_id: str) -> dict[str, Any]:
    agent.cursor = ""
    rows = [c for c in agent.pull_all() if c["entity"] == "order" and c["id"] == order_id]
    return rows[-1]["data"]


def _employee(agent: AgentClient) -> str:
    return str(agent.agent["account"]).split("@")[0]


def test_a_problem_is_reported_only_where_it_can_happen_h7(
    server: ServerProcess, world: World
) -> None:
    """延误/丢件 only while on the way, 破损 also once received; elsewhere the agent is told
    the order's status and the problem."""
    company = world.company()
    agent = _agent(server, world, company)
    for problem, allowed in LOGISTICS_PROBLEM_STATUSES.items():
        for status in ORDER_TRANSITIONS:
            result = agent.do("order.report_logistics", order_id=_order(world, company, status),
                              problem=problem, note="")
            if status in allowed:
                assert result["status"] == "applied", (problem, status, result)
            else:
                assert result["code"] == "logistics_not_applicable", (problem, status)
                assert status in result["message"] and problem in result["message"]
    unknown = agent.do("order.report_logistics", order_id=_order(world, company, "已发货"),
                       problem="被偷了")
    assert unknown["code"] == "invalid_args"


def test_one_open_problem_then_resolved_and_seen_by_colleagues_h7_h5_4(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    alice, bob = _agent(server, world, company), _agent(server, world, company)
    order_id = _order(world, company, "已发货")

    assert alice.do("order.report_logistics", order_id=order_id, problem="延误",
                    note="三天没有物流更新")["status"] == "applied"
    row = _latest(bob, order_id)
    issue = row["logistics_issue"]
    assert issue | {"at": ""} == {
        "problem": "延误", "note": "三天没有物流更新", "at": "", "by": _employee(alice),
        "resolution": None, "resolved_at": None, "resolved_by": None}
    assert issue["at"]
    assert row["history"][-1]["action"] == "logistics_report"
    assert "延误" in row["history"][-1]["note"] and "三天没有物流更新" in row["history"][-1]["note"]
    assert row["handled_by"] == [_employee(alice)]

    again = bob.do("order.report_logistics", order_id=order_id, problem="丢件")
    assert again["code"] == "logistics_issue_open" and "延误" in again["message"]

    assert bob.do("order.resolve_logistics", order_id=order_id, resolution="已补发",
                  note="已补发顺丰")["status"] == "applied"
    row = _latest(alice, order_id)
    issue = row["logistics_issue"]
    assert issue["problem"] == "延误" and issue["by"] == _employee(alice)
    assert issue["resolution"] == "已补发" and issue["resolved_by"] == _employee(bob)
    assert issue["resolved_at"]
    assert row["history"][-1]["action"] == "logistics_resolve"
    assert "已补发" in row["history"][-1]["note"]
    assert row["handled_by"] == [_employee(alice), _employee(bob)]

    twice = alice.do("order.resolve_logistics", order_id=order_id, resolution="已送达")
    assert twice["code"] == "logistics_no_issue"
    # Once resolved, a new problem may be reported on the same order.
    assert alice.do("order.report_logistics", order_id=order_id, problem="破损")[
        "status"] == "applied"
    assert _latest(bob, order_id)["logistics_issue"]["resolution"] is None


def test_resolving_needs_an_open_problem_and_a_known_ending_h7(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    order_id = _order(world, company, "已签收")
    refused = agent.do("order.resolve_logistics", order_id=order_id, resolution="已送达")
    assert refused["code"] == "logistics_no_issue"
    assert "没有待处理的物流问题" in refused["message"]
    assert agent.do("order.report_logistics", order_id=order_id, problem="破损",
                    note="外箱压坏")["status"] == "applied"
    odd = agent.do("order.resolve_logistics", order_id=order_id, resolution="算了")
    assert odd["code"] == "invalid_args"
    assert _latest(agent, order_id)["logistics_issue"]["resolution"] is None


def test_orders_of_other_teams_are_not_found_h7(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    elsewhere = world.customer_with_order(company, status="已发货",
                                          team_id=company.other_team_id)[1]
    result = agent.do("order.report_logistics", order_id=elsewhere, problem="丢件")
    assert result["code"] == "order_not_found"

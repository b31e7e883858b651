"""H12.1 metrics over HTTP on both databases: a known synthetic day shift gives exactly the
expected served / first-response median and p90 / breaches / resolution / CSAT / conversion;
only leads may ask, and a bad window is refused."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from server import models as m
from tests.support.api import AgentClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World

CST = dt.timezone(dt.timedelta(hours=8))  # the server's default zone, Asia/Shanghai
SHIFT_START = dt.datetime(2026, 11, 30, 8, 0, tzinfo=CST)
SHIFT_END = dt.datetime(2026, 11, 30, 17, 0, tzinfo=CST)


def _conversations(world: World, company: CompanyRef, agent_id: str | None,
                   rows: list[dict[str, Any]], *, assigned_at: dt.datetime) -> None:
    """rows: first_response_ms, closed, rating, converted, complaint (all optional)."""
    with world.db.write() as session:
        customer = m.Customer(id=str(uuid.uuid4()), company_id=company.id,
                              team_id=company.team_id, nickname="顾客")
        session.add(customer)
        session.flush()
        for row in rows:
            session.add(m.Conversation(
                id=str(uuid.uuid4()), team_id=company.team_id, customer_id=customer.id,
                agent_id=agent_id, state="closed" if row.get("closed") else "open",
                created_at=assigned_at, assigned_at=assigned_at if agent_id else None,
                first_response_ms=row.get("ms"), rating=row.get("rating"),
                is_complaint=row.get("complaint", False),
                converted_at=assigned_at if row.get("converted") else None,
            ))


@pytest.fixture(scope="module")
def shift(server: ServerProcess, world: World) -> dict[str, Any]:
    """Two agents' day shift (the team standard: 30 s, complaints 300 s) and a lead."""
    company = world.company()
    a = world.agent(company, name="客服甲")
    b = world.agent(company, name="客服乙")
    lead = world.agent(company, role="lead", name="组长")
    outsider = world.agent(company, team_id=company.other_team_id)
    inside = SHIFT_START + dt.timedelta(hours=2)
    _conversations(world, company, a.id, [
        {"ms": 10_000, "closed": True, "rating": 5, "converted": True},
        {"ms": 20_000, "closed": True, "rating": 4},
        {"ms": 40_000, "closed": True, "rating": 2},  # breach
        {"ms": 50_000, "converted": True},  # breach, still open
        {"ms": 200_000, "closed": True, "rating": 3, "complaint": True},  # within 300 s
        {},  # not answered yet
    ], assigned_at=inside)
    _conversations(world, company, b.id, [
        {"ms": 5_000, "closed": True, "rating": 5},
        {"ms": 400_000, "closed": True, "rating": 1, "complaint": True},  # breach
    ], assigned_at=SHIFT_END - dt.timedelta(microseconds=1))
    # Not this shift: before it, at its end (exclusive), another team's, nobody's.
    _conversations(world, company, a.id, [{"ms": 1, "closed": True, "rating": 1}],
                   assigned_at=SHIFT_START - dt.timedelta(seconds=1))
    _conversations(world, company, b.id, [{"ms": 1}], assigned_at=SHIFT_END)
    _conversations(world, company, outsider.id, [{"ms": 1}], assigned_at=inside)
    _conversations(world, company, None, [{}], assigned_at=inside)
    shift_id = str(uuid.uuid4())
    with world.db.write() as session:
        session.add(m.Shift(id=shift_id, team_id=company.team_id, name="白班", starts="08:00",
                            ends="17:00", agent_ids=[]))  # nobody rostered: no H1.3 lock
    return {"company": company, "a": a.id, "b": b.id, "lead_id": lead.id, "shift_id": shift_id,
            "lead": AgentClient(server.url, lead.account, PASSWORD),
            "agent": AgentClient(server.url, a.account, PASSWORD)}


EXPECTED_A = {
    "name": "客服甲", "served": 6, "first_response_median_ms": 40_000,
    "first_response_p90_ms": 200_000, "breaches": 2, "resolved": 4, "resolution_rate": 0.6667,
    "rated": 4, "csat_avg": 3.5, "csat_satisfied_rate": 0.5, "converted": 2,
    "conversion_rate": 0.3333,
}
EXPECTED_B = {
    "name": "客服乙", "served": 2, "first_response_median_ms": 5_000,
    "first_response_p90_ms": 400_000, "breaches": 1, "resolved": 2, "resolution_rate": 1.0,
    "rated": 2, "csat_avg": 3.0, "csat_satisfied_rate": 0.5, "converted": 0,
    "conversion_rate": 0.0,
}
EXPECTED_LEAD = {
    "name": "组长", "served": 0, "first_response_median_ms": None,
    "first_response_p90_ms": None, "breaches": 0, "resolved": 0, "resolution_rate": None,
    "rated": 0, "csat_avg": None, "csat_satisfied_rate": None, "converted": 0,
    "conversion_rate": None,
}
EXPECTED_TOTAL = {
    "agent_id": "", "name": "全组", "served": 8, "first_response_median_ms": 40_000,
    "first_response_p90_ms": 400_000, "breaches": 3, "resolved": 6, "resolution_rate": 0.75,
    "rated": 6, "csat_avg": 3.3333, "csat_satisfied_rate": 0.5, "converted": 2,
    "conversion_rate": 0.25,
}


def _check(body: dict[str, Any], shift: dict[str, Any]) -> None:
    agents = {row["agent_id"]: row for row in body["agents"]}
    assert set(agents) == {shift["a"], shift["b"], shift["lead_id"]}, "the team's agents only"
    assert agents[shift["a"]] == {"agent_id": shift["a"], **EXPECTED_A}
    assert agents[shift["b"]] == {"agent_id": shift["b"], **EXPECTED_B}
    assert agents[shift["lead_id"]] == {"agent_id": shift["lead_id"], **EXPECTED_LEAD}
    assert body["total"] == EXPECTED_TOTAL
    assert body["team_id"] == shift["company"].team_id
    assert (body["start"], body["end"]) == ("2026-11-30T00:00:00+00:00",
                                            "2026-11-30T09:00:00+00:00")


def test_metrics_of_a_known_shift_by_window_h12_1(shift: dict[str, Any]) -> None:
    response = shift["lead"].get("/api/v1/metrics", params={
        "team_id": shift["company"].team_id, "start": SHIFT_START.isoformat(),
        "end": SHIFT_END.isoformat()})
    assert response.status_code == 200, response.text
    body = response.json()
    _check(body, shift)
    assert body["shift_id"] is None


def test_metrics_of_a_shift_on_a_local_date_h12_1_h13_1(shift: dict[str, Any]) -> None:
    response = shift["lead"].get("/api/v1/metrics", params={
        "team_id": shift["company"].team_id, "shift_id": shift["shift_id"],
        "date": "2026-11-30"})
    assert response.status_code == 200, response.text
    body = response.json()
    _check(body, shift)
    assert body["shift_id"] == shift["shift_id"]


def test_an_agent_may_not_read_metrics_and_bad_windows_are_refused(
    shift: dict[str, Any], world: World
) -> None:
    team_id = shift["company"].team_id
    window = {"team_id": team_id, "start": SHIFT_START.isoformat(), "end": SHIFT_END.isoformat()}
    denied = shift["agent"].get("/api/v1/metrics", params=window)
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    lead: AgentClient = shift["lead"]
    bad = [
        {"team_id": team_id, "start": SHIFT_END.isoformat(), "end": SHIFT_START.isoformat()},
        {"team_id": team_id, "start": SHIFT_START.isoformat(),
         "end": (SHIFT_START + dt.timedelta(days=32)).isoformat()},
        {"team_id": team_id, "start": "2026-11-30T08:00:00", "end": SHIFT_END.isoformat()},
        {"team_id": team_id, "start": "昨天", "end": SHIFT_END.isoformat()},
        {"team_id": team_id, "shift_id": shift["shift_id"]},
        {"team_id": team_id, "shift_id": shift["shift_id"], "date": "2026-13-01"},
        {"team_id": team_id},
    ]
    for params in bad:
        response = lead.get("/api/v1/metrics", params=params)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["code"] == "invalid_window"
    unknown = lead.get("/api/v1/metrics", params={"team_id": team_id, "date": "2026-11-30",
                                                  "shift_id": str(uuid.uuid4())})
    assert unknown.json()["code"] == "shift_not_found"
    foreign = lead.get("/api/v1/metrics", params={**window,
                                                  "team_id": world.company().team_id})
    assert foreign.json()["code"] == "team_not_found"
    unmanaged = lead.get("/api/v1/metrics", params={
        **window, "team_id": shift["company"].other_team_id})
    assert unmanaged.status_code == 403

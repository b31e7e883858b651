"""Shifts and the lead's account controls, server half (issue 7): the roster (H13.1), the
late-login lock and the lead's unlock (H1.3), force offline (H13.3), reset requests (H1.11)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from server import models as m
from server.security import initial_password
from tests.support.api import AgentClient, http, login
from tests.support.server_proc import ServerProcess
from tests.support.shift_clock import hhmm, running_shift, upsert_shift
from tests.support.world import PASSWORD, AgentRef, CompanyRef, World


def _lead(server: ServerProcess, world: World, company: CompanyRef, **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, role="lead", **kw).account, PASSWORD)


def _latest(changes: list[dict[str, Any]], entity: str, entity_id: str) -> dict[str, Any] | None:
    rows = [c for c in changes if c["entity"] == entity and c["id"] == entity_id]
    return rows[-1] if rows else None


def _employee_id(agent: AgentRef) -> str:
    return agent.account.split("@")[0]


def test_a_leads_shift_and_roster_reach_the_agents_feed_and_agents_cannot_edit(
    server: ServerProcess, world: World
) -> None:
    """H13.1: shifts are synced team rows; only leads edit them."""
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    lead = _lead(server, world, company)
    agent.pull_all()
    shift = running_shift(lead, company.team_id, [agent.agent["id"]], started_min_ago=60)
    row = _latest(agent.pull_all(), "shift", shift["id"])
    assert row is not None and row["op"] == "upsert"
    assert row["data"]["agent_ids"] == [agent.agent["id"]]
    assert (row["data"]["starts"], row["data"]["name"]) == (shift["starts"], "白班")

    refused = upsert_shift(agent, {**shift, "name": "改名"})
    assert refused["status"] == "rejected" and refused["code"] == "forbidden_action"
    assert agent.do("shift.delete", id=shift["id"])["code"] == "forbidden_action"
    stranger = world.agent(company, team_id=company.other_team_id)
    outside = upsert_shift(lead, {**shift, "agent_ids": [stranger.id]})
    assert outside["status"] == "rejected" and outside["code"] == "forbidden_action"

    assert lead.do("shift.delete", id=shift["id"])["status"] == "applied"
    gone = _latest(agent.pull_all(), "shift", shift["id"])
    assert gone is not None and gone["op"] == "delete"


def test_late_login_locks_with_the_reason_until_the_lead_unlocks(
    server: ServerProcess, world: World
) -> None:
    """H1.3: rostered, 15 min after the start, not logged in: locked, and told why; the lead's
    unlock lets the agent in for the rest of the shift."""
    company = world.company()
    late = world.agent(company)
    lead = _lead(server, world, company)
    running_shift(lead, company.team_id, [late.id], started_min_ago=15, name="白班")

    refused = login(server.url, late.account, late.password)
    assert refused.status_code == 423, refused.text
    body = refused.json()
    assert body["code"] == "account_locked_late"
    assert body["shift"] == "白班" and body["grace"] == 10 and body["starts"] == hhmm(-15)
    assert "白班" in body["message"] and "组长" in body["message"]
    again = login(server.url, late.account, late.password)  # still the same, distinct reason
    assert again.status_code == 423 and again.json()["code"] == "account_locked_late"

    unlocked = lead.post(f"/api/v1/admin/agents/{late.id}/unlock")
    assert unlocked.status_code == 200, unlocked.text
    assert login(server.url, late.account, late.password).status_code == 200
    assert login(server.url, late.account, late.password).status_code == 200


def test_on_time_leads_and_teams_without_the_lock_log_in(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    lead = _lead(server, world, company)
    on_time, other_lead = world.agent(company), world.agent(company, role="lead")
    running_shift(lead, company.team_id, [on_time.id], started_min_ago=3, name="白班")
    running_shift(lead, company.team_id, [other_lead.id], started_min_ago=30, name="常规班")
    assert login(server.url, on_time.account, on_time.password).status_code == 200
    assert login(server.url, other_lead.account, other_lead.password).status_code == 200

    # The team setting (team.configure, H1.3): with the lock off nobody is late-locked.
    relaxed = world.agent(company)
    running_shift(lead, company.team_id, [relaxed.id], started_min_ago=40, name="夜班")
    configured = lead.do("team.configure", team_id=company.team_id, late_login_lock=False,
                         late_login_grace_min=20, handover_alert_min=45)
    assert configured["status"] == "applied", configured
    team = _latest(lead.pull_all(), "team", company.team_id)
    assert team is not None
    assert (team["data"]["late_login_lock"], team["data"]["late_login_grace_min"],
            team["data"]["handover_alert_min"]) == (False, 20, 45)
    assert login(server.url, relaxed.account, relaxed.password).status_code == 200


def test_force_offline_revokes_the_agents_sessions(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    agent.online()
    lead = _lead(server, world, company)
    lead.pull_all()
    forced = lead.post(f"/api/v1/admin/agents/{agent.agent['id']}/force-offline")
    assert forced.status_code == 200 and forced.json()["revoked"] == 1, forced.text
    row = _latest(lead.pull_all(), "agent", agent.agent["id"])
    assert row is not None and row["data"]["presence"] == "offline"
    after = agent.get("/api/v1/sync/pull", params={"cursor": agent.cursor, "wait": 0})
    assert after.status_code == 401
    renewed = http().post(f"{server.url}/api/v1/auth/refresh",
                          json={"refresh_token": agent.refresh_token}, timeout=10)
    assert renewed.status_code == 401 and renewed.json()["code"] == "invalid_refresh_token"


def test_reset_request_approved_by_the_lead_gives_the_initial_password(
    server: ServerProcess, world: World
) -> None:
    """H1.11: the agent asks without signing in; the lead approves; the initial password (last
    six digits of the employee ID) works once and must be changed (H1.2)."""
    company = world.company()
    agent = world.agent(company)
    lead = _lead(server, world, company)
    url = f"{server.url}/api/v1/auth/password-reset-requests"
    for _ in range(2):  # asking twice leaves one request
        asked = http().post(url, json={"account": agent.account}, timeout=10)
        assert asked.status_code == 202 and asked.json() == {"ok": True}
    board = lead.get(f"/api/v1/board/{company.team_id}").json()
    requests = [r for r in board["reset_requests"] if r["agent_id"] == agent.id]
    assert len(requests) == 1 and requests[0]["account"] == agent.account

    approved = lead.post(f"/api/v1/admin/reset-requests/{requests[0]['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert login(server.url, agent.account, PASSWORD).status_code == 401
    fresh = login(server.url, agent.account, initial_password(_employee_id(agent)))
    assert fresh.status_code == 200 and fresh.json()["must_change_password"] is True
    assert not lead.get(f"/api/v1/board/{company.team_id}").json()["reset_requests"]
    twice = lead.post(f"/api/v1/admin/reset-requests/{requests[0]['id']}/approve")
    assert twice.status_code == 404 and twice.json()["code"] == "reset_request_not_found"


def test_reset_request_for_an_unknown_account_is_accepted_and_stores_nothing(
    server: ServerProcess, world: World
) -> None:
    url = f"{server.url}/api/v1/auth/password-reset-requests"
    with world.db.read() as session:
        before = session.scalar(select(func.count()).select_from(m.ResetRequest))
    unknown = http().post(url, json={"account": f"99999999@{uuid.uuid4().hex[:6]}.test"},
                          timeout=10)
    assert unknown.status_code == 202 and unknown.json() == {"ok": True}
    with world.db.read() as session:
        assert session.scalar(select(func.count()).select_from(m.ResetRequest)) == before
    bad = http().post(url, json={"account": "not an account"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_account_format"

"""The lead's board REST endpoints (H13.3): the snapshot (liveness H1.12, locks H1.3, reset
requests H1.11), one agent's timeline, and who may call them (leads only, of their teams)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kefu_protocol.board import ActivityPage, BoardSnapshot
from kefu_protocol.wire import DEFAULT_SHIFTS_ZH
from server import models as m
from server.demo import DEMO_ACCOUNTS
from tests.support.api import AgentClient, http, login
from tests.support.server_proc import ServerProcess
from tests.support.shift_clock import running_shift
from tests.support.world import PASSWORD, World


def _snapshot(lead: AgentClient, team_id: str) -> dict[str, dict[str, Any]]:
    response = lead.get(f"/api/v1/board/{team_id}")
    assert response.status_code == 200, response.text
    return {a.id: a.model_dump() for a in BoardSnapshot.model_validate(response.json()).agents}


def test_snapshot_shows_liveness_locks_shifts_and_creates_default_shifts(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    lead = AgentClient(server.url, world.agent(company, role="lead").account, PASSWORD)
    lead.pull_all()
    first = _snapshot(lead, company.team_id)  # the team had no shifts: defaults now (H13.1)
    shifts = [c["data"] for c in lead.pull_all() if c["entity"] == "shift" and c["op"] == "upsert"]
    assert {(s["name"], s["starts"], s["ends"]) for s in shifts} == set(DEFAULT_SHIFTS_ZH)
    assert first[lead.agent["id"]]["role"] == "lead"

    fresh = AgentClient(server.url, world.agent(company).account, PASSWORD)
    fresh.online()
    stale = AgentClient(server.url, world.agent(company).account, PASSWORD)
    stale.online()
    with world.db.write() as session:  # its desk has not been heard from for five minutes
        agent = session.get(m.Agent, stale.agent["id"])
        assert agent is not None
        agent.last_seen_at = m.utcnow() - dt.timedelta(minutes=5)
    never = world.agent(company)
    late = world.agent(company)
    shift = running_shift(lead, company.team_id, [late.id, fresh.agent["id"]],
                          started_min_ago=15)
    assert login(server.url, late.account, late.password).json()["code"] == "account_locked_late"

    board = _snapshot(lead, company.team_id)
    assert board[fresh.agent["id"]]["connection"] == "online"
    assert board[fresh.agent["id"]]["shift_id"] == shift["id"]
    assert board[fresh.agent["id"]]["last_login_at"] is not None
    assert (board[stale.agent["id"]]["presence"], board[stale.agent["id"]]["connection"]) == (
        "online", "degraded")
    assert board[never.id]["connection"] == "offline" and board[never.id]["last_seen_at"] is None
    locked = board[late.id]
    assert locked["locked"] is True and locked["lock_reason"] == "late_login"
    assert locked["locked_until"] is not None and locked["shift_id"] == shift["id"]
    assert not board[never.id]["locked"] and board[never.id]["lock_reason"] == ""
    other_team = world.agent(company, team_id=company.other_team_id)
    assert other_team.id not in board


def test_activity_timeline_has_the_login_lock_and_unlock(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    lead = AgentClient(server.url, world.agent(company, role="lead").account, PASSWORD)
    late = world.agent(company)
    running_shift(lead, company.team_id, [late.id], started_min_ago=20)
    assert login(server.url, late.account, late.password).status_code == 423
    assert lead.post(f"/api/v1/admin/agents/{late.id}/unlock").status_code == 200
    assert login(server.url, late.account, late.password).status_code == 200

    path = f"/api/v1/board/{company.team_id}/agents/{late.id}/activity"
    page = ActivityPage.model_validate(lead.get(path).json())  # default: the running shift
    assert [e.kind for e in page.events] == ["late_locked", "unlocked", "login"]
    assert page.events[0].detail["shift"] == "白班"
    now = dt.datetime.now(dt.UTC)
    window = {"start": (now - dt.timedelta(hours=1)).isoformat(),
              "end": (now + dt.timedelta(minutes=1)).isoformat()}
    assert len(lead.get(path, params=window).json()["events"]) == 3
    for bad in ({"start": window["end"], "end": window["start"]},
                {"start": (now - dt.timedelta(days=8)).isoformat(), "end": window["end"]},
                {"start": "yesterday"}):
        refused = lead.get(path, params=bad)
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_window", bad


def test_agents_and_leads_of_other_teams_get_403(server: ServerProcess, world: World) -> None:
    """Only leads and above see the board, and only of the teams they manage (H13.3)."""
    company = world.company()
    agent_ref = world.agent(company)
    agent = AgentClient(server.url, agent_ref.account, PASSWORD)
    colleague = world.agent(company)
    other_lead = AgentClient(
        server.url, world.agent(company, role="lead", team_id=company.other_team_id).account,
        PASSWORD)
    asked = http().post(f"{server.url}/api/v1/auth/password-reset-requests",
                        json={"account": colleague.account}, timeout=10)
    assert asked.status_code == 202
    with world.db.read() as session:
        request_id = session.query(m.ResetRequest.id).filter_by(agent_id=colleague.id).scalar()
    calls = (
        ("GET", f"/api/v1/board/{company.team_id}"),
        ("GET", f"/api/v1/board/{company.team_id}/agents/{colleague.id}/activity"),
        ("POST", f"/api/v1/admin/agents/{colleague.id}/force-offline"),
        ("POST", f"/api/v1/admin/agents/{colleague.id}/unlock"),
        ("POST", f"/api/v1/admin/reset-requests/{request_id}/approve"),
        ("POST", f"/api/v1/admin/reset-requests/{request_id}/dismiss"),
    )
    for caller in (agent, other_lead):
        for method, path in calls:
            response = caller.http.request(method, f"{server.url}{path}", timeout=10)
            assert response.status_code == 403, (caller.agent["role"], path, response.text)
            assert response.json()["code"] == "forbidden"
    assert login(server.url, colleague.account, PASSWORD).status_code == 200  # nothing changed


def test_the_demo_lead_sees_both_teams_and_demo_agents_are_never_late_locked(
    server: ServerProcess,
) -> None:
    """The demo (H13.1): default shifts with rosters; its lead manages both teams; the late lock
    is off, so the demo agents log in at any hour."""
    accounts = {a.account: a for a in DEMO_ACCOUNTS}
    spec = next(a for a in DEMO_ACCOUNTS if a.role == "lead")
    lead = AgentClient(server.url, spec.account, spec.password)
    rows = lead.get("/api/v1/sync/bootstrap", params={"limit": 5000}).json()["rows"]
    teams = {r["data"]["id"]: r["data"] for r in rows if r["entity"] == "team"}
    assert len(teams) == 2 and not any(t["late_login_lock"] for t in teams.values())
    shifts = [r["data"] for r in rows if r["entity"] == "shift"]
    assert {s["name"] for s in shifts} == {name for name, _s, _e in DEFAULT_SHIFTS_ZH}
    assert all(s["agent_ids"] for s in shifts)
    for team_id in teams:
        assert len(_snapshot(lead, team_id)) >= 3
    for account in ("20240001@demo.kefu", "20240003@demo.kefu", "20240004@demo.kefu"):
        assert login(server.url, account, accounts[account].password).status_code == 200

"""The demo's last week (server/demo_history.py), as the lead 赵雅婷 sees it on a real server."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from server.demo import DEMO_ACCOUNTS, DEMO_DOMAIN, TEAM_PRESALES, demo_id
from tests.support.api import AgentClient
from tests.support.server_proc import ServerProcess

LEAD = "20240010"


def _client(server: ServerProcess, employee_id: str) -> AgentClient:
    spec = next(a for a in DEMO_ACCOUNTS if a.account == f"{employee_id}@{DEMO_DOMAIN}")
    return AgentClient(server.url, spec.account, spec.password)


def _bootstrap(client: AgentClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 5000, **({"page": page} if page else {})}
        body = client.get("/api/v1/sync/bootstrap", params=params).json()
        rows.extend(body["rows"])
        page = body["next"]
        if not page:
            return rows


def test_lead_metrics_for_the_last_week_show_a_working_team(server: ServerProcess) -> None:
    """H12.1: served, first response, CSAT and conversions over the last 7 days are real."""
    lead = _client(server, LEAD)
    now = dt.datetime.now(dt.UTC)
    response = lead.get("/api/v1/metrics", params={
        "team_id": demo_id("team", TEAM_PRESALES),
        "start": (now - dt.timedelta(days=7)).isoformat(), "end": now.isoformat()})
    assert response.status_code == 200, response.text
    report = response.json()
    working = [a for a in report["agents"] if a["served"] > 0]
    assert len(working) >= 3
    total = report["total"]
    assert total["served"] >= 150
    assert total["first_response_median_ms"] is not None
    assert 0 < total["breaches"] < total["served"] / 3  # mostly within the standard
    assert total["rated"] > 0 and 3.5 <= total["csat_avg"] <= 5
    assert total["conversion_rate"] > 0
    assert total["resolution_rate"] == 1.0  # history is closed; today's live ones come later


def test_lead_bootstraps_a_pending_handover_and_the_problem_log(server: ServerProcess) -> None:
    """H13.2 / H13.4: last night's handover waits unacknowledged on the board; the log has a
    reviewed entry and an open one."""
    rows = _bootstrap(_client(server, LEAD))
    handovers = [r["data"] for r in rows if r["entity"] == "handover"]
    pending = [h for h in handovers
               if h["acked_at"] is None and any(i["acked_at"] is None for i in h["items"])]
    assert len(pending) == 1
    kinds = {i["kind"]: i for i in pending[0]["items"]}
    assert {"todo", "prospect", "callback"} <= kinds.keys()
    assert kinds["prospect"]["customer_id"] and kinds["callback"]["due_at"]
    customers = {r["id"] for r in rows if r["entity"] == "customer"}
    assert kinds["prospect"]["customer_id"] in customers
    assert pending[0]["to_agent_id"] == demo_id("agent", "20240001")
    problems = [r["data"] for r in rows if r["entity"] == "problem"]
    assert len(problems) >= 2
    reviewed = [p for p in problems if p["reviewed_at"]]
    assert reviewed and reviewed[0]["reviewed_by"] == demo_id("agent", LEAD)
    assert reviewed[0]["review_comment"]
    assert any(not p["reviewed_at"] for p in problems)


def test_an_agents_timeline_for_yesterday_is_not_empty(server: ServerProcess) -> None:
    """H13.3: the day agent's yesterday has a login, accepted and closed conversations."""
    tz = ZoneInfo("Asia/Shanghai")
    yesterday = dt.datetime.now(tz).date() - dt.timedelta(days=1)
    start = dt.datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=tz)
    response = _client(server, LEAD).get(
        f"/api/v1/board/{demo_id('team', TEAM_PRESALES)}/agents/"
        f"{demo_id('agent', '20240001')}/activity",
        params={"start": start.isoformat(),
                "end": (start + dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 200, response.text
    kinds = [e["kind"] for e in response.json()["events"]]
    assert kinds[0] == "login"
    assert kinds.count("accepted") >= 5 and kinds.count("closed") >= 5

"""Shifts for tests (H13.1, H1.3): a shift running since N minutes, in the server's zone."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from server.state import Settings
from tests.support.api import AgentClient

SERVER_ZONE = ZoneInfo(Settings(database_url="").timezone)


def hhmm(minutes_from_now: float, tz: ZoneInfo = SERVER_ZONE) -> str:
    """The wall time in the server's zone `minutes_from_now` (negative: in the past)."""
    when = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes_from_now)
    return when.astimezone(tz).strftime("%H:%M")


def running_shift(lead: AgentClient, team_id: str, agent_ids: list[str], *,
                  started_min_ago: float, name: str = "白班", hours: int = 4) -> dict[str, Any]:
    """The lead rosters `agent_ids` on a shift that started `started_min_ago` minutes ago and
    runs `hours` more; returns the shift.upsert arguments (its id under "id")."""
    args: dict[str, Any] = {
        "id": str(uuid.uuid4()), "team_id": team_id, "name": name,
        "starts": hhmm(-started_min_ago), "ends": hhmm(hours * 60),
        "agent_ids": agent_ids,
    }
    result = upsert_shift(lead, args)
    assert result["status"] == "applied", result
    return args


def upsert_shift(client: AgentClient, args: dict[str, Any]) -> dict[str, Any]:
    """Pushes shift.upsert (its "name" argument clashes with AgentClient.do's)."""
    mutation = client.mutation("shift.upsert")
    mutation["args"] = dict(args)
    return client.push(mutation)[0]

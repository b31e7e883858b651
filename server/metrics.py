"""H12.1 metrics per agent and shift: served, first response, breaches, resolution, CSAT, sales."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu_protocol.board import AgentMetrics, MetricsReport
from server import models as m
from server.errors import ApiError

# Definitions (one place, the board and the exports show these numbers):
# - served: conversations whose current owner is the agent and whose `assigned_at` (the moment
#   that owner got it: routing, accept, transfer) falls in [start, end). A conversation that was
#   never assigned is nobody's and counts for no one; a transferred one counts for its receiver.
# - first response median / p90: nearest-rank percentiles (the value at rank ceil(p·n)) over
#   the served conversations' `first_response_ms` (those never answered are left out).
# - breaches: served conversations answered later than the team's standard (the complaint
#   standard for complaints, H8.1).
# - resolved: served conversations that are closed; resolution_rate = resolved / served.
# - rated, csat_avg (mean score 1-5), csat_satisfied_rate (share of scores 4 or 5).
# - converted (converted_at set) and conversion_rate = converted / served.
# Rates and csat_avg are rounded to 4 places, None when their denominator is 0. The team total
# (agent_id "", name "全组") is computed over all the team's rows, not averaged from the agents.

TEAM_TOTAL_NAME_ZH = "全组"
MAX_WINDOW = dt.timedelta(days=31)


@dataclass(frozen=True)
class _Row:
    agent_id: str
    first_response_ms: int | None
    breached: bool
    closed: bool
    rating: int | None
    converted: bool


def parse_instant(value: str, name: str) -> dt.datetime:
    """An ISO 8601 instant with its zone, in UTC; ApiError("invalid_window") otherwise."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ApiError("invalid_window", detail=f"{name} 不是 ISO 8601 时间") from None
    if parsed.tzinfo is None:
        raise ApiError("invalid_window", detail=f"{name} 缺少时区")
    return parsed.astimezone(dt.UTC)


def nearest_rank(sorted_values: list[int], fraction: float) -> int | None:
    """The nearest-rank percentile of already sorted values (None when there are none)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summarize(agent_id: str, name: str, rows: list[_Row]) -> AgentMetrics:
    """The H12.1 figures of one agent's (or the team's) rows."""
    times = sorted(r.first_response_ms for r in rows if r.first_response_ms is not None)
    ratings = [r.rating for r in rows if r.rating is not None]
    served = len(rows)
    resolved = sum(r.closed for r in rows)
    converted = sum(r.converted for r in rows)
    return AgentMetrics(
        agent_id=agent_id, name=name, served=served,
        first_response_median_ms=nearest_rank(times, 0.5),
        first_response_p90_ms=nearest_rank(times, 0.9),
        breaches=sum(r.breached for r in rows),
        resolved=resolved, resolution_rate=_rate(resolved, served),
        rated=len(ratings),
        csat_avg=round(sum(ratings) / len(ratings), 4) if ratings else None,
        csat_satisfied_rate=_rate(sum(1 for r in ratings if r >= 4), len(ratings)),
        converted=converted, conversion_rate=_rate(converted, served),
    )


def _rows(
    session: Session, team: m.Team, agent_ids: list[str], start: dt.datetime, end: dt.datetime
) -> list[_Row]:
    """One read of the window's conversations of the team's agents (index on agent_id)."""
    if not agent_ids:
        return []
    c = m.Conversation
    result = session.execute(
        select(c.agent_id, c.first_response_ms, c.is_complaint, c.state, c.rating,
               c.converted_at)
        .where(c.agent_id.in_(agent_ids), c.assigned_at >= start, c.assigned_at < end)
    ).all()
    rows = []
    for agent_id, first_ms, complaint, state, rating, converted_at in result:
        standard_ms = 1000 * (team.complaint_response_s if complaint else team.first_response_s)
        rows.append(_Row(
            agent_id=str(agent_id), first_response_ms=first_ms,
            breached=first_ms is not None and first_ms > standard_ms,
            closed=state == "closed", rating=rating, converted=converted_at is not None,
        ))
    return rows


def team_metrics(
    session: Session,
    team: m.Team,
    start: dt.datetime,
    end: dt.datetime,
    *,
    shift_id: str | None = None,
) -> MetricsReport:
    """H12.1 for every agent of `team` (by name) and the team total over [start, end)."""
    agents = sorted(  # by name in Python: the same order on SQLite and PostgreSQL collations
        session.execute(select(m.Agent.id, m.Agent.name).where(m.Agent.team_id == team.id)),
        key=lambda a: (a.name, a.id),
    )
    rows = _rows(session, team, [a.id for a in agents], start, end)
    by_agent: dict[str, list[_Row]] = {}
    for row in rows:
        by_agent.setdefault(row.agent_id, []).append(row)
    return MetricsReport(
        team_id=team.id, start=start.astimezone(dt.UTC).isoformat(),
        end=end.astimezone(dt.UTC).isoformat(), shift_id=shift_id,
        agents=[summarize(a.id, a.name, by_agent.get(a.id, [])) for a in agents],
        total=summarize("", TEAM_TOTAL_NAME_ZH, rows),
    )

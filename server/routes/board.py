"""The lead's board endpoints (leads and above, server-enforced): liveness, locks, timelines."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu_protocol.board import (
    DEGRADED_AFTER_S,
    ActivityPage,
    ActivityRow,
    BoardAgent,
    BoardSnapshot,
    Connection,
    ResetRequestRow,
)
from server import models as m
from server.activity import timeline
from server.deps import PrincipalDep, StateDep, require_role
from server.errors import ApiError
from server.metrics import parse_instant
from server.principal import Principal
from server.shift_time import zone
from server.shifts import (
    LOGGED_IN_BEFORE_START,
    current_shift_ids,
    ensure_default_shifts,
    latest_shift,
)

router = APIRouter(prefix="/api/v1", tags=["board"])

MAX_WINDOW = dt.timedelta(days=7)
DEFAULT_WINDOW = dt.timedelta(hours=12)
When = Annotated[str | None, Query(max_length=40)]


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _require_board(session: Session, principal: Principal, team_id: str) -> m.Team:
    """Leads and above, of a team they see; agents get 403 whatever the team."""
    require_role(principal, "lead")
    if not principal.sees_team(team_id):
        raise ApiError("forbidden")
    team = session.get(m.Team, team_id)
    if team is None or team.company_id != principal.company_id:
        raise ApiError("not_found")
    return team


def connection_of(agent: m.Agent, now: dt.datetime) -> Connection:
    """H1.12: presence as the agent set it, "degraded" when their desk has not been heard from
    for DEGRADED_AFTER_S, "offline" when offline or never seen."""
    if agent.presence == "offline" or agent.last_seen_at is None:
        return "offline"
    if (now - agent.last_seen_at).total_seconds() > DEGRADED_AFTER_S:
        return "degraded"
    presence = agent.presence
    return presence if presence in ("online", "busy", "away") else "offline"  # type: ignore[return-value]


def _board_agent(agent: m.Agent, now: dt.datetime, shift_id: str | None) -> BoardAgent:
    locked = agent.locked_until is not None and agent.locked_until > now
    return BoardAgent(
        id=agent.id, name=agent.name, account=agent.account, role=agent.role,
        presence=agent.presence, connection=connection_of(agent, now),
        last_seen_at=_iso(agent.last_seen_at), last_login_at=_iso(agent.last_login_at),
        locked=locked, lock_reason=agent.lock_reason if locked else "",
        locked_until=_iso(agent.locked_until) if locked else None, shift_id=shift_id,
    )


@router.get("/board/{team_id}", response_model=BoardSnapshot,
            summary="The lead's board: every agent's liveness and locks, pending reset requests")
def board(team_id: str, principal: PrincipalDep, state: StateDep) -> BoardSnapshot:
    with state.db.read() as session:
        _require_board(session, principal, team_id)
        has_shifts = session.scalar(select(m.Shift.id).where(m.Shift.team_id == team_id).limit(1))
    if not has_shifts:  # a team made before shifts existed gets the defaults (H13.1)
        with state.changing() as changes:
            team = changes.session.get(m.Team, team_id, with_for_update=True)
            if team is not None:
                ensure_default_shifts(changes.session, changes, team)
    now = m.utcnow()
    with state.db.read() as session:
        agents = session.scalars(
            select(m.Agent).where(m.Agent.team_id == team_id, m.Agent.disabled.is_(False))
            .order_by(m.Agent.employee_id)
        ).all()
        on_shift = current_shift_ids(session, team_id, now, zone(state.settings.timezone))
        requests = session.execute(
            select(m.ResetRequest, m.Agent)
            .join(m.Agent, m.Agent.id == m.ResetRequest.agent_id)
            .where(m.Agent.team_id == team_id, m.ResetRequest.state == "pending")
            .order_by(m.ResetRequest.requested_at)
        ).all()
        return BoardSnapshot(
            team_id=team_id, at=now.isoformat(),
            agents=[_board_agent(a, now, on_shift.get(a.id)) for a in agents],
            reset_requests=[
                ResetRequestRow(id=r.id, agent_id=a.id, account=a.account, name=a.name,
                                requested_at=r.requested_at.astimezone(dt.UTC).isoformat())
                for r, a in requests
            ],
        )


def _window(session: Session, agent: m.Agent, start: str | None, end: str | None,
            tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    now = m.utcnow()
    if start is None and end is None:
        shift = latest_shift(session, agent, now, zone(tz_name))
        if shift is not None:  # from an hour before its start: logging in on time shows
            return shift[1] - LOGGED_IN_BEFORE_START, shift[2]
        return now - DEFAULT_WINDOW, now + dt.timedelta(seconds=1)
    until = parse_instant(end, "end") if end is not None else now + dt.timedelta(seconds=1)
    since = parse_instant(start, "start") if start is not None else until - DEFAULT_WINDOW
    if until <= since:
        raise ApiError("invalid_window", detail="结束时间须晚于开始时间")
    if until - since > MAX_WINDOW:
        raise ApiError("invalid_window", detail="最长 7 天")
    return since, until


@router.get("/board/{team_id}/agents/{agent_id}/activity", response_model=ActivityPage,
            summary="One agent's timeline (H13.3): the current or latest shift by default")
def activity(team_id: str, agent_id: str, principal: PrincipalDep, state: StateDep,
             start: When = None, end: When = None) -> ActivityPage:
    with state.db.read() as session:
        _require_board(session, principal, team_id)
        agent = session.get(m.Agent, agent_id)
        if agent is None or agent.team_id != team_id:
            raise ApiError("not_found")
        since, until = _window(session, agent, start, end, state.settings.timezone)
        events = timeline(session, agent_id, since, until)
        return ActivityPage(agent_id=agent_id, events=[
            ActivityRow(at=e.at.astimezone(dt.UTC).isoformat(), kind=e.kind,
                        conversation_id=e.conversation_id, detail=dict(e.detail or {}))
            for e in events
        ])

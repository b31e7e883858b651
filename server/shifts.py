"""Shifts of a team (H13.1): the defaults every team gets, and who is on a running shift now."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu_protocol.wire import DEFAULT_SHIFTS_ZH, ROLE_RANK
from server import models as m
from server.changes import ChangeWriter, team_scope
from server.shift_time import instance_at, latest_instance

ShiftInstance = tuple[m.Shift, dt.datetime, dt.datetime]
# Default shifts get stable ids (team, name), so two processes creating them agree.
_NAMESPACE = uuid.UUID("5d1f3c2a-8e47-4b0a-9c61-73686966742e")


def ensure_default_shifts(
    session: Session,
    changes: ChangeWriter | None,
    team: m.Team,
    *,
    rosters: dict[str, list[str]] | None = None,
) -> list[m.Shift]:
    """Creates DEFAULT_SHIFTS_ZH (白班, 夜班, 常规班) for a team that has no shift yet, with the
    optional `rosters` (shift name -> agent ids), and publishes them to the team when `changes`
    is given; a team that has shifts is left alone. Returns the shifts created."""
    if session.scalar(select(m.Shift.id).where(m.Shift.team_id == team.id).limit(1)):
        return []
    created: list[m.Shift] = []
    for name, starts, ends in DEFAULT_SHIFTS_ZH:
        shift = m.Shift(id=str(uuid.uuid5(_NAMESPACE, f"{team.id}/{name}")),
                        team_id=team.id, name=name, starts=starts, ends=ends,
                        agent_ids=list((rosters or {}).get(name, [])), version=1)
        session.add(shift)
        created.append(shift)
    session.flush()
    if changes is not None:
        for shift in created:
            changes.upsert(team_scope(team.id), shift)
    return created


def rostered_shifts(session: Session, agent: m.Agent) -> list[m.Shift]:
    """The shifts of the agent's team whose roster names the agent."""
    shifts = session.scalars(
        select(m.Shift).where(m.Shift.team_id == agent.team_id).order_by(m.Shift.starts)
    ).all()
    return [s for s in shifts if agent.id in (s.agent_ids or [])]


def current_shift(
    session: Session, agent: m.Agent, now: dt.datetime, tz: ZoneInfo
) -> ShiftInstance | None:
    """The shift the agent is rostered on whose instance runs at `now`, as (shift, start, end)
    in UTC; of several overlapping ones the one that started last."""
    running: list[ShiftInstance] = []
    for shift in rostered_shifts(session, agent):
        window = instance_at(shift.starts, shift.ends, now, tz)
        if window is not None:
            running.append((shift, *window))
    return max(running, key=lambda item: item[1]) if running else None


def latest_shift(
    session: Session, agent: m.Agent, now: dt.datetime, tz: ZoneInfo
) -> ShiftInstance | None:
    """The running rostered shift, else the rostered one that ended most recently."""
    running = current_shift(session, agent, now, tz)
    if running is not None:
        return running
    ended = [(s, *latest_instance(s.starts, s.ends, now, tz))
             for s in rostered_shifts(session, agent)]
    return max(ended, key=lambda item: item[2]) if ended else None


def current_shift_ids(
    session: Session, team_id: str, now: dt.datetime, tz: ZoneInfo
) -> dict[str, str]:
    """agent id -> the id of the running shift they are rostered on, for a whole team."""
    found: dict[str, tuple[dt.datetime, str]] = {}
    for shift in session.scalars(select(m.Shift).where(m.Shift.team_id == team_id)):
        window = instance_at(shift.starts, shift.ends, now, tz)
        if window is None:
            continue
        for agent_id in shift.agent_ids or []:
            if agent_id not in found or found[agent_id][0] < window[0]:
                found[str(agent_id)] = (window[0], shift.id)
    return {agent_id: shift_id for agent_id, (_start, shift_id) in found.items()}


LOGGED_IN_BEFORE_START = dt.timedelta(minutes=60)
"""A login this long before the shift's start counts as being there on time (H1.3)."""


def late_for(
    session: Session, agent: m.Agent, now: dt.datetime, tz: ZoneInfo
) -> ShiftInstance | None:
    """H1.3: the running shift the agent is late for, or None. Late means: the team's
    late_login_lock is on, the agent (below lead) is rostered on a shift running now, the
    team's grace after its start has passed, the agent has not logged in since an hour before
    the start, and no lead has already let them in for this instance (late_ok_for)."""
    if ROLE_RANK.get(agent.role, 0) >= ROLE_RANK["lead"]:
        return None
    team = session.get(m.Team, agent.team_id)
    if team is None or not team.late_login_lock:
        return None
    running = current_shift(session, agent, now, tz)
    if running is None:
        return None
    _shift, start, _end = running
    if now <= start + dt.timedelta(minutes=team.late_login_grace_min):
        return None
    if agent.late_ok_for is not None and agent.late_ok_for == start:
        return None
    if agent.last_login_at is not None and agent.last_login_at >= start - LOGGED_IN_BEFORE_START:
        return None
    return running

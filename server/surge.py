"""Surge detection (H11.4): incoming volume against the usual rate for the hour of day."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kefu_protocol.wire import (
    SURGE_FACTOR,
    SURGE_HISTORY_DAYS,
    SURGE_MIN_BASELINE_PER_HOUR,
    SURGE_WINDOW_MIN,
)
from server import models as m
from server.changes import ChangeWriter, team_scope
from server.shift_time import zone

DEFAULT_TIMEZONE = "Asia/Shanghai"


def active_surge(session: Session, team_id: str) -> m.Surge | None:
    """The team's surge that has not ended yet, if any."""
    return session.scalars(
        select(m.Surge).where(m.Surge.team_id == team_id, m.Surge.ended_at.is_(None)).limit(1)
    ).first()


def ended_recently(session: Session, team_id: str, now: dt.datetime) -> bool:
    """A lead ended a surge within the last SURGE_WINDOW_MIN minutes: their decision holds,
    the same busy quarter hour does not start a new one."""
    since = now - dt.timedelta(minutes=SURGE_WINDOW_MIN)
    return session.scalar(
        select(func.count()).select_from(m.Surge).where(
            m.Surge.team_id == team_id, m.Surge.ended_at > since)
    ) > 0


def current_rate(session: Session, team_id: str, now: dt.datetime) -> float:
    """Conversations created in the team over the last SURGE_WINDOW_MIN minutes, per hour."""
    since = now - dt.timedelta(minutes=SURGE_WINDOW_MIN)
    count = session.scalar(
        select(func.count()).select_from(m.Conversation).where(
            m.Conversation.team_id == team_id,
            m.Conversation.created_at > since,
            m.Conversation.created_at <= now,
        )
    )
    return float(count or 0) * 60.0 / SURGE_WINDOW_MIN


def baseline(session: Session, team_id: str, now: dt.datetime, timezone: str) -> float:
    """The mean number of conversations created in the same local hour of day (company zone)
    on each of the previous SURGE_HISTORY_DAYS days, never below SURGE_MIN_BASELINE_PER_HOUR.
    One count over the day-by-day hour windows (wall-clock hours, so DST-safe)."""
    tz = zone(timezone)
    local = now.astimezone(tz)
    windows = []
    for days_back in range(1, SURGE_HISTORY_DAYS + 1):
        day = local.date() - dt.timedelta(days=days_back)
        start = dt.datetime(day.year, day.month, day.day, local.hour, tzinfo=tz)
        end = start + dt.timedelta(hours=1)
        windows.append(
            (m.Conversation.created_at >= start.astimezone(dt.UTC))
            & (m.Conversation.created_at < end.astimezone(dt.UTC))
        )
    count = session.scalar(
        select(func.count()).select_from(m.Conversation).where(
            m.Conversation.team_id == team_id, or_(*windows)
        )
    )
    return max(float(count or 0) / SURGE_HISTORY_DAYS, SURGE_MIN_BASELINE_PER_HOUR)


def check_surge(
    session: Session,
    changes: ChangeWriter,
    team: m.Team,
    now: dt.datetime,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> m.Surge | None:
    """Called in the transaction that created a conversation (after it is flushed): when the
    team's rate exceeds SURGE_FACTOR x its baseline and no surge is active, starts an "auto"
    surge and publishes it to the team scope (every agent's feed). Returns the new surge.

    Cheap on every new conversation: one indexed lookup for an active surge, one indexed count
    over the last window (ix_conversation_team_created), and only when that count could beat
    the floor, one count for the baseline. An auto surge is not ended automatically when the
    volume falls: it stays until a lead ends it (surge.end), so the response is a decision;
    after that, detection waits one window (ended_recently)."""
    if active_surge(session, team.id) is not None or ended_recently(session, team.id, now):
        return None
    rate = current_rate(session, team.id, now)
    if rate <= SURGE_FACTOR * SURGE_MIN_BASELINE_PER_HOUR:
        return None  # cannot beat even the floor: skip the history count
    usual = baseline(session, team.id, now, timezone)
    if rate <= SURGE_FACTOR * usual:
        return None
    # Two new conversations at once must not start two surges: take the team's row lock (a
    # no-op on SQLite, whose writers are serial) and look again.
    session.execute(select(m.Team.id).where(m.Team.id == team.id).with_for_update())
    if active_surge(session, team.id) is not None:
        return None
    surge = m.Surge(
        id=str(uuid.uuid4()), team_id=team.id, source="auto", started_at=now,
        rate_per_hour=rate, baseline_per_hour=usual, note="",
    )
    session.add(surge)
    session.flush()
    changes.upsert(team_scope(team.id), surge)
    return surge

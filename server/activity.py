"""Writes and reads an agent's shift timeline (H13.3): logins, status, conversations, breaches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import models as m

KINDS: frozenset[str] = frozenset({
    "login", "logout", "presence", "accepted", "closed", "transferred_in", "transferred_out",
    "reassigned", "breach", "handover_sent", "handover_acked", "forced_offline", "unlocked",
    "late_locked", "problem",
})


def record(
    session: Session,
    *,
    agent_id: str,
    team_id: str,
    kind: str,
    at: dt.datetime | None = None,
    conversation_id: str | None = None,
    **detail: Any,
) -> None:
    """Adds one event to the agent's timeline, in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")
    session.add(m.Activity(
        team_id=team_id, agent_id=agent_id, at=at or m.utcnow(), kind=kind,
        conversation_id=conversation_id, detail=dict(detail),
    ))


def timeline(
    session: Session, agent_id: str, start: dt.datetime, end: dt.datetime, *, limit: int = 5000
) -> list[m.Activity]:
    """The agent's events in [start, end), oldest first."""
    return list(session.scalars(
        select(m.Activity)
        .where(m.Activity.agent_id == agent_id, m.Activity.at >= start, m.Activity.at < end)
        .order_by(m.Activity.at, m.Activity.id)
        .limit(limit)
    ))

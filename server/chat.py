"""Conversation domain rules shared by agents' mutations and the visitor API (H3, H14)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu_protocol.wire import TRANSFER_NOTICE_ZH
from server import activity
from server import models as m
from server.changes import ChangeWriter, conversation_wake_key, team_scope

CLOSING_NOTICE_ZH = "本次会话已结束，感谢您的咨询！欢迎为本次服务评价。"
ASSIGNED_NOTICE_ZH = "客服{name}正在为您服务"
DEFAULT_AUTO_REPLY_ZH = "您好，当前咨询人数较多，已为您排队，客服将尽快为您服务。"


class FeedBatch:
    """Feed rows held back during a bulk change (H13.3: hundreds of conversations in one
    mutation) and written after one flush, so the ORM batches its inserts instead of flushing
    once per row. Each row is snapshotted when written, i.e. in its final state."""

    def __init__(self) -> None:
        self._rows: list[tuple[str, m.Base]] = []

    def add(self, scope: str, row: m.Base) -> None:
        self._rows.append((scope, row))

    def write(self, session: Session, changes: ChangeWriter) -> None:
        session.flush()
        for scope, row in self._rows:
            _upsert(changes, scope, row)
        self._rows.clear()


def _upsert(changes: ChangeWriter, scope: str, row: m.Base) -> None:
    changes.upsert(scope, row)
    if isinstance(row, m.Conversation):  # the customer's page follows state and queue changes
        changes.wake_also(conversation_wake_key(row.id))


def publish(
    session: Session, changes: ChangeWriter, row: m.Base, team_id: str, *,
    batch: FeedBatch | None = None,
) -> None:
    """Appends `row` to the team's feed now (after a flush), or to `batch` for later."""
    if batch is not None:
        batch.add(team_scope(team_id), row)
        return
    session.flush()
    _upsert(changes, team_scope(team_id), row)


def touch(row: m.Conversation | m.Agent) -> None:
    row.version = (row.version or 0) + 1


def append_message(
    session: Session,
    changes: ChangeWriter,
    conv: m.Conversation,
    *,
    sender: str,
    text: str,
    now: dt.datetime,
    message_id: str | None = None,
    agent_id: str | None = None,
    batch: FeedBatch | None = None,
    card: dict[str, Any] | None = None,
) -> m.Message:
    """Adds a message with the next per-conversation sequence and republishes the conversation.
    `card` (an order card, kefu_protocol.shop) travels with the message; `text` is its
    readable fallback and what the conversation list shows."""
    conv.message_count = (conv.message_count or 0) + 1
    message = m.Message(
        id=message_id or str(uuid.uuid4()),
        conversation_id=conv.id,
        seq=conv.message_count,
        sender=sender,
        agent_id=agent_id,
        text=text,
        created_at=now,
        card=card,
    )
    session.add(message)
    conv.last_message_at = now
    conv.last_message_text = text[:200]
    if sender == "customer":
        conv.last_customer_message_at = now
        if conv.awaiting_reply_since is None:
            conv.awaiting_reply_since = now
    elif sender == "agent":
        conv.awaiting_reply_since = None
        if conv.first_response_at is None:
            conv.first_response_at = now
            conv.first_response_ms = int((now - conv.created_at).total_seconds() * 1000)
            _record_breach(session, conv, agent_id, now)
    touch(conv)
    publish(session, changes, message, conv.team_id, batch=batch)
    publish(session, changes, conv, conv.team_id, batch=batch)
    changes.wake_also(conversation_wake_key(conv.id))
    return message


def _record_breach(
    session: Session, conv: m.Conversation, agent_id: str | None, now: dt.datetime
) -> None:
    """H8.1 / H13.3: a first reply later than the team's standard (the complaint standard for
    a complaint) is a breach on the replying agent's timeline."""
    team = session.get(m.Team, conv.team_id)
    if team is None or agent_id is None or conv.first_response_ms is None:
        return
    standard_s = team.complaint_response_s if conv.is_complaint else team.first_response_s
    if conv.first_response_ms > standard_s * 1000:
        activity.record(session, agent_id=agent_id, team_id=conv.team_id, kind="breach", at=now,
                        conversation_id=conv.id, first_response_ms=conv.first_response_ms,
                        standard_s=standard_s)


def agent_load(session: Session, agent_id: str) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                m.Conversation.agent_id == agent_id, m.Conversation.state == "open"
            )
        )
        or 0
    )


def available_agents(
    session: Session, team: m.Team, *, now: dt.datetime, presence_ttl_s: int
) -> list[tuple[int, m.Agent]]:
    """Online, recently seen agents of the team under their load cap, least loaded first."""
    fresh = now - dt.timedelta(seconds=presence_ttl_s)
    agents = session.scalars(
        select(m.Agent).where(
            m.Agent.team_id == team.id,
            m.Agent.presence == "online",
            m.Agent.disabled.is_(False),
            m.Agent.last_seen_at >= fresh,
        )
    ).all()
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    loaded = [(agent_load(session, a.id), a) for a in agents]
    loaded = [(load, a) for load, a in loaded if load < team.max_load]
    loaded.sort(key=lambda pair: (pair[0], pair[1].last_assigned_at or floor, pair[1].id))
    return loaded


def assign(
    session: Session,
    changes: ChangeWriter,
    conv: m.Conversation,
    agent: m.Agent,
    *,
    now: dt.datetime,
    announce: bool = True,
) -> None:
    conv.agent_id = agent.id
    conv.state = "open"
    conv.assigned_at = now
    agent.last_assigned_at = now
    touch(conv)
    activity.record(session, agent_id=agent.id, team_id=conv.team_id, kind="accepted", at=now,
                    conversation_id=conv.id)
    if announce:
        text = ASSIGNED_NOTICE_ZH.format(name=agent.name)
        append_message(session, changes, conv, sender="system", text=text, now=now)
    else:
        publish(session, changes, conv, conv.team_id)


def route_new_conversation(
    session: Session,
    changes: ChangeWriter,
    conv: m.Conversation,
    team: m.Team,
    *,
    now: dt.datetime,
    presence_ttl_s: int,
    preferred: m.Agent | None = None,
) -> None:
    """H14.1: the requested or least-loaded free agent; H14.2: otherwise queue + auto-reply."""
    candidates = available_agents(session, team, now=now, presence_ttl_s=presence_ttl_s)
    chosen = None
    if preferred is not None:
        chosen = next((a for _load, a in candidates if a.id == preferred.id), None)
    if chosen is None and candidates:
        chosen = candidates[0][1]
    if chosen is not None:
        assign(session, changes, conv, chosen, now=now)
        return
    reply = team.auto_reply or DEFAULT_AUTO_REPLY_ZH
    append_message(session, changes, conv, sender="system", text=reply, now=now)


def drain_queue(
    session: Session, changes: ChangeWriter, team_id: str, *, now: dt.datetime, presence_ttl_s: int
) -> int:
    """Gives queued conversations (oldest first) to free agents; returns how many were assigned."""
    team = session.get(m.Team, team_id)
    if team is None:
        return 0
    queued = session.scalars(
        select(m.Conversation)
        .where(
            m.Conversation.team_id == team_id,
            m.Conversation.state == "queued",
            m.Conversation.agent_id.is_(None),
        )
        .order_by(m.Conversation.created_at, m.Conversation.id)
        .limit(50)
    ).all()
    assigned = 0
    for conv in queued:
        candidates = available_agents(session, team, now=now, presence_ttl_s=presence_ttl_s)
        if not candidates:
            break
        # One microsecond apart: conversations assigned together keep their arrival order in
        # every agent's list instead of tying on the same instant.
        at = now + dt.timedelta(microseconds=assigned)
        assign(session, changes, conv, candidates[0][1], now=at)
        session.flush()
        assigned += 1
    return assigned


def transfer_notice(agent_name: str) -> str:
    """H3.4: what the customer is told when a colleague takes over."""
    return TRANSFER_NOTICE_ZH.format(name=agent_name)


def queue_position(session: Session, conv: m.Conversation) -> int:
    if conv.state != "queued":
        return 0
    ahead = session.scalar(
        select(func.count()).where(
            m.Conversation.team_id == conv.team_id,
            m.Conversation.state == "queued",
            m.Conversation.created_at < conv.created_at,
        )
    )
    return int(ahead or 0) + 1

"""Chat-record search on the server, for history older than a client's cache (H14.3, H9.3)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Select, and_, exists, or_, select

from kefu_protocol.wire import (
    MAX_SEARCH_LIMIT,
    MAX_SEARCH_QUERY_CHARS,
    MessageSearchHit,
    MessageSearchPage,
)
from server import models as m
from server.changes import to_wire
from server.deps import PrincipalDep, StateDep
from server.errors import ApiError
from server.principal import Principal

router = APIRouter(prefix="/api/v1/search", tags=["search"])

Id = Annotated[str | None, Query(max_length=36)]


def like_pattern(q: str) -> str:
    """A substring pattern: Chinese is not word-split, so one or two characters match (H9.3)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _encode(created_at: dt.datetime, message_id: str) -> str:
    raw = json.dumps([created_at.astimezone(dt.UTC).isoformat(), message_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        at, message_id = json.loads(raw)
        return _aware(dt.datetime.fromisoformat(at)), str(message_id)
    except (ValueError, TypeError) as exc:
        raise ApiError("invalid_cursor") from exc


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _filters(stmt: Select[Any], principal: Principal, *, q: str, customer_id: str | None,
             agent_id: str | None, since: dt.datetime | None,
             until: dt.datetime | None) -> Select[Any]:
    stmt = stmt.where(
        m.Conversation.team_id.in_(principal.team_ids),
        m.Message.text.ilike(like_pattern(q), escape="\\"),
    )
    if customer_id:
        stmt = stmt.where(m.Conversation.customer_id == customer_id)
    if agent_id:  # conversations the agent holds or wrote in
        wrote = exists().where(m.Message.conversation_id == m.Conversation.id,
                               m.Message.agent_id == agent_id).correlate(m.Conversation)
        stmt = stmt.where(or_(m.Conversation.agent_id == agent_id, wrote))
    if since is not None:
        stmt = stmt.where(m.Message.created_at >= _aware(since))
    if until is not None:
        stmt = stmt.where(m.Message.created_at < _aware(until))
    return stmt


@router.get("/messages", response_model=MessageSearchPage,
            summary="Messages containing q in the caller's teams, newest first (H14.3)")
def search_messages(
    principal: PrincipalDep,
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_SEARCH_QUERY_CHARS)],
    customer_id: Id = None,
    agent_id: Id = None,
    since: Annotated[dt.datetime | None, Query()] = None,
    until: Annotated[dt.datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_LIMIT)] = 50,
    before: Annotated[str | None, Query(max_length=400)] = None,
) -> MessageSearchPage:
    needle = q.strip()
    if not needle:
        raise ApiError("invalid_request", detail="q: 搜索内容不能为空")
    stmt = (
        select(m.Message, m.Conversation.customer_id, m.Customer.nickname)
        .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
        .join(m.Customer, m.Customer.id == m.Conversation.customer_id)
    )
    stmt = _filters(stmt, principal, q=needle, customer_id=customer_id, agent_id=agent_id,
                    since=since, until=until)
    if before:
        at, message_id = _decode(before)
        stmt = stmt.where(or_(m.Message.created_at < at,
                              and_(m.Message.created_at == at, m.Message.id < message_id)))
    stmt = stmt.order_by(m.Message.created_at.desc(), m.Message.id.desc()).limit(limit + 1)
    with state.db.read() as session:
        rows = session.execute(stmt).all()
        hits = [
            MessageSearchHit(message=to_wire(message), conversation_id=message.conversation_id,
                             customer_id=customer, customer_nickname=nickname)
            for message, customer, nickname in rows[:limit]
        ]
        last = rows[limit - 1][0] if len(rows) > limit else None
        after = _encode(last.created_at, last.id) if last is not None else None
    return MessageSearchPage(hits=hits, next=after)

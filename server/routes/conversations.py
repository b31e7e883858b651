"""Read-only history older than a client's cache (lazy scroll-back), scoped by team."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from kefu_protocol.wire import MessagePage
from server import models as m
from server.changes import to_wire
from server.deps import PrincipalDep, StateDep
from server.errors import ApiError
from server.routes.visitor import MAX_SEQ

router = APIRouter(prefix="/api/v1/conversations", tags=["history"])


@router.get("/{conversation_id}/messages", response_model=MessagePage,
            summary="Messages before a sequence number, newest first")
def history(
    conversation_id: str,
    principal: PrincipalDep,
    state: StateDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_SEQ)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MessagePage:
    with state.db.read() as session:
        conv = session.get(m.Conversation, conversation_id)
        if conv is None or not principal.sees_team(conv.team_id):
            raise ApiError("not_found")
        stmt = select(m.Message).where(m.Message.conversation_id == conv.id)
        if before is not None:
            stmt = stmt.where(m.Message.seq < before)
        rows = session.scalars(stmt.order_by(m.Message.seq.desc()).limit(limit + 1)).all()
        return MessagePage(messages=[to_wire(r) for r in rows[:limit]],
                           has_more=len(rows) > limit)

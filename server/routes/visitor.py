"""The customer's API (H14): sessions, messages (long-poll), rating. Used by /chat."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from kefu_protocol.wire import (
    MAX_WAIT_SECONDS,
    RatingRequest,
    VisitorMessageRequest,
    VisitorMessages,
    VisitorSessionRequest,
    VisitorSessionResponse,
)
from server import visitor
from server.changes import conversation_wake_key
from server.deps import StateDep, bearer_token, client_address
from server.state import ServerState

router = APIRouter(prefix="/api/v1/visitor", tags=["visitor"])

# A message's sequence number is an INTEGER column (per conversation): a larger query value is
# 400, not an "integer out of range" 500 from PostgreSQL (SQLite's integers are all 64-bit).
MAX_SEQ = 2**31 - 1


class Ok(BaseModel):
    ok: bool = True


class VisitorState(VisitorMessages):
    queue_position: int = 0


def _identify(state: ServerState, authorization: str | None) -> visitor.VisitorIdentity:
    token = bearer_token(authorization)
    with state.db.read() as session:
        return visitor.identify(session, token)


@router.post("/sessions", response_model=VisitorSessionResponse,
             summary="Start a chat (routed to the least-loaded free agent, or queued)",
             responses={403: {"description": "visitor_blocked"}})
def start(body: VisitorSessionRequest, request: Request, state: StateDep) -> VisitorSessionResponse:
    with state.changing() as changes:
        token, conversation_id = visitor.start_session(
            changes.session, changes, state.settings, body, address=client_address(request)
        )
    return VisitorSessionResponse(visitor_token=token, conversation_id=conversation_id)


@router.post("/messages", response_model=Ok, summary="Send a message (idempotent by id)")
def send(body: VisitorMessageRequest, state: StateDep,
         authorization: Annotated[str | None, Header()] = None) -> Ok:
    who = _identify(state, authorization)
    with state.changing() as changes:
        visitor.post_message(changes.session, changes, who, message_id=body.id, text=body.text)
    return Ok()


@router.get("/messages", response_model=VisitorState,
            summary="Messages after a sequence number; with wait>0 a long-poll")
async def receive(
    state: StateDep,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0.0,
    authorization: Annotated[str | None, Header()] = None,
) -> VisitorState:
    who = await run_in_threadpool(_identify, state, authorization)
    deadline = time.monotonic() + wait
    woken = False  # a wake without new messages is a state change (accepted, closed, queue)
    with state.notifier.subscribe([conversation_wake_key(who.conversation_id)]) as subscription:
        while True:
            subscription.clear()
            view = await run_in_threadpool(_read, state, who, after)
            remaining = deadline - time.monotonic()
            if view.messages or woken or remaining <= 0:
                break
            woken = await subscription.wait(min(remaining, 2.0))
    return VisitorState(messages=view.messages, state=view.state,
                        queue_position=view.queue_position,
                        rating_requested=view.rating_requested, rated=view.rated)


def _read(state: ServerState, who: visitor.VisitorIdentity, after: int) -> visitor.VisitorView:
    with state.db.read() as session:
        return visitor.read_messages(session, who, after=after)


@router.post("/rating", response_model=Ok,
             summary="Rate the conversation once it ended or the agent asked (H14.4)")
def rating(body: RatingRequest, state: StateDep,
           authorization: Annotated[str | None, Header()] = None) -> Ok:
    who = _identify(state, authorization)
    with state.changing() as changes:
        visitor.rate(changes.session, changes, who, score=body.score, comment=body.comment)
    return Ok()

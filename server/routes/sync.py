"""Sync protocol v1 endpoints: push, pull (long-poll) and bootstrap."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from kefu_protocol.wire import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    MAX_WAIT_SECONDS,
    BootstrapResponse,
    PullResponse,
    PushRequest,
    PushResponse,
)
from server import bootstrap, feed
from server import models as m
from server.deps import PrincipalDep, StateDep
from server.errors import pick_language
from server.principal import Principal
from server.push import Pusher
from server.state import ServerState

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])

_SEEN_EVERY_S = 20.0


def _pusher(state: ServerState) -> Pusher:
    pusher = state.extras.get("pusher")
    if pusher is None:
        pusher = state.extras["pusher"] = Pusher(state)
    assert isinstance(pusher, Pusher)
    return pusher


@router.post("/push", response_model=PushResponse, summary="Apply mutations, each exactly once")
def push(body: PushRequest, request: Request, principal: PrincipalDep,
         state: StateDep) -> PushResponse:
    outcome = _pusher(state).push(principal, body, pick_language(
        request.headers.get("accept-language")))
    return PushResponse(results=outcome.results, last_mutation_id=outcome.last_mutation_id)


@router.get("/pull", response_model=PullResponse,
            summary="Ordered changes after a cursor; with wait>0 a long-poll",
            responses={409: {"description": "reset_required: bootstrap again"}})
async def pull(
    principal: PrincipalDep,
    state: StateDep,
    cursor: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0.0,
) -> Response:
    position = feed.decode_cursor(cursor, kind=state.db.kind, epoch=state.epoch)
    await run_in_threadpool(_mark_seen, state, principal)
    scopes = principal.scopes
    deadline = time.monotonic() + wait
    recheck = state.settings.poll_recheck_s or (0.5 if state.db.kind == "postgresql" else 5.0)
    woken = False
    with state.notifier.subscribe(scopes) as subscription:
        while True:
            subscription.clear()
            page = await run_in_threadpool(_read, state, scopes, position, limit)
            remaining = deadline - time.monotonic()
            if page.changes or remaining <= 0:
                break
            # After a wake the new row may sit just above PostgreSQL's horizon: look again soon.
            woken = await subscription.wait(min(remaining, 0.02 if woken else recheck))
    return Response(feed.page_json(page, state.db.kind), media_type="application/json")


def _read(state: ServerState, scopes: list[str], position: feed.Cursor, limit: int) -> feed.Page:
    with state.db.read() as session:
        return feed.read_page(session, kind=state.db.kind, scopes=scopes, cursor=position,
                              limit=limit)


def _mark_seen(state: ServerState, principal: Principal) -> None:
    """Liveness for assignment: a polling client is present (throttled per agent)."""
    seen: dict[str, float] = state.extras.setdefault("seen", {})  # type: ignore[assignment]
    now = time.monotonic()
    if now - seen.get(principal.agent_id, 0.0) < _SEEN_EVERY_S:
        return
    seen[principal.agent_id] = now
    with state.db.write() as session:
        agent = session.get(m.Agent, principal.agent_id)
        if agent is not None:
            agent.last_seen_at = m.utcnow()


@router.get("/bootstrap", response_model=BootstrapResponse,
            summary="Current rows of the caller's scopes in pages, and where the feed resumes")
def bootstrap_page(
    principal: PrincipalDep,
    state: StateDep,
    page: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 1000,
) -> BootstrapResponse:
    with state.db.read() as session:
        result = bootstrap.read_page(session, principal, kind=state.db.kind, epoch=state.epoch,
                                     token=page, limit=limit)
    return BootstrapResponse(rows=result.rows, next=result.next, cursor=result.cursor,
                             total=len(result.rows))


"""Sync protocol v1 endpoints: push, pull (long-poll) and bootstrap."""

from __future__ import annotations

import time
from typing import Annotated

import anyio.to_thread
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
from server.deps import PollPrincipalDep, PrincipalDep, StateDep, poll_limiter
from server.errors import pick_language
from server.notify import QuietReads
from server.push import Pusher
from server.seen import SeenMarks
from server.state import ServerState

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])

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
    principal: PollPrincipalDep,
    state: StateDep,
    cursor: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0.0,
) -> Response:
    position = feed.decode_cursor(cursor, kind=state.db.kind, epoch=state.epoch)
    marks = _seen_marks(state)
    if marks.note(principal.agent_id):  # at most one poll per process every 2 s writes
        await run_in_threadpool(marks.flush)
    scopes = principal.scopes
    deadline = time.monotonic() + wait
    # A fallback only: a commit's wake-up arrives once its rows are visible (server/notify.py),
    # on PostgreSQL from every process. Each re-check is a read per waiting agent.
    recheck = state.settings.poll_recheck_s or 5.0
    quiet = _quiet_reads(state, recheck)
    notifier = state.notifier
    with notifier.subscribe(scopes) as subscription:
        skip = wait > 0  # only the first read, and only if nothing was woken since the last
        while True:
            subscription.clear()
            marker = notifier.marker(scopes)
            if skip and quiet.still_nothing(scopes, cursor, marker):
                page = feed.Page([], position, True)
            else:
                page = await anyio.to_thread.run_sync(
                    _read, state, scopes, position, limit, limiter=poll_limiter(state))
                if not page.changes:
                    quiet.found_nothing(scopes, cursor, marker)
            skip = False
            remaining = deadline - time.monotonic()
            if page.changes or remaining <= 0:
                break
            await subscription.wait(min(remaining, recheck))
    return Response(feed.page_json(page, state.db.kind), media_type="application/json")


def _read(state: ServerState, scopes: list[str], position: feed.Cursor, limit: int) -> feed.Page:
    with state.db.read() as session:
        return feed.read_page(session, kind=state.db.kind, scopes=scopes, cursor=position,
                              limit=limit)


def _quiet_reads(state: ServerState, ttl: float) -> QuietReads:
    quiet = state.extras.get("quiet")
    if quiet is None:
        quiet = state.extras["quiet"] = QuietReads(ttl)
    assert isinstance(quiet, QuietReads)
    return quiet


def _seen_marks(state: ServerState) -> SeenMarks:
    marks = state.extras.get("seen")
    if marks is None:
        marks = state.extras["seen"] = SeenMarks(state.db)
    assert isinstance(marks, SeenMarks)
    return marks


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


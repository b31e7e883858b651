"""FastAPI dependencies: server state, the calling agent, the calling visitor."""

from __future__ import annotations

from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Header, Request

from server.auth import authenticate
from server.errors import ApiError
from server.principal import Principal
from server.state import ServerState

# Endpoints an agent may call before changing the initial password (H1.2).
_ALLOWED_BEFORE_CHANGE = frozenset(
    {"/api/v1/auth/password", "/api/v1/auth/logout", "/api/v1/auth/refresh", "/api/v1/auth/me"}
)


def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.kefu
    return state


StateDep = Annotated[ServerState, Depends(get_state)]


def bearer_token(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError("not_authenticated")
    token = authorization[7:].strip()
    if not token or len(token) > 200:
        raise ApiError("not_authenticated")
    return token


def current_principal(
    request: Request,
    state: StateDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """The agent behind the access token; 403 `password_change_required` until H1.2 is met."""
    token = bearer_token(authorization)
    with state.db.read() as session:
        agent, principal = authenticate(session, token)
        must_change = agent.must_change_password
    if must_change and request.url.path not in _ALLOWED_BEFORE_CHANGE:
        raise ApiError("password_change_required")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]

# Long-polls run their database work on few threads: a wake-up of a floor otherwise makes every
# woken request's thread runnable at once, and their fight for the GIL cost more than the reads
# (bench/load_bench.py: at 1,000 agents the highest rate within the goal went from 5 to 20 msg/s).
_POLL_THREADS = 4


def poll_limiter(state: ServerState) -> anyio.CapacityLimiter:
    """The threads long-polls authenticate and read on (created on the server's loop)."""
    limiter = state.extras.get("poll_limiter")
    if limiter is None:
        limiter = state.extras["poll_limiter"] = anyio.CapacityLimiter(_POLL_THREADS)
    assert isinstance(limiter, anyio.CapacityLimiter)
    return limiter


async def poll_principal(
    request: Request,
    state: StateDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """`current_principal` for the long-poll, on the long-polls' threads."""
    return await anyio.to_thread.run_sync(
        current_principal, request, state, authorization, limiter=poll_limiter(state))


PollPrincipalDep = Annotated[Principal, Depends(poll_principal)]


def require_role(principal: Principal, role: str) -> None:
    if not principal.at_least(role):
        raise ApiError("forbidden")


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""

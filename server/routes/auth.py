"""Accounts endpoints (H1): login, password change, tokens, logout, me, reset requests (H1.11)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from sqlalchemy import select

from kefu_protocol.board import PasswordResetRequestBody
from kefu_protocol.wire import (
    ACCOUNT_RE,
    AgentInfo,
    LoginRequest,
    LoginResponse,
    PasswordChangeRequest,
    RefreshRequest,
    TokenPair,
)
from server import auth
from server import models as m
from server.deps import PrincipalDep, StateDep, client_address
from server.errors import ApiError

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

_ERRORS = {
    400: {"description": "invalid_account_format / invalid_request"},
    401: {"description": "invalid_credentials, with attempts_left"},
    423: {"description": "account_locked, with locked_until"},
}


def agent_info(agent: m.Agent, timezone: str) -> AgentInfo:
    return AgentInfo(id=agent.id, account=agent.account, name=agent.name, role=agent.role,
                     team_id=agent.team_id, timezone=timezone)


@router.post("/login", response_model=LoginResponse, responses=_ERRORS,
             summary="Log in with 工号@公司域名 and password (H1.1, H1.2, H1.10)")
def login(body: LoginRequest, request: Request, state: StateDep) -> LoginResponse:
    error: ApiError | None = None
    with state.db.write() as session:
        try:
            agent, tokens = auth.login(
                session, state.settings, account=body.account.strip(), password=body.password,
                device_id=body.device_id, address=client_address(request),
            )
            response = LoginResponse(
                access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                expires_in=tokens.expires_in, must_change_password=agent.must_change_password,
                agent=agent_info(agent, state.settings.timezone),
            )
        except ApiError as exc:
            error = exc  # the failure counter and the audit row are committed first
    if error is not None:
        raise error
    return response


@router.post("/password", summary="Change the password (required after first login, H1.2)")
def change_password(body: PasswordChangeRequest, principal: PrincipalDep,
                    state: StateDep) -> dict[str, bool]:
    error: ApiError | None = None
    with state.db.write() as session:
        try:
            auth.change_password(session, state.settings, principal,
                                 old_password=body.old_password, new_password=body.new_password)
        except ApiError as exc:
            error = exc  # a wrong password's count (and a lock) is committed first
    if error is not None:
        raise error
    return {"ok": True}


@router.post("/refresh", response_model=TokenPair,
             summary="Rotate the token pair; replaying an old refresh token revokes the session")
def refresh(body: RefreshRequest, state: StateDep) -> TokenPair:
    error: ApiError | None = None
    with state.db.write() as session:
        try:
            tokens = auth.refresh(session, state.settings, refresh_token=body.refresh_token)
        except ApiError as exc:
            error = exc  # a detected replay's revocation is committed first
    if error is not None:
        raise error
    return TokenPair(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                     expires_in=tokens.expires_in)


@router.post("/logout", summary="Revoke the session behind this refresh token")
def logout(body: RefreshRequest, state: StateDep) -> dict[str, bool]:
    with state.db.write() as session:
        auth.logout(session, refresh_token=body.refresh_token)
    return {"ok": True}


@router.get("/me", response_model=AgentInfo, summary="The agent behind the access token")
def me(principal: PrincipalDep, state: StateDep) -> AgentInfo:
    return AgentInfo(id=principal.agent_id, account=principal.account, name=principal.name,
                     role=principal.role, team_id=principal.team_id,  # type: ignore[arg-type]
                     timezone=state.settings.timezone)


@router.post("/password-reset-requests", status_code=202,
             summary="Forgot the password: ask the lead for a reset (H1.11); always 202")
def request_password_reset(body: PasswordResetRequestBody, request: Request,
                           state: StateDep) -> dict[str, bool]:
    """Stores one pending request per agent (a repeat refreshes it); an unknown account gets
    the same answer, so the endpoint tells nobody which accounts exist."""
    account = body.account.strip()
    if not ACCOUNT_RE.match(account):
        raise ApiError("invalid_account_format", example="10086@shop.example")
    address = client_address(request)
    with state.db.write() as session:
        # Bounded per address like failed logins: not a way to flood the leads and the log.
        auth.check_address(session, state.settings, address, m.utcnow(), auth.RESET_REQUESTS)
        agent = session.scalars(select(m.Agent).where(m.Agent.account == account)).one_or_none()
        if agent is None or agent.disabled:
            auth.audit(session, "reset_request_unknown", account=account, address=address)
            return {"ok": True}
        pending = session.scalars(
            select(m.ResetRequest).where(m.ResetRequest.agent_id == agent.id,
                                         m.ResetRequest.state == "pending").with_for_update()
        ).first()
        if pending is None:
            session.add(m.ResetRequest(id=str(uuid.uuid4()), agent_id=agent.id,
                                       address=address[:64]))
        else:
            pending.requested_at, pending.address = m.utcnow(), address[:64]
        auth.audit(session, "reset_requested", account=account, agent_id=agent.id,
                   address=address)
    return {"ok": True}

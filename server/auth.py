"""Accounts and sessions (H1): login with lockout, forced password change, rotating tokens."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kefu_protocol.wire import ACCOUNT_RE
from server import models as m
from server.errors import ApiError
from server.principal import Principal, principal_for
from server.security import (
    hash_password,
    initial_password,
    new_token,
    token_hash,
    verify_password,
)
from server.state import Settings


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


def audit(
    session: Session,
    kind: str,
    *,
    account: str = "",
    agent_id: str | None = None,
    actor_id: str | None = None,
    address: str = "",
    **detail: object,
) -> None:
    session.add(
        m.AuditLog(
            kind=kind,
            account=account[:200],
            agent_id=agent_id,
            actor_id=actor_id,
            address=address,
            detail=dict(detail),
        )
    )


def login(
    session: Session,
    settings: Settings,
    *,
    account: str,
    password: str,
    device_id: str,
    address: str,
) -> tuple[m.Agent, IssuedTokens]:
    """Checks the H1 rules in order: format, lock, password; counts failures; issues tokens."""
    now = m.utcnow()
    if not ACCOUNT_RE.match(account):
        audit(session, "login_bad_format", account=account, address=address)
        raise ApiError("invalid_account_format", example="10086@shop.example")
    agent = session.scalars(
        select(m.Agent).where(m.Agent.account == account).with_for_update()
    ).one_or_none()
    if agent is None:
        audit(session, "login_unknown_account", account=account, address=address)
        raise ApiError("invalid_credentials", attempts_left=settings.lockout_threshold - 1)
    if agent.locked_until is not None and agent.locked_until > now:
        audit(session, "login_while_locked", account=account, agent_id=agent.id, address=address)
        raise ApiError("account_locked", locked_until=agent.locked_until.isoformat())
    if agent.locked_until is not None:  # the lock has expired
        agent.locked_until = None
        agent.failed_attempts = 0
    if agent.disabled:
        audit(session, "login_disabled", account=account, agent_id=agent.id, address=address)
        raise ApiError("account_disabled")
    if not verify_password(password, agent.password_hash):
        agent.failed_attempts += 1
        left = settings.lockout_threshold - agent.failed_attempts
        if left <= 0:
            agent.locked_until = now + dt.timedelta(seconds=settings.lockout_s)
            audit(session, "login_locked", account=account, agent_id=agent.id, address=address)
            raise ApiError(
                "account_locked", locked_until=agent.locked_until.isoformat(), attempts_left=0
            )
        audit(session, "login_failed", account=account, agent_id=agent.id, address=address)
        raise ApiError("invalid_credentials", attempts_left=left)
    agent.failed_attempts = 0
    tokens = _open_session(session, settings, agent, device_id)
    audit(session, "login_ok", account=account, agent_id=agent.id, address=address,
          device_id=device_id)
    return agent, tokens


def _open_session(
    session: Session, settings: Settings, agent: m.Agent, device_id: str
) -> IssuedTokens:
    now = m.utcnow()
    access, refresh = new_token(), new_token()
    session.add(
        m.AuthSession(
            id=str(uuid.uuid4()),
            agent_id=agent.id,
            device_id=device_id,
            access_hash=token_hash(access),
            access_expires_at=now + dt.timedelta(seconds=settings.access_ttl_s),
            refresh_hash=token_hash(refresh),
            refresh_expires_at=now + dt.timedelta(seconds=settings.refresh_ttl_s),
        )
    )
    return IssuedTokens(access, refresh, settings.access_ttl_s)


def refresh(session: Session, settings: Settings, *, refresh_token: str) -> IssuedTokens:
    """Rotates the pair. Replaying an already-rotated refresh token revokes the whole session."""
    now = m.utcnow()
    digest = token_hash(refresh_token)
    auth = session.scalars(
        select(m.AuthSession).where(m.AuthSession.refresh_hash == digest).with_for_update()
    ).one_or_none()
    if auth is None:
        reused = session.scalars(
            select(m.AuthSession).where(m.AuthSession.previous_refresh_hash == digest)
        ).one_or_none()
        if reused is not None and reused.revoked_at is None:
            reused.revoked_at = now
            audit(session, "refresh_reuse_revoked", agent_id=reused.agent_id)
        raise ApiError("invalid_refresh_token")
    if auth.revoked_at is not None or auth.refresh_expires_at <= now:
        raise ApiError("invalid_refresh_token")
    access, new_refresh = new_token(), new_token()
    auth.previous_refresh_hash = auth.refresh_hash
    auth.refresh_hash = token_hash(new_refresh)
    auth.access_hash = token_hash(access)
    auth.access_expires_at = now + dt.timedelta(seconds=settings.access_ttl_s)
    return IssuedTokens(access, new_refresh, settings.access_ttl_s)


def logout(session: Session, *, refresh_token: str) -> None:
    auth = session.scalars(
        select(m.AuthSession).where(m.AuthSession.refresh_hash == token_hash(refresh_token))
    ).one_or_none()
    if auth is None:
        raise ApiError("invalid_refresh_token")
    if auth.revoked_at is None:
        auth.revoked_at = m.utcnow()
        audit(session, "logout", agent_id=auth.agent_id)


def authenticate(session: Session, access_token: str) -> tuple[m.Agent, Principal]:
    now = m.utcnow()
    auth = session.scalars(
        select(m.AuthSession).where(m.AuthSession.access_hash == token_hash(access_token))
    ).one_or_none()
    if auth is None or auth.revoked_at is not None:
        raise ApiError("not_authenticated")
    if auth.access_expires_at <= now:
        raise ApiError("token_expired")
    agent = session.get(m.Agent, auth.agent_id)
    if agent is None or agent.disabled:
        raise ApiError("not_authenticated")
    return agent, principal_for(session, agent, auth)


_LETTER = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"\d")


def change_password(
    session: Session, principal: Principal, *, old_password: str, new_password: str
) -> None:
    agent = session.get(m.Agent, principal.agent_id, with_for_update=True)
    assert agent is not None
    if not verify_password(old_password, agent.password_hash):
        raise ApiError("wrong_password")
    if (
        len(new_password) < 8
        or not _LETTER.search(new_password)
        or not _DIGIT.search(new_password)
        or new_password == old_password
        or new_password == initial_password(agent.employee_id)
    ):
        raise ApiError("weak_password")
    agent.password_hash = hash_password(new_password)
    agent.must_change_password = False
    session.execute(
        update(m.AuthSession)
        .where(m.AuthSession.agent_id == agent.id, m.AuthSession.id != principal.session_id,
               m.AuthSession.revoked_at.is_(None))
        .values(revoked_at=m.utcnow())
    )
    audit(session, "password_changed", agent_id=agent.id, actor_id=agent.id)


def unlock(session: Session, actor: Principal, agent: m.Agent) -> None:
    agent.locked_until = None
    agent.failed_attempts = 0
    audit(session, "account_unlocked", agent_id=agent.id, actor_id=actor.agent_id)


def reset_password(session: Session, actor: Principal, agent: m.Agent) -> None:
    """H1.11: back to the initial password, forced change, every session revoked."""
    agent.password_hash = hash_password(initial_password(agent.employee_id))
    agent.must_change_password = True
    agent.locked_until = None
    agent.failed_attempts = 0
    session.execute(
        update(m.AuthSession)
        .where(m.AuthSession.agent_id == agent.id, m.AuthSession.revoked_at.is_(None))
        .values(revoked_at=m.utcnow())
    )
    audit(session, "password_reset", agent_id=agent.id, actor_id=actor.agent_id)

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
from server.activity import record
from server.errors import ApiError
from server.principal import Principal, principal_for
from server.security import (
    hash_password,
    initial_password,
    new_token,
    token_hash,
    verify_password,
)
from server.shift_time import zone
from server.shifts import current_shift, late_for
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
    """Checks the H1 rules in order: format, lock, password, then the H1.3 shift lock (a late
    agent is locked until the shift ends or a lead unlocks); counts failures; issues tokens."""
    now = m.utcnow()
    check_address(session, settings, address, now, FAILED_LOGINS)
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
        if agent.lock_reason == "late_login":
            raise _late_error(session, settings, agent, now)
        raise ApiError("account_locked", locked_until=agent.locked_until.isoformat())
    if agent.locked_until is not None:  # the lock has expired
        agent.locked_until = None
        agent.lock_reason = ""
        agent.failed_attempts = 0
    if agent.disabled:
        audit(session, "login_disabled", account=account, agent_id=agent.id, address=address)
        raise ApiError("account_disabled")
    if not verify_password(password, agent.password_hash):
        agent.failed_attempts += 1
        left = settings.lockout_threshold - agent.failed_attempts
        if left <= 0:
            agent.locked_until = now + dt.timedelta(seconds=settings.lockout_s)
            agent.lock_reason = "failed_logins"
            audit(session, "login_locked", account=account, agent_id=agent.id, address=address)
            raise ApiError(
                "account_locked", locked_until=agent.locked_until.isoformat(), attempts_left=0
            )
        audit(session, "login_failed", account=account, agent_id=agent.id, address=address)
        raise ApiError("invalid_credentials", attempts_left=left)
    agent.failed_attempts = 0
    late = late_for(session, agent, now, zone(settings.timezone))
    if late is not None:  # H1.3: the password was right, but the agent is late for the shift
        shift, start, end = late
        agent.locked_until = end
        agent.lock_reason = "late_login"
        record(session, agent_id=agent.id, team_id=agent.team_id, kind="late_locked", at=now,
               shift_id=shift.id, shift=shift.name, starts=start.isoformat())
        audit(session, "login_late_locked", account=account, agent_id=agent.id, address=address,
              shift_id=shift.id)
        raise _late_error(session, settings, agent, now)
    agent.last_login_at = now
    tokens = _open_session(session, settings, agent, device_id)
    record(session, agent_id=agent.id, team_id=agent.team_id, kind="login", at=now,
           device_id=device_id)
    audit(session, "login_ok", account=account, agent_id=agent.id, address=address,
          device_id=device_id)
    return agent, tokens


FAILED_LOGINS = ("login_failed", "login_unknown_account", "login_locked",
                 "login_while_locked", "login_bad_format")
RESET_REQUESTS = ("reset_requested", "reset_request_unknown")


def check_address(session: Session, settings: Settings, address: str, now: dt.datetime,
                  kinds: tuple[str, ...]) -> None:
    """429 too_many_attempts while `address` has too many audited `kinds` (failed logins,
    password-reset requests) in the window."""
    since = now - dt.timedelta(seconds=settings.login_address_window_s)
    failures = select(m.AuditLog.at).where(
        m.AuditLog.address == address, m.AuditLog.at > since,
        m.AuditLog.kind.in_(kinds)).order_by(m.AuditLog.at.desc()).limit(
        settings.login_address_failures)
    times = session.scalars(failures).all()
    if len(times) < settings.login_address_failures:
        return
    oldest = times[-1]  # the window frees a try when this one leaves it
    retry_after = max(1, int((oldest - since).total_seconds()) + 1)
    if kinds == FAILED_LOGINS:
        audit(session, "login_rate_limited", address=address)
    raise ApiError("too_many_attempts", retry_after=retry_after)


def _late_error(session: Session, settings: Settings, agent: m.Agent, now: dt.datetime) -> ApiError:
    """account_locked_late with the shift the agent missed (H1.3), for the login window."""
    assert agent.locked_until is not None
    team = session.get(m.Team, agent.team_id)
    running = current_shift(session, agent, now, zone(settings.timezone))
    return ApiError(
        "account_locked_late",
        shift=running[0].name if running else "",
        starts=running[0].starts if running else "",
        grace=team.late_login_grace_min if team else 0,
        locked_until=agent.locked_until.isoformat(),
    )


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
    """Rotates the pair. The token just rotated away may be presented again for
    `refresh_retry_s` (the answer was lost on the way): a fresh pair replaces the one never
    received. Replaying it later looks like theft and revokes the whole session."""
    now = m.utcnow()
    digest = token_hash(refresh_token)
    auth = session.scalars(
        select(m.AuthSession).where(m.AuthSession.refresh_hash == digest).with_for_update()
    ).one_or_none()
    if auth is None:
        reused = session.scalars(
            select(m.AuthSession).where(m.AuthSession.previous_refresh_hash == digest)
            .with_for_update()
        ).one_or_none()
        if reused is None or reused.revoked_at is not None:
            raise ApiError("invalid_refresh_token")
        rotated_at = reused.access_expires_at - dt.timedelta(seconds=settings.access_ttl_s)
        if now - rotated_at > dt.timedelta(seconds=settings.refresh_retry_s):
            reused.revoked_at = now
            audit(session, "refresh_reuse_revoked", agent_id=reused.agent_id)
            raise ApiError("invalid_refresh_token")
        _refuse_if_disabled(session, reused, now)
        # The window stays anchored at the rotation: retries do not extend it.
        return _rotate(reused, reused.access_expires_at, now, retry=True)
    if auth.revoked_at is not None or auth.refresh_expires_at <= now:
        raise ApiError("invalid_refresh_token")
    _refuse_if_disabled(session, auth, now)
    return _rotate(auth, now + dt.timedelta(seconds=settings.access_ttl_s), now, retry=False)


def _refuse_if_disabled(session: Session, auth: m.AuthSession, now: dt.datetime) -> None:
    """A disabled (or deleted) account's sessions end at their next refresh, not only at the
    next call: no new pair is issued and the session is revoked."""
    agent = session.get(m.Agent, auth.agent_id)
    if agent is None or agent.disabled:
        auth.revoked_at = now
        raise ApiError("invalid_refresh_token")


def _rotate(auth: m.AuthSession, expires_at: dt.datetime, now: dt.datetime, *,
            retry: bool) -> IssuedTokens:
    """A new access/refresh pair; a retry keeps the token it came with as the previous one."""
    access, new_refresh = new_token(), new_token()
    if not retry:
        auth.previous_refresh_hash = auth.refresh_hash
    auth.refresh_hash = token_hash(new_refresh)
    auth.access_hash = token_hash(access)
    auth.access_expires_at = expires_at
    return IssuedTokens(access, new_refresh, max(int((expires_at - now).total_seconds()), 1))


def logout(session: Session, *, refresh_token: str) -> None:
    auth = session.scalars(
        select(m.AuthSession).where(m.AuthSession.refresh_hash == token_hash(refresh_token))
    ).one_or_none()
    if auth is None:
        raise ApiError("invalid_refresh_token")
    if auth.revoked_at is None:
        auth.revoked_at = m.utcnow()
        audit(session, "logout", agent_id=auth.agent_id)
        agent = session.get(m.Agent, auth.agent_id)
        if agent is not None:
            record(session, agent_id=agent.id, team_id=agent.team_id, kind="logout",
                   at=auth.revoked_at)


def authenticate(session: Session, access_token: str) -> tuple[m.Agent, Principal]:
    now = m.utcnow()
    # One round trip for both rows: every long-poll of a woken floor comes through here.
    found = session.execute(
        select(m.AuthSession, m.Agent).join(m.Agent, m.Agent.id == m.AuthSession.agent_id)
        .where(m.AuthSession.access_hash == token_hash(access_token))
    ).one_or_none()
    if found is None or found[0].revoked_at is not None:
        raise ApiError("not_authenticated")
    auth, agent = found
    if auth.access_expires_at <= now:
        raise ApiError("token_expired")
    if agent.disabled:
        raise ApiError("not_authenticated")
    return agent, principal_for(session, agent, auth)


_LETTER = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"\d")


def change_password(
    session: Session, settings: Settings, principal: Principal, *, old_password: str,
    new_password: str
) -> None:
    """A wrong old password counts like a failed login (H1.10): whoever holds a stolen access
    token cannot guess the password here without locking the account and ending its sessions.
    Raises after recording; the caller commits before answering."""
    agent = session.get(m.Agent, principal.agent_id, with_for_update=True)
    assert agent is not None
    if not verify_password(old_password, agent.password_hash):
        agent.failed_attempts += 1
        left = settings.lockout_threshold - agent.failed_attempts
        if left <= 0:
            now = m.utcnow()
            agent.locked_until = now + dt.timedelta(seconds=settings.lockout_s)
            agent.lock_reason = "failed_logins"
            revoke_sessions(session, agent)
            audit(session, "password_change_locked", agent_id=agent.id, actor_id=agent.id)
            raise ApiError("account_locked", locked_until=agent.locked_until.isoformat(),
                           attempts_left=0)
        audit(session, "password_change_failed", agent_id=agent.id, actor_id=agent.id)
        raise ApiError("wrong_password", attempts_left=left)
    agent.failed_attempts = 0
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


def unlock(session: Session, settings: Settings, actor: Principal, agent: m.Agent) -> None:
    """H1.10 and H1.3: lifts a lock early; a late agent may then log in for the rest of the
    running shift (late_ok_for), without being locked again."""
    now = m.utcnow()
    reason = agent.lock_reason
    agent.locked_until = None
    agent.lock_reason = ""
    agent.failed_attempts = 0
    running = current_shift(session, agent, now, zone(settings.timezone))
    if running is not None:
        agent.late_ok_for = running[1]
    record(session, agent_id=agent.id, team_id=agent.team_id, kind="unlocked", at=now,
           by=actor.agent_id, reason=reason)
    audit(session, "account_unlocked", agent_id=agent.id, actor_id=actor.agent_id, reason=reason)


def revoke_sessions(session: Session, agent: m.Agent) -> int:
    """Revokes every open session of the agent (force offline, password reset); their
    clients get 401 at the next call and a refused refresh."""
    result = session.execute(
        update(m.AuthSession)
        .where(m.AuthSession.agent_id == agent.id, m.AuthSession.revoked_at.is_(None))
        .values(revoked_at=m.utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def reset_password(session: Session, actor: Principal, agent: m.Agent) -> None:
    """H1.11: back to the initial password, forced change, every session revoked."""
    agent.password_hash = hash_password(initial_password(agent.employee_id))
    agent.must_change_password = True
    agent.locked_until = None
    agent.lock_reason = ""
    agent.failed_attempts = 0
    revoke_sessions(session, agent)
    audit(session, "password_reset", agent_id=agent.id, actor_id=actor.agent_id)

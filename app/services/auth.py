"""Login flow (H1): format checked first, each failure explained, forced change, auto-login."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from app.services.credentials import CredentialVault
from app.sync.client import (
    ApiClient,
    ApiError,
    InsecureServer,
    NetworkError,
    ProtocolError,
    ServerError,
    TlsError,
)
from app.sync.clock import ServerClock
from kefu_protocol.wire import ACCOUNT_RE, AgentInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MissedShift:
    """H1.3: the shift an agent did not log in for in time (the server's account_locked_late)."""

    shift: str
    starts: str
    grace_min: int


class LoginFailure(Exception):
    """`kind`: format | insecure | network | tls | server | protocol | credentials | locked |
    locked_late (H1.3, with `missed`) | disabled | rate_limited (this address) |
    weak_password | wrong_password | session_expired. The UI words each kind."""

    def __init__(
        self,
        kind: str,
        *,
        server_message: str = "",
        attempts_left: int | None = None,
        locked_until: dt.datetime | None = None,
        missed: MissedShift | None = None,
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        self.server_message = server_message
        self.attempts_left = attempts_left
        self.locked_until = locked_until
        self.missed = missed


@dataclass(frozen=True)
class SignedIn:
    server_url: str
    account: str
    agent: AgentInfo
    access_token: str
    refresh_token: str
    must_change_password: bool

    def __repr__(self) -> str:  # tokens never end up in a log line by accident
        return f"SignedIn({self.account} @ {self.server_url})"


def account_is_valid(account: str) -> bool:
    """H1.1: 工号@公司域名, checked before anything is sent."""
    return ACCOUNT_RE.match(account.strip()) is not None


def _translate(exc: Exception) -> LoginFailure:
    if isinstance(exc, TlsError):
        return LoginFailure("tls")
    if isinstance(exc, NetworkError):
        return LoginFailure("network")
    if isinstance(exc, ServerError):
        return LoginFailure("server")
    if isinstance(exc, ProtocolError):
        return LoginFailure("protocol")
    if isinstance(exc, InsecureServer):
        return LoginFailure("insecure")
    if isinstance(exc, ApiError):
        kind = {
            "invalid_account_format": "format",
            "invalid_credentials": "credentials",
            "account_locked": "locked",
            "account_locked_late": "locked_late",
            "account_disabled": "disabled",
            "too_many_attempts": "rate_limited",
            "weak_password": "weak_password",
            "wrong_password": "wrong_password",
            "invalid_refresh_token": "session_expired",
        }.get(exc.code, "server")
        locked = exc.extra.get("locked_until")
        return LoginFailure(
            kind,
            server_message=exc.message,
            attempts_left=exc.extra.get("attempts_left"),
            locked_until=dt.datetime.fromisoformat(locked) if isinstance(locked, str) else None,
            missed=_missed_shift(exc.extra) if kind == "locked_late" else None,
        )
    raise exc


def _missed_shift(extra: dict[str, object]) -> MissedShift | None:
    shift, starts, grace = extra.get("shift"), extra.get("starts"), extra.get("grace")
    if not (isinstance(shift, str) and shift and isinstance(starts, str)
            and isinstance(grace, int)):
        return None
    return MissedShift(shift, starts, grace)


class AuthService:
    """Talks to /auth; keeps the refresh token in the keyring when auto-login is on."""

    def __init__(self, server_url: str, *, ca_bundle: str | None, vault: CredentialVault,
                 device_id: str) -> None:
        self.server_url = server_url
        self.ca_bundle = ca_bundle
        self.vault = vault
        self.device_id = device_id
        self.clock = ServerClock()
        """The server's time, learned at login and at every token refresh."""

    def client(self) -> ApiClient:
        return ApiClient(self.server_url, ca_bundle=self.ca_bundle, clock=self.clock)

    def login(self, account: str, password: str, *, remember: bool) -> SignedIn:
        account = account.strip()
        if not account_is_valid(account):
            raise LoginFailure("format")
        try:
            client = self.client()
            response = client.login(account, password, self.device_id)
        except Exception as exc:
            raise _translate(exc) from exc
        signed_in = SignedIn(self.server_url, account, response.agent, response.access_token,
                             response.refresh_token, response.must_change_password)
        if remember and not response.must_change_password:
            self.vault.save(self.server_url, account, response.refresh_token)
        elif not remember:
            self.vault.delete(self.server_url, account)
        return signed_in

    def resume(self, account: str) -> SignedIn | None:
        """Auto-login with the stored refresh token; None when there is none or it is dead."""
        token = self.vault.load(self.server_url, account)
        if not token:
            return None
        client = self.client()
        try:
            pair = client.refresh(token)
            me = client.call("GET", "/auth/me", token=pair.access_token)
        except ApiError:
            self.vault.delete(self.server_url, account)
            return None
        except Exception as exc:
            raise _translate(exc) from exc
        self.vault.save(self.server_url, account, pair.refresh_token)
        return SignedIn(self.server_url, account, AgentInfo.model_validate(me),
                        pair.access_token, pair.refresh_token, False)

    def change_password(self, signed_in: SignedIn, old: str, new: str) -> None:
        try:
            self.client().change_password(signed_in.access_token, old, new)
        except Exception as exc:
            raise _translate(exc) from exc

    def request_password_reset(self, account: str) -> None:
        """H1.11: asks the agent's lead for a reset (no sign-in needed). The server answers the
        same for every well-formed account, so success says nothing about the account."""
        account = account.strip()
        if not account_is_valid(account):
            raise LoginFailure("format")
        try:
            self.client().call("POST", "/auth/password-reset-requests",
                               json={"account": account})
        except Exception as exc:
            raise _translate(exc) from exc

    def logout(self, account: str, refresh_token: str) -> None:
        """Revokes the session on the server (best effort) and forgets the token locally."""
        self.vault.delete(self.server_url, account)
        try:
            self.client().logout(refresh_token)
        except Exception as exc:
            log.info("logout could not reach the server (%s)", type(exc).__name__)

    def verify_password(self, account: str, password: str) -> None:
        """The lock screen's check with the server (H1.7): a login whose new session is
        revoked at once, so no second session stays open. Raises LoginFailure (credentials,
        locked, network, …); the server counts wrong passwords as it does at login (H1.10)."""
        client = self.client()
        try:
            response = client.login(account.strip(), password, self.device_id)
        except Exception as exc:
            raise _translate(exc) from exc
        try:
            client.logout(response.refresh_token)
        except Exception as exc:
            log.warning("the unlock check's session was not revoked (%s)", type(exc).__name__)

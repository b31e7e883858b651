"""What one server process holds while it runs: settings, database, notifier, epoch."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from kefu_protocol.wire import TRANSFER_UNDO_SECONDS
from server.changes import ChangeWriter
from server.db import Database
from server.notify import Notifier


@dataclass(frozen=True)
class Settings:
    database_url: str
    access_ttl_s: int = 15 * 60
    refresh_ttl_s: int = 30 * 24 * 3600
    # A desk whose refresh answer was lost retries with the token it still holds: within this
    # many seconds of the rotation that is a retry, not theft (later it revokes the session).
    refresh_retry_s: int = 60
    lockout_threshold: int = 3
    lockout_s: int = 3600
    # Per network address: this many failed logins (any accounts) within the window answer
    # 429 until the oldest leaves it. Failures only, so a floor behind one NAT signs in freely.
    login_address_failures: int = 50
    login_address_window_s: int = 600
    presence_ttl_s: int = 120
    # H3.4: how long the previous owner may pull a transferred conversation back (撤回).
    transfer_undo_s: float = TRANSFER_UNDO_SECONDS
    # Fallback re-check of a waiting long-poll when no wake-up arrives (NOTIFY is the fast path).
    poll_recheck_s: float | None = None
    demo: bool = False
    # Shift times (H13.1) are wall-clock times in the company's zone (IANA name).
    timezone: str = "Asia/Shanghai"


# Environment overrides of the token lifetimes (seconds), e.g. short ones for expiry tests.
_TOKEN_ENV = {"KEFU_ACCESS_TTL_S": "access_ttl_s", "KEFU_REFRESH_TTL_S": "refresh_ttl_s",
              "KEFU_REFRESH_RETRY_S": "refresh_retry_s"}


def token_lifetimes(environ: Mapping[str, str]) -> dict[str, int]:
    """The Settings fields set by KEFU_ACCESS_TTL_S, KEFU_REFRESH_TTL_S, KEFU_REFRESH_RETRY_S."""
    return {name: int(environ[key]) for key, name in _TOKEN_ENV.items() if environ.get(key)}


@dataclass
class ServerState:
    settings: Settings
    db: Database
    notifier: Notifier
    epoch: str
    version: str
    extras: dict[str, object] = field(default_factory=dict)

    @contextmanager
    def changing(self) -> Iterator[ChangeWriter]:
        """A write transaction whose feed rows wake the long-polls once it has committed."""
        with self.db.write() as session:
            changes = ChangeWriter(session, self.db.kind)
            yield changes
            changes.before_commit()
        self.notifier.notify(changes.wake)

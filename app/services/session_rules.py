"""Session rules without widgets: the in-memory password check, unlock limits, the per-run log."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.services.auth import LoginFailure

log = logging.getLogger(__name__)

MAX_UNLOCK_ATTEMPTS = 5
"""Wrong passwords at the lock screen before the session is logged out (H1.7)."""

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class PasswordVerifier:
    """A salted scrypt hash of the password typed at login, kept only in memory, so the lock
    screen can be unlocked while the server is unreachable (H1.7). Never written anywhere."""

    __slots__ = ("_digest", "_salt")

    def __init__(self, password: str) -> None:
        self._salt = secrets.token_bytes(16)
        self._digest = self._hash(password)

    def _hash(self, password: str) -> bytes:
        return hashlib.scrypt(password.encode("utf-8"), salt=self._salt, **_SCRYPT)

    def matches(self, password: str) -> bool:
        return hmac.compare_digest(self._digest, self._hash(password))

    def __repr__(self) -> str:
        return "PasswordVerifier(<in memory>)"


Outcome = Literal["unlocked", "wrong", "unverifiable", "refused", "too_many"]

_UNREACHABLE = frozenset({"network", "tls", "server", "protocol", "insecure"})
"""LoginFailure kinds that say nothing about the password: the server could not be asked."""


@dataclass(frozen=True)
class Verdict:
    """unlocked | wrong (attempts_left) | unverifiable (offline after an auto-login) |
    refused (the server refuses the account now: `failure`) | too_many (log out)."""

    outcome: Outcome
    attempts_left: int = 0
    failure: LoginFailure | None = None


class Unlocker:
    """Checks a lock-screen password (H1.7), on a worker thread. A password typed at login
    this run is checked in memory first, so a typo never reaches the server's lockout count;
    a match (or any password after an auto-login) is then confirmed by the server when it can
    be reached. The fifth wrong password ends the session."""

    def __init__(self, verify_online: Callable[[str], None], verifier: PasswordVerifier | None,
                 *, limit: int = MAX_UNLOCK_ATTEMPTS) -> None:
        self.verify_online = verify_online
        self.verifier = verifier
        self.limit = limit
        self.wrong = 0

    def check(self, password: str) -> Verdict:
        if self.verifier is not None and not self.verifier.matches(password):
            return self._wrong(None)
        try:
            self.verify_online(password)
        except LoginFailure as failure:
            if failure.kind == "credentials":
                return self._wrong(failure.attempts_left)
            if failure.kind not in _UNREACHABLE:
                return Verdict("refused", failure=failure)
            if self.verifier is None:
                return Verdict("unverifiable")
        self.wrong = 0
        return Verdict("unlocked")

    def _wrong(self, server_left: int | None) -> Verdict:
        self.wrong += 1
        left = max(0, self.limit - self.wrong)
        if server_left is not None:  # the server's own count (H1.10) may be nearer its end
            left = min(left, server_left)
        return Verdict("too_many") if left == 0 else Verdict("wrong", attempts_left=left)


class SessionLog(logging.FileHandler):
    """Shared computers (H1.8): this run's log goes to its own file, which is deleted when a
    session ends; the next session writes a new file. Exceptions may carry customer data."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        super().__init__(self._new_path(), encoding="utf-8", delay=True)

    def _new_path(self) -> Path:
        return self.directory / f"session-{uuid.uuid4().hex[:12]}.log"

    def wipe(self) -> list[Path]:
        """Closes and deletes this session's file (and logs left from before the desk was
        shared); later records start a new file. Returns what could not be deleted."""
        with self.lock:
            if self.stream is not None:
                self.stream.close()
                self.stream = None  # type: ignore[assignment]
            current = Path(self.baseFilename)
            self.baseFilename = str(self._new_path())
        left = []
        for path in (current, *self.directory.glob("kefudesk.log*")):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                left.append(path)
        return left


def wipe_session_logs(logger: logging.Logger | None = None) -> list[Path]:
    """Wipes every SessionLog on `logger` (the root logger by default); what stayed behind."""
    left: list[Path] = []
    for handler in (logger or logging.getLogger()).handlers:
        if isinstance(handler, SessionLog):
            left += handler.wipe()
    return left

"""Client-side test helpers: an in-memory keyring and a signed-in runtime on a temp profile."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring.backend

from app.services.auth import AuthService
from app.services.credentials import CredentialVault
from app.services.runtime import Runtime, open_runtime
from app.sync.apply import Applied
from app.sync.engine import SyncStatus
from app.workers import Workers

KEYRING_FILE_ENV = "KEFU_TEST_KEYRING_FILE"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Unit tests only: the real Secret Service is tested separately. With a `path` (or the
    KEFU_TEST_KEYRING_FILE variable, for a client process) the entries are also written to a
    file, so a client killed in a test and the one started after it share the OS keyring's
    role: the cache key outlives the process."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        named = path or os.environ.get(KEYRING_FILE_ENV)
        self.path = Path(named) if named else None
        self.items: dict[tuple[str, str], str] = {}
        if self.path is not None and self.path.exists():
            self.items = {(s, u): p for s, u, p in json.loads(self.path.read_text())}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password
        self._save()

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)
        self._save()

    def _save(self) -> None:
        if self.path is not None:
            self.path.write_text(json.dumps([[s, u, p] for (s, u), p in self.items.items()]))


class Desk:
    """One agent's desktop client without widgets: auth, runtime, recorded status/changes."""

    def __init__(self, server_url: str, data_root: Path, *, keyring_backend: Any = None) -> None:
        self.server_url = server_url
        self.data_root = data_root
        self.vault = CredentialVault(keyring_backend or MemoryKeyring())
        self.auth = AuthService(server_url, ca_bundle=None, vault=self.vault, device_id="desk")
        self.workers = Workers()
        self.statuses: list[SyncStatus] = []
        self.changes: list[Applied] = []
        self.runtime: Runtime | None = None

    def sign_in(self, account: str, password: str, *, remember: bool = False,
                wait: float = 2.0, read_timeout: float = 30.0) -> Runtime:
        signed_in = self.auth.login(account, password, remember=remember)
        self.runtime = open_runtime(
            signed_in, auth=self.auth, data_root=self.data_root, workers=self.workers,
            remember=remember, on_status=self.statuses.append, on_changes=self.changes.append,
            long_poll_wait=wait, read_timeout=read_timeout,
        )
        return self.runtime

    @property
    def rt(self) -> Runtime:
        assert self.runtime is not None
        return self.runtime

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime = None
        self.workers.shutdown()


def eventually(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Polls `check` until it returns something truthy (client-side state is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check}")
        time.sleep(interval)

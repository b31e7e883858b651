"""Access and refresh tokens shared by the sync threads; refreshes once, under a lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from app.sync.client import ApiClient, ApiError, SyncError

T = TypeVar("T")


class SessionExpired(SyncError):
    """The refresh token was refused: the agent must log in again."""


class TokenKeeper:
    """Calls with the current access token; on 401 refreshes (rotating) and retries once."""

    def __init__(
        self,
        client: ApiClient,
        *,
        access_token: str,
        refresh_token: str,
        on_rotated: Callable[[str], None] = lambda _token: None,
    ) -> None:
        self._client = client
        self._access = access_token
        self._refresh = refresh_token
        self._on_rotated = on_rotated
        self._lock = threading.Lock()

    @property
    def access_token(self) -> str:
        return self._access

    @property
    def refresh_token(self) -> str:
        return self._refresh

    def call(self, fn: Callable[[str], T]) -> T:
        token = self._access
        try:
            return fn(token)
        except ApiError as exc:
            if exc.status != 401:
                raise
        self._renew(token)
        return fn(self._access)

    def _renew(self, stale: str) -> None:
        with self._lock:
            if self._access != stale:
                return  # another thread already refreshed
            try:
                pair = self._client.refresh(self._refresh)
            except ApiError as exc:
                raise SessionExpired(exc.code) from exc
            self._access, self._refresh = pair.access_token, pair.refresh_token
            self._on_rotated(pair.refresh_token)

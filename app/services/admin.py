"""Supervisors' tools: per-agent permission grants (H10.2) and the tag library (H4.3)."""

from __future__ import annotations

from collections.abc import Callable

from app.models.store import Store
from app.sync.auth import TokenKeeper
from app.sync.client import ApiClient


class AdminService:
    """Grants go over REST (a net worker); tag changes are queued intents (the DB worker)."""

    def __init__(self, store: Store, *, keeper: TokenKeeper, make_client: Callable[[], ApiClient],
                 poke: Callable[[], None]) -> None:
        self.store = store
        self.keeper = keeper
        self.make_client = make_client
        self.poke = poke

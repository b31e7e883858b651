"""Products, specs, stock and the promotions in force, from the cache (H6)."""

from __future__ import annotations

from app.models.store import Store


class ProductService:
    """Reads on the caller's thread (short indexed reads of the cache)."""

    def __init__(self, store: Store) -> None:
        self.store = store

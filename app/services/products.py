"""Products, specs, stock and the promotions in force, from the cache (H6)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, text

from app.models.store import Store
from app.models.tables import Record
from app.services.product_offers import Offer, Promotion, offers_for, promotion_of, text_of

LOW_STOCK = 10
"""Fewer units than this (and more than none) show as 库存紧张."""
_CHUNK = 500  # ids per IN (…), under SQLite's parameter limit
_SHOWN = ("product", "promotion")

StockState = Literal["in_stock", "low", "out", "untracked"]

# One scan of the product rows (bench/product_bench.py measures it at 5,000). The cache keeps
# each row as json.dumps text, Chinese as \u escapes: a cheap instr over that text (the needle
# escaped the same way, and as is in case a row was written otherwise) picks the candidates,
# then their fields are matched exactly; spec values through json_each, not the object's text.
# lower() folds ASCII only (as `_ascii_lower` does): Latin case-insensitive, Chinese as is.
_SEARCH = text("""
WITH candidate AS MATERIALIZED (
  SELECT id, data FROM record
  WHERE entity = 'product'
    AND (:q = '' OR instr(CASE WHEN :fold THEN lower(data) ELSE data END, :escaped) > 0
         OR (:escaped <> :q AND instr(CASE WHEN :fold THEN lower(data) ELSE data END, :q) > 0))
), product AS (
  SELECT id, data,
         lower(coalesce(json_extract(data, '$.sku'), '')) AS sku,
         lower(coalesce(json_extract(data, '$.name'), '')) AS name,
         coalesce(json_extract(data, '$.category'), '') AS category
  FROM candidate
)
SELECT id FROM product
WHERE (:category IS NULL OR category = :category)
  AND (:q = '' OR instr(sku, :q) > 0 OR instr(name, :q) > 0 OR instr(lower(category), :q) > 0
       OR EXISTS (SELECT 1 FROM json_each(data, '$.specs') AS spec
                  WHERE instr(lower(spec.value), :q) > 0))
ORDER BY CASE WHEN :q = '' OR sku = :q THEN 0
              WHEN substr(sku, 1, length(:q)) = :q THEN 1
              WHEN instr(name, :q) = 1 THEN 2
              WHEN instr(name, :q) > 0 THEN 3
              WHEN instr(sku, :q) > 0 THEN 4
              WHEN instr(lower(category), :q) > 0 THEN 5
              ELSE 6 END,
         name, sku, id
""")
_ALL = text("""
SELECT id FROM record
WHERE entity = 'product'
  AND (:category IS NULL OR coalesce(json_extract(data, '$.category'), '') = :category)
ORDER BY lower(coalesce(json_extract(data, '$.name'), '')),
         lower(coalesce(json_extract(data, '$.sku'), '')), id
""")
"""The empty query (the tab as it opens, and after each sync) in _SEARCH's order, without
copying every row into the candidate table first."""
_SIGNATURE = text(
    "SELECT count(*), coalesce(max(rowid), 0), coalesce(sum(version), 0) FROM record "
    "WHERE entity IN ('product', 'promotion')")
_CATEGORIES = text("""
SELECT coalesce(json_extract(data, '$.category'), '') AS category, count(*) AS n
FROM record WHERE entity = 'product' GROUP BY 1 ORDER BY n DESC, category
""")


@dataclass(frozen=True)
class ProductRow:
    """One product as a list row shows it."""

    id: str
    sku: str
    name: str
    category: str
    price_cents: int
    stock: int | None
    """None: the shop does not track this product's stock."""
    stock_state: StockState
    promotion: str
    """The product's own free-text promotion line (may be empty)."""


@dataclass(frozen=True)
class ProductDetail:
    row: ProductRow
    specs: tuple[tuple[str, str], ...]
    """(parameter, value) in the catalogue's order."""
    offers: tuple[Offer, ...]
    """The promotions in force now for this product: the largest saving first."""
    best: Offer | None
    """The offer saving the most on one unit, when one can be computed and applies."""


def stock_state(stock: int | None, low: int = LOW_STOCK) -> StockState:
    if stock is None:
        return "untracked"
    if stock <= 0:
        return "out"
    return "low" if stock < low else "in_stock"


class ProductService:
    """Reads on the caller's thread (short reads of the cache; the search is one SQL scan)."""

    def __init__(self, store: Store, *, low_stock: int = LOW_STOCK) -> None:
        self.store = store
        self.low_stock = low_stock
        self._known: set[str] = set()
        """Product and promotion ids handed out, so `touched` also sees one deleted since."""

    # ---- the list -----------------------------------------------------------------------------

    def search(self, query: str = "", *, category: str | None = None) -> tuple[str, ...]:
        """Ids of the products whose SKU, name, category or a spec value holds `query` as a
        substring (Latin case-insensitive; 1 and 2 Chinese characters too), best first: the
        exact SKU, SKUs starting with it, names starting with it, names holding it, then the
        rest; within each by name and SKU. An empty query lists the category (or all)."""
        needle = _ascii_lower(query.strip())
        params = {"q": needle, "escaped": json.dumps(needle)[1:-1], "category": category,
                  "fold": any("a" <= c <= "z" for c in needle)}
        with self.store.read() as session:
            ids = tuple(session.scalars(_SEARCH if needle else _ALL, params))
        self._known.update(ids)
        return ids

    def rows(self, ids: Sequence[str]) -> tuple[ProductRow, ...]:
        """These products in the given order (ids no longer cached are left out)."""
        found: dict[str, ProductRow] = {}
        with self.store.read() as session:
            for start in range(0, len(ids), _CHUNK):
                for rid, data in session.execute(select(Record.id, Record.data).where(
                        Record.entity == "product", Record.id.in_(ids[start:start + _CHUNK]))):
                    found[rid] = self._row(rid, data if isinstance(data, dict) else {})
        return tuple(found[i] for i in ids if i in found)

    def categories(self) -> tuple[tuple[str, int], ...]:
        """(category, products) pairs, the largest first, then by name ("" = none given)."""
        with self.store.read() as session:
            return tuple((str(c), int(n)) for c, n in session.execute(_CATEGORIES))

    # ---- one product and the shop's promotions ------------------------------------------------

    def detail(self, product_id: str, *, now: dt.datetime | None = None) -> ProductDetail | None:
        """Specs, price, stock and the offers in force `now` (default: the clock), or None."""
        with self.store.read() as session:
            record = session.get(Record, ("product", product_id))
            if record is None:
                return None
            data = record.data if isinstance(record.data, dict) else {}
            promotions = self._promotions(session.scalars(
                select(Record.data).where(Record.entity == "promotion")))
        row = self._row(product_id, data)
        raw_specs = data.get("specs")
        specs = tuple((str(k), text_of(v)) for k, v in raw_specs.items()) \
            if isinstance(raw_specs, dict) else ()
        offers = offers_for(row.sku, row.price_cents, promotions, _now(now))
        best = offers[0] if offers and offers[0].saving_cents else None
        return ProductDetail(row=row, specs=specs, offers=offers, best=best)

    def promotions_now(self, *, now: dt.datetime | None = None) -> tuple[Promotion, ...]:
        """Every promotion in force `now` for the shop: the ones ending soonest first, the
        open-ended ones last, then by name (the answer to 现在有什么活动)."""
        when = _now(now)
        with self.store.read() as session:
            promotions = self._promotions(session.scalars(
                select(Record.data).where(Record.entity == "promotion")))
        return tuple(sorted((p for p in promotions if p.in_force(when)),
                            key=lambda p: (p.ends_at is None, p.ends_at or when, p.name, p.id)))

    def signature(self) -> tuple[int, int, int]:
        """Changes when a product or promotion is added, deleted or updated (the desk compares
        it when a snapshot may have landed unseen, e.g. while the window was being built)."""
        with self.store.read() as session:
            count, top, versions = session.execute(_SIGNATURE).one()
        return int(count), int(top), int(versions)

    def touched(self, record_ids: set[str]) -> bool:
        """Whether a page's records include products or promotions (a big page: assume so)."""
        if not record_ids:
            return False
        if len(record_ids) > _CHUNK or not record_ids.isdisjoint(self._known):
            return True
        with self.store.read() as session:
            return session.scalar(select(Record.id).where(
                Record.entity.in_(_SHOWN), Record.id.in_(record_ids)).limit(1)) is not None

    # ---- rows ---------------------------------------------------------------------------------

    def _row(self, rid: str, data: dict[str, Any]) -> ProductRow:
        stock = data.get("stock")
        stock = int(stock) if isinstance(stock, int | float) and not isinstance(stock, bool) \
            else None
        return ProductRow(
            id=rid, sku=text_of(data.get("sku")), name=text_of(data.get("name")),
            category=text_of(data.get("category")), price_cents=int(data.get("price_cents") or 0),
            stock=stock, stock_state=stock_state(stock, self.low_stock),
            promotion=text_of(data.get("promotion")))

    def _promotions(self, rows: Iterable[Any]) -> list[Promotion]:
        found = [promotion_of(data) for data in rows if isinstance(data, dict)]
        self._known.update(p.id for p in found)
        return found


def _ascii_lower(value: str) -> str:
    """Lower case for A-Z only, as SQLite's lower() does."""
    return value.translate(_LOWER)


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)

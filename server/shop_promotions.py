"""Promotions in a shop import (H6): the SKUs they name must be the company's products."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import models as m
from server.shop_rows import Row


def promotion_errors(session: Session, company_id: str, rows: Sequence[Row]) -> list[str]:
    """`file:line: unknown sku …` for every SKU that is not a product of the company, in the
    database or earlier in the same import (products are written first)."""
    named = sorted({sku for row in rows for sku in row.values["skus"]})
    known: set[str] = set()
    for start in range(0, len(named), 5000):
        known.update(session.scalars(select(m.Product.sku).where(
            m.Product.company_id == company_id, m.Product.sku.in_(named[start:start + 5000]))))
    errors = []
    for row in rows:
        unknown = [sku for sku in row.values["skus"] if sku not in known]
        if unknown:
            listed = ", ".join(repr(sku) for sku in unknown)
            errors.append(f"{row.where}: unknown sku {listed} (not a product of the company: "
                          "import it first or in the same import)")
    return errors

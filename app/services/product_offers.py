"""Shop promotions and what they save on one product (H6): in force, covered SKUs, offers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Promotion:
    """A shop promotion (kefu_protocol/shop.py): `skus` empty = the whole shop; times in UTC,
    None = open on that side."""

    id: str
    name: str
    kind: str
    """满减 / 折扣 / 赠品 / 其他."""
    rule: str
    """The text agents read out."""
    threshold_cents: int
    discount_cents: int
    percent_off: int
    skus: tuple[str, ...]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None

    def in_force(self, now: dt.datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at)

    def covers(self, sku: str) -> bool:
        return not self.skus or sku in self.skus


@dataclass(frozen=True)
class Offer:
    """A promotion in force for one product, and what it saves on one unit."""

    promotion: Promotion
    saving_cents: int | None
    """满减 reached or 折扣: the saving on one unit; None when it cannot be computed (赠品, 其他,
    a 满减 one unit does not reach)."""
    short_cents: int = 0
    """满减 not reached with one unit: how much more the order needs."""


def offer(promotion: Promotion, price_cents: int) -> Offer:
    """What `promotion` does for one unit at `price_cents`."""
    if promotion.kind == "满减" and promotion.discount_cents > 0:
        short = promotion.threshold_cents - price_cents
        if short > 0:
            return Offer(promotion, None, short)
        return Offer(promotion, min(promotion.discount_cents, price_cents))
    if promotion.kind == "折扣" and 0 < promotion.percent_off <= 100:
        return Offer(promotion, (price_cents * promotion.percent_off + 50) // 100)
    return Offer(promotion, None)


def offers_for(sku: str, price_cents: int, promotions: Iterable[Promotion],
               now: dt.datetime) -> tuple[Offer, ...]:
    """The promotions in force for this SKU (its own and the whole shop's): the largest saving
    first, then those ending soonest, then by name."""
    found = [offer(p, price_cents) for p in promotions if p.in_force(now) and p.covers(sku)]
    return tuple(sorted(found, key=lambda o: (
        -(o.saving_cents or 0), o.promotion.ends_at is None, o.promotion.ends_at or _EPOCH,
        o.promotion.name, o.promotion.id)))


def promotion_of(data: dict[str, Any]) -> Promotion:
    """A synced promotion record's data; missing or unreadable fields count as empty."""
    skus = data.get("skus")
    return Promotion(
        id=text_of(data.get("id")), name=text_of(data.get("name")), kind=text_of(data.get("kind")),
        rule=text_of(data.get("rule")), threshold_cents=_int(data.get("threshold_cents")),
        discount_cents=_int(data.get("discount_cents")), percent_off=_int(data.get("percent_off")),
        skus=tuple(str(s) for s in skus) if isinstance(skus, list) else (),
        starts_at=_time(data.get("starts_at")), ends_at=_time(data.get("ends_at")))


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _time(value: Any) -> dt.datetime | None:
    """An ISO time (UTC when it has no zone); None when absent or unreadable (open-ended)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def text_of(value: Any) -> str:
    """A record field as text ("" for a missing one)."""
    return "" if value is None else str(value)

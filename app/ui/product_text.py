"""The 商品 tab's sentences (H6): prices, stock, offers, dates and the summary 插入 inserts."""

from __future__ import annotations

import datetime as dt

from app.i18n import Tr
from app.services.product_offers import Offer, Promotion
from app.services.products import ProductDetail, ProductRow

KEY_SPECS = 3
"""How many specs (in the catalogue's order) the inserted summary names."""


def money(tr: Tr, cents: int) -> str:
    return tr("products.money", amount=f"{cents / 100:.2f}")


def stock(tr: Tr, row: ProductRow) -> str:
    """有货 / 库存紧张 / 缺货 / 不跟踪库存, with the count where there is one."""
    return tr(f"products.stock.{row.stock_state}", count=row.stock if row.stock is not None else 0)


def list_row(tr: Tr, row: ProductRow) -> str:
    return tr("products.row", name=row.name, sku=row.sku, price=money(tr, row.price_cents),
              stock=stock(tr, row))


def local(when: dt.datetime) -> str:
    """A UTC time as this computer's wall time, "MM-DD HH:MM"."""
    return when.astimezone().strftime("%m-%d %H:%M")


def window(tr: Tr, promotion: Promotion) -> str:
    """When the promotion runs: 长期有效, 截至 …, … 起, … 至 …."""
    start, end = promotion.starts_at, promotion.ends_at
    if start is not None and end is not None:
        return tr("products.window_between", start=local(start), end=local(end))
    if end is not None:
        return tr("products.window_until", end=local(end))
    if start is not None:
        return tr("products.window_from", start=local(start))
    return tr("products.window_open")


def scope(tr: Tr, promotion: Promotion) -> str:
    return tr("products.scope_skus", count=len(promotion.skus)) if promotion.skus \
        else tr("products.scope_shop")


def offer_lines(tr: Tr, offer: Offer, price_cents: int) -> str:
    """The offer with its rule and dates, then what it does for one unit where known."""
    p = offer.promotion
    lines = [tr("products.offer", kind=p.kind, name=p.name, rule=p.rule or p.name,
                scope=scope(tr, p), window=window(tr, p))]
    if offer.saving_cents:
        lines.append(tr("products.offer_saving", saving=money(tr, offer.saving_cents),
                        price=money(tr, price_cents - offer.saving_cents)))
    elif offer.short_cents:
        lines.append(tr("products.offer_short", short=money(tr, offer.short_cents)))
    return "\n".join(lines)


def best(tr: Tr, detail: ProductDetail) -> str:
    offer = detail.best
    if offer is None or not offer.saving_cents:
        return ""
    return tr("products.best", name=offer.promotion.name, saving=money(tr, offer.saving_cents),
              price=money(tr, detail.row.price_cents - offer.saving_cents))


def promotion_row(tr: Tr, promotion: Promotion) -> str:
    return tr("products.promotion_row", kind=promotion.kind, name=promotion.name,
              rule=promotion.rule or promotion.name, scope=scope(tr, promotion),
              window=window(tr, promotion))


def promotion_sentence(tr: Tr, promotion: Promotion) -> str:
    """One promotion as the agent tells it to a customer."""
    return tr("products.summary_offer", rule=promotion.rule or promotion.name,
              window=window(tr, promotion))


def promotion_item(tr: Tr, promotion: Promotion) -> str:
    """One line of the list of every promotion in force."""
    return tr("products.promotion_item", name=promotion.name,
              rule=promotion.rule or promotion.name, window=window(tr, promotion))


def promotions_summary(tr: Tr, promotions: tuple[Promotion, ...]) -> str:
    """现在有什么活动: every promotion in force, one line each."""
    return tr("products.promotions_summary",
              lines="\n".join(promotion_item(tr, p) for p in promotions))


def summary(tr: Tr, detail: ProductDetail) -> str:
    """What 插入 puts in the composer: name, price, key specs; on the next line the current
    promotion (the best saving, else the first in force, else the product page's own line)."""
    row = detail.row
    price = money(tr, row.price_cents)
    pairs = [tr("products.spec_pair", name=name, value=value)
             for name, value in detail.specs[:KEY_SPECS] if value]
    text = tr("products.summary_specs", name=row.name, price=price,
              specs=tr("products.spec_separator").join(pairs)) if pairs \
        else tr("products.summary", name=row.name, price=price)
    offer = detail.best or (detail.offers[0] if detail.offers else None)
    if offer is not None:
        p = offer.promotion
        second = tr("products.summary_offer", rule=p.rule or p.name, window=window(tr, p))
    elif row.promotion.strip():
        second = tr("products.summary_own", promotion=row.promotion.strip())
    else:
        return text
    return tr("products.summary_lines", product=text, offer=second)

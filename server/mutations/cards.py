"""Mutator for sending one of the customer's orders into the chat as a card (H5, H11.3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from kefu_protocol.shop import ORDER_CARD_MAX_LINES, OrderCardSend
from server import models as m
from server.chat import append_message
from server.mutations.base import MutationContext, Mutator, Rejected
from server.mutations.conversations import claim_for_reply


def yuan(cents: int) -> str:
    """¥101.50 for 10150 (integer arithmetic: no float rounding)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}¥{cents // 100}.{cents % 100:02d}"


def _iso(value: dt.datetime) -> str:
    """As the feed writes times: UTC, ISO 8601 (stored times are always aware)."""
    return value.astimezone(dt.UTC).isoformat()


def _latest_tracking(ctx: MutationContext, order_id: str) -> dict[str, Any] | None:
    event = ctx.session.scalars(
        select(m.LogisticsEvent)
        .where(m.LogisticsEvent.order_id == order_id)
        .order_by(m.LogisticsEvent.at.desc(), m.LogisticsEvent.id.desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    return {"carrier": event.carrier, "status": event.status, "at": _iso(event.at)}


def order_card(ctx: MutationContext, order: m.Order) -> dict[str, Any]:
    """The card's fields: what the customer may see of their order — never the address or
    contact data (H11.3)."""
    lines = [
        {"name": str(line.get("name") or line.get("sku") or ""), "qty": int(line.get("qty") or 0)}
        for line in (order.lines or [])
    ]
    return {
        "type": "order",
        "order_no": order.order_no,
        "status": order.status,
        "total_cents": order.total_cents,
        "created_at": _iso(order.created_at),
        "lines": lines[:ORDER_CARD_MAX_LINES],
        "more": max(0, len(lines) - ORDER_CARD_MAX_LINES),
        "tracking": _latest_tracking(ctx, order.id),
    }


def card_text(card: dict[str, Any]) -> str:
    """The readable fallback, e.g. 订单 DD1001 · 已发货 · ¥101.50."""
    return f"订单 {card['order_no']} · {card['status']} · {yuan(int(card['total_cents']))}"


def send_card(ctx: MutationContext, args: OrderCardSend) -> None:
    """Like message.send (H3.5 ownership, closed conversations refused, replay-safe by the
    message id), with the order's card; only the conversation's own customer's order."""
    existing = ctx.session.get(m.Message, args.id)
    if existing is not None:
        if (existing.conversation_id == args.conversation_id and existing.sender == "agent"
                and existing.card is not None):
            return  # a replay (even under a new client id) changes nothing
        raise Rejected("message_id_conflict")
    order = ctx.session.get(m.Order, args.order_id)
    if order is None or not ctx.principal.sees_team(order.team_id):
        raise Rejected("order_not_found")
    conv = claim_for_reply(ctx, args.conversation_id)
    if order.customer_id != conv.customer_id:
        raise Rejected("order_not_customers")
    card = order_card(ctx, order)
    append_message(
        ctx.session, ctx.changes, conv, sender="agent", text=card_text(card), now=ctx.now,
        message_id=args.id, agent_id=ctx.principal.agent_id, card=card,
    )


MUTATORS: dict[str, Mutator] = {
    "order.send_card": send_card,
}

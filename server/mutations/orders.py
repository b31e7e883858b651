"""Mutators for orders: the state machine, special handling, red flag, returns (H5.1-H5.4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kefu_protocol.shop import (
    CANCEL_WINDOW_HOURS,
    ORDER_TRANSITIONS,
    REFUND_LIMIT_CENTS,
    REFUND_STATUSES,
    RETURN_FINAL_STATUS,
    RETURN_TRANSITIONS,
    RETURNABLE_ORDER_STATUSES,
    OrderCancel,
    OrderChangeAddress,
    OrderFlag,
    OrderIntercept,
    OrderTransition,
    ReturnCreate,
    ReturnUpdate,
)
from server import models as m
from server.masking import mask_address
from server.mutations.base import (
    MutationContext,
    Mutator,
    Rejected,
    bump,
    employee_id,
    require_permission,
)

LARGE_REFUND = "order.refund_large"
BEFORE_SHIPPING = ("待付款", "已付款")


def load_order(ctx: MutationContext, order_id: str) -> m.Order:
    """The order, locked, if the caller sees its team; else `order_not_found`."""
    order = ctx.session.get(m.Order, order_id, with_for_update=True)
    if order is None or not ctx.principal.sees_team(order.team_id):
        raise Rejected("order_not_found")
    return order


def _require_for_large(ctx: MutationContext, order: m.Order) -> None:
    if order.total_cents > REFUND_LIMIT_CENTS:
        require_permission(ctx, LARGE_REFUND)


def touch_order(ctx: MutationContext, order: m.Order, entry: dict[str, Any]) -> None:
    """H5.4: the handler's employee ID joins handled_by and the entry ends the history; the
    order is published to its team."""
    who = employee_id(ctx)
    order.history = [*order.history, {"at": ctx.now.isoformat(), "by": who, **entry}]
    if who not in order.handled_by:
        order.handled_by = [*order.handled_by, who]
    bump(order)
    ctx.publish_team(order, order.team_id)


def order_transition(ctx: MutationContext, args: OrderTransition) -> None:
    """H5.1: the server's state machine decides; refunding or cancelling above the limit needs
    order.refund_large (H10.2); H5.4: the handler's employee ID is recorded."""
    order = load_order(ctx, args.order_id)
    if args.from_status is not None and args.from_status != order.status:
        raise Rejected("stale_status", current=order.status)
    if args.to_status not in ORDER_TRANSITIONS.get(order.status, ()):
        raise Rejected("illegal_transition", current=order.status, target=args.to_status)
    if args.to_status in REFUND_STATUSES:
        _require_for_large(ctx, order)
    order.status = args.to_status
    touch_order(ctx, order, {"status": args.to_status})


def order_change_address(ctx: MutationContext, args: OrderChangeAddress) -> None:
    """H5.3: only before shipping; the history keeps the new address masked (H11.3)."""
    order = load_order(ctx, args.order_id)
    if order.status not in BEFORE_SHIPPING:
        raise Rejected("address_locked_after_shipping", current=order.status)
    order.address = args.address
    touch_order(ctx, order, {"action": "address_change", "note": mask_address(args.address)})


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def order_cancel(ctx: MutationContext, args: OrderCancel) -> None:
    """H5.3: before shipping and within CANCEL_WINDOW_HOURS of the order; above the refund
    limit only with order.refund_large."""
    order = load_order(ctx, args.order_id)
    window = dt.timedelta(hours=CANCEL_WINDOW_HOURS)
    if order.status not in BEFORE_SHIPPING or ctx.now - _as_utc(order.created_at) > window:
        raise Rejected("cancel_window_passed", current=order.status, hours=CANCEL_WINDOW_HOURS)
    _require_for_large(ctx, order)
    order.status = "已取消"
    touch_order(ctx, order, {"status": "已取消", "action": "cancel", "note": args.reason})


def order_intercept(ctx: MutationContext, args: OrderIntercept) -> None:
    """H5.3: an interception request for a shipped parcel; the status stays 已发货."""
    order = load_order(ctx, args.order_id)
    if order.status != "已发货":
        raise Rejected("intercept_not_shipped", current=order.status)
    order.intercept_requested_at = ctx.now
    touch_order(ctx, order, {"action": "intercept", "note": args.reason})


def order_flag(ctx: MutationContext, args: OrderFlag) -> None:
    """H5.4: 插小红旗 with a note, or takes the flag down."""
    order = load_order(ctx, args.order_id)
    order.flagged = args.flagged
    order.flag_note = args.note if args.flagged else ""
    touch_order(ctx, order, {"action": "flag" if args.flagged else "unflag", "note": args.note})


def _check_items(order: m.Order, items: list[dict[str, Any]]) -> None:
    ordered: dict[str, int] = {}
    for line in order.lines or []:
        sku = str(line.get("sku", ""))
        ordered[sku] = ordered.get(sku, 0) + int(line.get("qty", 0) or 0)
    asked: dict[str, int] = {}
    for item in items:
        asked[item["sku"]] = asked.get(item["sku"], 0) + item["qty"]
    for sku, qty in asked.items():
        if sku not in ordered:
            raise Rejected("return_items_invalid", detail=f"{sku} 不在订单中")
        if qty > ordered[sku]:
            raise Rejected("return_items_invalid", detail=f"{sku} 最多 {ordered[sku]} 件")


def return_create(ctx: MutationContext, args: ReturnCreate) -> None:
    """H5.2: a return or exchange case for a shipped order's lines, starting 待审核."""
    if ctx.session.get(m.ReturnCase, args.id) is not None:
        return  # replayed
    order = load_order(ctx, args.order_id)
    if order.status not in RETURNABLE_ORDER_STATUSES:
        raise Rejected("return_not_allowed", current=order.status)
    items = [item.model_dump() for item in args.items]
    _check_items(order, items)
    case = m.ReturnCase(
        id=args.id, order_id=order.id, team_id=order.team_id, kind=args.kind,
        reason=args.reason, items=items, note=args.note, status="待审核",
        created_by=ctx.principal.agent_id, created_at=ctx.now,
        history=[{"at": ctx.now.isoformat(), "by": employee_id(ctx), "status": "待审核",
                  "note": args.note}],
    )
    ctx.session.add(case)
    ctx.publish_team(case, case.team_id)
    touch_order(ctx, order, {"action": "return_create", "note": f"{args.kind}：{args.reason}"})


def return_update(ctx: MutationContext, args: ReturnUpdate) -> None:
    """H5.2: along RETURN_TRANSITIONS; 已寄回 ends as the kind's final status (退货 → 已退款,
    换货 → 已换货). Approving or refunding a 退货 above the limit needs order.refund_large."""
    case = ctx.session.get(m.ReturnCase, args.id, with_for_update=True)
    if case is None or not ctx.principal.sees_team(case.team_id):
        raise Rejected("return_not_found")
    allowed = RETURN_TRANSITIONS.get(case.status, ())
    if case.status == "已寄回":
        allowed = (RETURN_FINAL_STATUS[case.kind],)
    if args.status not in allowed:
        raise Rejected("return_illegal_transition", current=case.status, target=args.status)
    order = load_order(ctx, case.order_id)
    if case.kind == "退货" and args.status in ("已同意", "已退款"):
        _require_for_large(ctx, order)
    case.status = args.status
    case.history = [*case.history, {"at": ctx.now.isoformat(), "by": employee_id(ctx),
                                    "status": args.status, "note": args.note}]
    bump(case)
    ctx.publish_team(case, case.team_id)
    touch_order(ctx, order, {"action": "return_update", "note": f"{case.kind}：{args.status}"})


MUTATORS: dict[str, Mutator] = {
    "order.transition": order_transition,
    "order.change_address": order_change_address,
    "order.cancel": order_cancel,
    "order.intercept": order_intercept,
    "order.flag": order_flag,
    "return.create": return_create,
    "return.update": return_update,
}

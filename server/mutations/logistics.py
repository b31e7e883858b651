"""Mutators for delivery problems on an order: report one, resolve it (H7, history per H5.4)."""

from __future__ import annotations

from typing import Any

from kefu_protocol.shop import (
    LOGISTICS_PROBLEM_STATUSES,
    OrderLogisticsReport,
    OrderLogisticsResolve,
)
from server.mutations.base import (
    MutationContext,
    Mutator,
    Rejected,
    employee_id,
)
from server.mutations.orders import load_order, touch_order


def _open_issue(issue: dict[str, Any] | None) -> dict[str, Any] | None:
    """The order's problem while it is open (no resolution yet), else None."""
    return issue if issue and issue.get("resolution") is None else None


def _history_note(head: str, note: str) -> str:
    return f"{head}：{note}" if note else head


def report_logistics(ctx: MutationContext, args: OrderLogisticsReport) -> None:
    """H7: 延误/丢件 while on the way, 破损 once received too; one open problem at a time. The
    row's `logistics_issue` shows it to the team, the history records who reported it."""
    order = load_order(ctx, args.order_id)
    if order.status not in LOGISTICS_PROBLEM_STATUSES[args.problem]:
        raise Rejected("logistics_not_applicable", current=order.status, problem=args.problem)
    open_issue = _open_issue(order.logistics_issue)
    if open_issue is not None:
        raise Rejected("logistics_issue_open", problem=open_issue.get("problem", ""))
    order.logistics_issue = {
        "problem": args.problem, "note": args.note, "at": ctx.now.isoformat(),
        "by": employee_id(ctx), "resolution": None, "resolved_at": None, "resolved_by": None,
    }
    touch_order(ctx, order, {"action": "logistics_report",
                             "note": _history_note(args.problem, args.note)})


def resolve_logistics(ctx: MutationContext, args: OrderLogisticsResolve) -> None:
    """H7: closes the open problem with how it ended; the closed one stays on the row (so the
    order shows what happened) until a new one is reported."""
    order = load_order(ctx, args.order_id)
    issue = _open_issue(order.logistics_issue)
    if issue is None:
        raise Rejected("logistics_no_issue")
    order.logistics_issue = {**issue, "resolution": args.resolution,
                             "resolved_at": ctx.now.isoformat(), "resolved_by": employee_id(ctx)}
    touch_order(ctx, order, {
        "action": "logistics_resolve",
        "note": _history_note(f"{issue.get('problem', '')}：{args.resolution}", args.note),
    })


MUTATORS: dict[str, Mutator] = {
    "order.report_logistics": report_logistics,
    "order.resolve_logistics": resolve_logistics,
}

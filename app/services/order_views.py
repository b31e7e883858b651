"""What the 订单 tab shows (H5, H7): frozen rows built from cached order data and intents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.services.order_actions import Intent, Overlay, next_return_statuses
from kefu_protocol.shop import DELAY_HOURS, LOGISTICS_PATHS, RETURNABLE_ORDER_STATUSES

_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)
BEFORE_SHIPPING = ("待付款", "已付款")


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    qty: int
    price_cents: int


@dataclass(frozen=True)
class StatusStep:
    at: str
    status: str
    by: str
    """The employee ID who made the change (H5.4), or "system"."""
    action: str = ""
    """A special handling (address_change, cancel, intercept, flag, return_create …) or ""."""
    note: str = ""


@dataclass(frozen=True)
class LogisticsStep:
    at: str
    carrier: str
    tracking_no: str
    status: str
    detail: str


@dataclass(frozen=True)
class LogisticsIssue:
    """H7: the open or last delivery problem, with the handling path of an open one."""

    problem: str
    note: str
    at: str
    by: str
    resolution: str | None
    resolved_at: str
    resolved_by: str
    pending: bool
    steps: tuple[str, ...]


@dataclass(frozen=True)
class ReturnCase:
    """H5.2: a return (退货) or exchange (换货) of some lines, with its own status."""

    id: str
    kind: str
    reason: str
    items: tuple[OrderLine, ...]
    note: str
    status: str
    pending: bool
    next_statuses: tuple[str, ...]
    created_at: str
    history: tuple[StatusStep, ...]


@dataclass(frozen=True)
class OrderRow:
    id: str
    order_no: str
    customer_id: str
    status: str
    """What the agent should see: the queued change if one waits, else the server's status."""
    server_status: str
    pending_status: str | None
    """Queued (or sent and unacknowledged) change of status, shown as pending."""
    total_cents: int
    created_at: str
    refused: tuple[Intent, ...] = ()
    pending: tuple[Intent, ...] = ()
    """Every queued intent of this order, shown as pending until the server's ack."""
    pending_parts: frozenset[str] = frozenset()
    """Which parts of the row wait for the server: status, address, flag, intercept, logistics."""
    flagged: bool = False
    flag_note: str = ""
    flagged_by: str = ""
    """H5.4: the employee ID who put up the flag ("" while it is queued here)."""
    open_problem: str = ""


@dataclass(frozen=True)
class OrderDetail:
    row: OrderRow
    lines: tuple[OrderLine, ...]
    payment_method: str
    address_masked: str
    """Never the raw address (H11.3)."""
    history: tuple[StatusStep, ...]
    handled_by: tuple[str, ...]
    """备注工号: every employee ID that touched the order (H5.4)."""
    logistics: tuple[LogisticsStep, ...]
    next_statuses: tuple[str, ...]
    intercept_requested_at: str = ""
    issue: LogisticsIssue | None = None
    suspected_delay: bool = False
    returns: tuple[ReturnCase, ...] = ()
    problems: tuple[str, ...] = ()
    """Logistics problems that may be reported now (none while one is open)."""

    @property
    def can_change_address(self) -> bool:
        return self.row.status in BEFORE_SHIPPING

    @property
    def can_cancel(self) -> bool:
        return self.row.status in BEFORE_SHIPPING

    @property
    def can_intercept(self) -> bool:
        return self.row.status == "已发货" and not self.intercept_requested_at

    @property
    def can_return(self) -> bool:
        return self.row.status in RETURNABLE_ORDER_STATUSES and any(li.qty for li in self.lines)


def line_of(li: dict[str, Any]) -> OrderLine:
    return OrderLine(str(li.get("sku") or ""), str(li.get("name") or ""),
                     int(li.get("qty") or 0), int(li.get("price_cents") or 0))


def steps_of(history: Any) -> tuple[StatusStep, ...]:
    return tuple(StatusStep(str(h.get("at") or ""), str(h.get("status") or ""),
                            str(h.get("by") or ""), str(h.get("action") or ""),
                            str(h.get("note") or ""))
                 for h in history or () if isinstance(h, dict))


def issue_of(data: Any, pending: bool) -> LogisticsIssue | None:
    if not isinstance(data, dict) or not data.get("problem"):
        return None
    problem, resolution = str(data["problem"]), data.get("resolution")
    return LogisticsIssue(
        problem, str(data.get("note") or ""), str(data.get("at") or ""),
        str(data.get("by") or ""), str(resolution) if resolution else None,
        str(data.get("resolved_at") or ""), str(data.get("resolved_by") or ""), pending,
        LOGISTICS_PATHS.get(problem, ()) if not resolution else ())


def cases_of(rows: Iterable[dict[str, Any]], overlay: Overlay, order_id: str,
             names: dict[str, str]) -> tuple[ReturnCase, ...]:
    """The order's return cases, newest first: synced ones with their queued step laid over,
    then the ones queued here (pending, no next steps until the server has them)."""
    synced = list(rows)
    views = [overlay.case(d) for d in synced]
    views += [(d, True) for d in overlay.new_cases(order_id, {str(d.get("id")) for d in synced})]
    cases = []
    for data, pending in views:
        kind, status = str(data.get("kind") or ""), str(data.get("status") or "")
        items = tuple(OrderLine(str(i.get("sku")), names.get(str(i.get("sku")), ""),
                                int(i.get("qty") or 0), 0)
                      for i in data.get("items") or () if isinstance(i, dict))
        cases.append(ReturnCase(
            str(data.get("id")), kind, str(data.get("reason") or ""), items,
            str(data.get("note") or ""), status, pending,
            () if pending else next_return_statuses(kind, status),
            str(data.get("created_at") or ""), steps_of(data.get("history"))))
    return tuple(sorted(cases, key=lambda c: time_of(c.created_at), reverse=True))


def delayed(row: OrderRow, logistics: tuple[LogisticsStep, ...],
            history: tuple[StatusStep, ...], now: dt.datetime | None) -> bool:
    """H7 疑似延误: shipped, and the parcel's last news (tracking, else the shipping) is older
    than DELAY_HOURS."""
    if row.status != "已发货" or row.pending_status:
        return False
    shipped = [s.at for s in history if s.status == "已发货"]
    last = logistics[-1].at if logistics else (shipped[-1] if shipped else "")
    if not last:
        return False
    return (now or dt.datetime.now(dt.UTC)) - time_of(last) > dt.timedelta(hours=DELAY_HOURS)


def time_of(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value) if value else _EPOCH
    except ValueError:
        return _EPOCH
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

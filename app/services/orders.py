"""Orders beside the chat (H5, H7): look up by number or customer, one order's details."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.models.record_index import field
from app.models.store import Store
from app.models.tables import Record
from app.services.order_actions import (
    REFUSAL_CODES,
    OrderActions,
    OrderRefused,
    Overlay,
    read_overlay,
)
from app.services.order_views import (
    BEFORE_SHIPPING,
    LogisticsStep,
    OrderDetail,
    OrderRow,
    cases_of,
    delayed,
    issue_of,
    line_of,
    steps_of,
    time_of,
)
from kefu_protocol.shop import LOGISTICS_PROBLEM_STATUSES, ORDER_TRANSITIONS

__all__ = ["BEFORE_SHIPPING", "REFUSAL_CODES", "OrderDetail", "OrderRefused", "OrderRow",
           "OrderService"]
_SHOWN = ("order", "logistics_event", "return_case")


def next_statuses(status: str) -> tuple[str, ...]:
    """The legal next statuses from the shared state machine (the server checks the same)."""
    return ORDER_TRANSITIONS.get(status, ())


def lookup_statement(prefix: str) -> Select[Any]:
    """Orders whose number starts with `prefix`: a range over ix_record_order_no, not LIKE."""
    number = field("$.order_no")
    return select(Record.data).where(Record.entity == "order", number >= prefix,
                                     number < prefix + "\U0010ffff").limit(50)


def customer_statement(customer_id: str) -> Select[Any]:
    """The customer's orders over ix_record_order_customer."""
    return select(Record.data).where(Record.entity == "order",
                                     field("$.customer_id") == customer_id)


class OrderService:
    """Reads on the caller's thread; `actions` (every intent) on the DB worker."""

    def __init__(self, store: Store, *, agent_id: str, poke: Callable[[], None]) -> None:
        self.store = store
        self.agent_id = agent_id
        self.actions = OrderActions(store, poke=poke)

    def of_customer(self, customer_id: str) -> tuple[OrderRow, ...]:
        """The customer's orders, newest first."""
        with self.store.read() as session:
            rows = session.scalars(customer_statement(customer_id)).all()
            return self._rows(session, rows)

    def lookup(self, order_no: str) -> tuple[OrderRow, ...]:
        """By order number: the exact match first, then numbers starting with it (newest first)."""
        text = order_no.strip()
        if not text:
            return ()
        with self.store.read() as session:
            found = self._rows(session, session.scalars(lookup_statement(text)).all())
        exact = [r for r in found if r.order_no == text]
        return (*exact, *(r for r in found if r.order_no != text))

    def detail(self, order_id: str, *, now: dt.datetime | None = None) -> OrderDetail | None:
        with self.store.read() as session:
            record = session.get(Record, ("order", order_id))
            if record is None:
                return None
            overlay = read_overlay(session)
            data, parts = overlay.order(record.data or {})
            row = self._row(record.data or {}, overlay)
            events = session.scalars(select(Record.data).where(
                Record.entity == "logistics_event",
                func.json_extract(Record.data, "$.order_id") == order_id)).all()
            cases = session.scalars(select(Record.data).where(
                Record.entity == "return_case",
                func.json_extract(Record.data, "$.order_id") == order_id)).all()
        lines = tuple(line_of(li) for li in data.get("lines") or () if isinstance(li, dict))
        history = steps_of(data.get("history"))
        logistics = tuple(sorted(
            (LogisticsStep(str(e.get("at") or ""), str(e.get("carrier") or ""),
                           str(e.get("tracking_no") or ""), str(e.get("status") or ""),
                           str(e.get("detail") or "")) for e in events),
            key=lambda e: time_of(e.at)))
        issue = issue_of(data.get("logistics_issue"), "logistics" in parts)
        return OrderDetail(
            row=row, lines=lines, payment_method=str(data.get("payment_method") or ""),
            address_masked=str(data.get("address_masked") or ""), history=history,
            handled_by=tuple(str(e) for e in data.get("handled_by") or ()),
            logistics=logistics, next_statuses=next_statuses(row.status),
            intercept_requested_at=str(data.get("intercept_requested_at") or ""),
            issue=issue, suspected_delay=delayed(row, logistics, history, now),
            returns=cases_of(cases, overlay, order_id, {li.sku: li.name for li in lines}),
            problems=() if issue is not None and issue.resolution is None else tuple(
                p for p, allowed in LOGISTICS_PROBLEM_STATUSES.items() if row.status in allowed))

    def touched(self, record_ids: set[str]) -> bool:
        """Whether a page's records include orders, tracking events or return cases."""
        if not record_ids:
            return False
        if len(record_ids) > 500:
            return True
        with self.store.read() as session:
            return session.scalar(select(func.count()).select_from(Record).where(
                Record.entity.in_(_SHOWN), Record.id.in_(record_ids))) != 0

    def _rows(self, session: Session, rows: Iterable[dict[str, Any]]) -> tuple[OrderRow, ...]:
        overlay = read_overlay(session)
        result = [self._row(data, overlay) for data in rows]
        return tuple(sorted(result, key=lambda r: time_of(r.created_at), reverse=True))

    @staticmethod
    def _row(synced: dict[str, Any], overlay: Overlay) -> OrderRow:
        """The list row: the synced order with this desk's queued intents laid over it."""
        data, parts = overlay.order(synced)
        oid = str(data.get("id"))
        intents = overlay.of_order(oid)
        status = str(data.get("status") or "")
        flagged_by = next((str(h.get("by") or "") for h in reversed(data.get("history") or [])
                           if isinstance(h, dict) and h.get("action") == "flag"), "")
        issue = data.get("logistics_issue") or {}
        return OrderRow(
            id=oid, order_no=str(data.get("order_no") or ""),
            customer_id=str(data.get("customer_id") or ""), status=status,
            server_status=str(synced.get("status") or ""),
            pending_status=status if "status" in parts else None,
            total_cents=int(data.get("total_cents") or 0),
            created_at=str(data.get("created_at") or ""),
            refused=tuple(reversed([i for i in intents if i.refused])),
            pending=tuple(i for i in intents if not i.refused), pending_parts=parts,
            flagged=bool(data.get("flagged")), flag_note=str(data.get("flag_note") or ""),
            flagged_by="" if "flag" in parts else flagged_by,
            open_problem=str(issue.get("problem") or "") if issue.get("resolution") is None
            else "")



"""Orders beside the chat (H5): look up, details, the state machine's next steps, status changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models.store import Store
from app.models.tables import Outbox, Record
from app.services.handover import queue_checked
from kefu_protocol.shop import ORDER_TRANSITIONS

TRANSITION = "order.transition"
REFUSAL_CODES = ("order_not_found", "illegal_transition")
"""What OrderRefused says before anything is queued; anything else is the wire model's text."""
_SHOWN = ("order", "logistics_event")
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


class OrderRefused(Exception):
    """Not queued: the order is unknown here, the step is not legal, or the wire model says no."""


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


@dataclass(frozen=True)
class LogisticsStep:
    at: str
    carrier: str
    tracking_no: str
    status: str
    detail: str


@dataclass(frozen=True)
class Refusal:
    """A queued status change the server refused (H5.1): kept visible with its reason."""

    seq: int
    to_status: str
    code: str
    reason: str


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
    refused: tuple[Refusal, ...] = ()


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


def next_statuses(status: str) -> tuple[str, ...]:
    """The legal next statuses from the shared state machine (the server checks the same)."""
    return ORDER_TRANSITIONS.get(status, ())


class OrderService:
    """Reads on the caller's thread; `change_status` and `dismiss_refused` on the DB worker."""

    def __init__(self, store: Store, *, agent_id: str, poke: Callable[[], None]) -> None:
        self.store = store
        self.agent_id = agent_id
        self.poke = poke

    def of_customer(self, customer_id: str) -> tuple[OrderRow, ...]:
        """The customer's orders, newest first."""
        with self.store.read() as session:
            rows = session.scalars(select(Record.data).where(
                Record.entity == "order",
                func.json_extract(Record.data, "$.customer_id") == customer_id)).all()
            return self._rows(session, rows)

    def lookup(self, order_no: str) -> tuple[OrderRow, ...]:
        """By order number: the exact match first, then numbers starting with it (newest first)."""
        text = order_no.strip()
        if not text:
            return ()
        pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.store.read() as session:
            rows = session.scalars(select(Record.data).where(
                Record.entity == "order",
                func.json_extract(Record.data, "$.order_no").like(pattern, escape="\\"))
                .limit(50)).all()
            found = self._rows(session, rows)
        exact = [r for r in found if r.order_no == text]
        return (*exact, *(r for r in found if r.order_no != text))

    def detail(self, order_id: str) -> OrderDetail | None:
        with self.store.read() as session:
            record = session.get(Record, ("order", order_id))
            if record is None:
                return None
            data = record.data or {}
            [row] = self._rows(session, [data])
            events = session.scalars(select(Record.data).where(
                Record.entity == "logistics_event",
                func.json_extract(Record.data, "$.order_id") == order_id)).all()
        return OrderDetail(
            row=row,
            lines=tuple(OrderLine(str(li.get("sku") or ""), str(li.get("name") or ""),
                                  int(li.get("qty") or 0), int(li.get("price_cents") or 0))
                        for li in data.get("lines") or () if isinstance(li, dict)),
            payment_method=str(data.get("payment_method") or ""),
            address_masked=str(data.get("address_masked") or ""),
            history=tuple(StatusStep(str(h.get("at") or ""), str(h.get("status") or ""),
                                     str(h.get("by") or ""))
                          for h in data.get("history") or () if isinstance(h, dict)),
            handled_by=tuple(str(e) for e in data.get("handled_by") or ()),
            logistics=tuple(sorted(
                (LogisticsStep(str(e.get("at") or ""), str(e.get("carrier") or ""),
                               str(e.get("tracking_no") or ""), str(e.get("status") or ""),
                               str(e.get("detail") or "")) for e in events),
                key=lambda e: _time(e.at))),
            next_statuses=next_statuses(row.status),
        )

    def touched(self, record_ids: set[str]) -> bool:
        """Whether a page's records include orders or tracking events (a big page: assume so)."""
        if not record_ids:
            return False
        if len(record_ids) > 500:
            return True
        with self.store.read() as session:
            return session.scalar(select(func.count()).select_from(Record).where(
                Record.entity.in_(_SHOWN), Record.id.in_(record_ids))) != 0

    def change_status(self, order_id: str, to_status: str) -> int:
        """Queues order.transition from the status the agent sees (so a change made meanwhile
        by someone else is refused as stale, not applied blindly); wakes the push thread."""
        with self.store.read() as session:
            record = session.get(Record, ("order", order_id))
            if record is None:
                raise OrderRefused("order_not_found")
            [row] = self._rows(session, [record.data or {}])
        if to_status not in next_statuses(row.status):
            raise OrderRefused("illegal_transition")
        args = {"order_id": order_id, "to_status": to_status, "from_status": row.status}
        return queue_checked(self.store, self.poke, TRANSITION, args, OrderRefused)

    def dismiss_refused(self, order_id: str) -> None:
        """The agent has read the refusals of this order: they leave the outbox."""
        with self.store.write() as session:
            seqs = [seq for seq, args in session.execute(
                select(Outbox.seq, Outbox.args).where(
                    Outbox.name == TRANSITION, Outbox.state == "rejected"))
                if args.get("order_id") == order_id]
            if seqs:
                session.execute(delete(Outbox).where(Outbox.seq.in_(seqs)))

    def _rows(self, session: Session, rows: Any) -> tuple[OrderRow, ...]:
        intents = session.execute(select(Outbox.seq, Outbox.state, Outbox.args, Outbox.code,
                                         Outbox.last_error)
                                  .where(Outbox.name == TRANSITION).order_by(Outbox.seq)).all()
        pending: dict[str, str] = {}
        refused: dict[str, list[Refusal]] = {}
        for seq, state, args, code, reason in intents:
            oid = str(args.get("order_id"))
            if state == "rejected":
                refused.setdefault(oid, []).append(
                    Refusal(seq, str(args.get("to_status") or ""), str(code or ""),
                            str(reason or code or "")))
            else:
                pending[oid] = str(args.get("to_status") or "")
        result = []
        for data in rows:
            oid = str(data.get("id"))
            status = str(data.get("status") or "")
            queued = pending.get(oid)
            result.append(OrderRow(
                id=oid, order_no=str(data.get("order_no") or ""),
                customer_id=str(data.get("customer_id") or ""),
                status=queued or status, server_status=status, pending_status=queued,
                total_cents=int(data.get("total_cents") or 0),
                created_at=str(data.get("created_at") or ""),
                refused=tuple(reversed(refused.get(oid, [])))))
        return tuple(sorted(result, key=lambda r: _time(r.created_at), reverse=True))


def _time(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value) if value else _EPOCH
    except ValueError:
        return _EPOCH
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

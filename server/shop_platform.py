"""The seam to a shop platform (fetch an order, push a status); the default reads imported data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select

from kefu_protocol.shop import ORDER_TRANSITIONS
from server import models as m
from server.changes import ChangeWriter, team_scope
from server.db import Database
from server.mutations.base import bump


@dataclass(frozen=True)
class OrderRecord:
    """An order as the platform knows it (amounts in cents)."""

    order_no: str
    status: str
    total_cents: int
    payment_method: str
    address: str
    customer_id: str
    team_id: str
    lines: tuple[dict[str, Any], ...]
    history: tuple[dict[str, Any], ...]


class OrderNotFound(LookupError):
    """No order with that number in the company."""


class IllegalTransition(ValueError):
    """The order state machine (ORDER_TRANSITIONS, H5.1) does not allow this change."""

    def __init__(self, order_no: str, current: str, target: str) -> None:
        allowed = "、".join(ORDER_TRANSITIONS.get(current, ())) or "none"
        super().__init__(f"order {order_no}: {current} → {target} is not allowed "
                         f"(from {current}: {allowed})")
        self.current, self.target = current, target


class ShopPlatform(Protocol):
    """What KefuDesk asks of a shop platform; a real one (Taobao, JD, Shopify…) implements this."""

    def fetch_order(self, company_id: str, order_no: str) -> OrderRecord | None: ...

    def push_status(self, company_id: str, order_no: str, status: str, *, note: str) -> None: ...


def _record(order: m.Order) -> OrderRecord:
    return OrderRecord(order.order_no, order.status, order.total_cents, order.payment_method,
                       order.address, order.customer_id, order.team_id,
                       tuple(order.lines or ()), tuple(order.history or ()))


class ImportedPlatform:
    """The default platform: the orders imported with `kefudesk-server import`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def fetch_order(self, company_id: str, order_no: str) -> OrderRecord | None:
        with self.db.read() as session:
            order = session.scalars(select(m.Order).where(
                m.Order.company_id == company_id, m.Order.order_no == order_no)).first()
            return None if order is None else _record(order)

    def push_status(self, company_id: str, order_no: str, status: str, *, note: str) -> None:
        """Moves the order through the state machine; the change reaches the team's desks."""
        with self.db.write() as session:
            order = session.scalars(select(m.Order).where(
                m.Order.company_id == company_id, m.Order.order_no == order_no
            ).with_for_update()).first()
            if order is None:
                raise OrderNotFound(order_no)
            if status not in ORDER_TRANSITIONS.get(order.status, ()):
                raise IllegalTransition(order_no, order.status, status)
            order.history = [*order.history, {"at": dt.datetime.now(dt.UTC).isoformat(),
                                              "status": status, "by": "platform", "note": note}]
            order.status = status
            bump(order)
            session.flush()
            changes = ChangeWriter(session, self.db.kind)
            changes.upsert(team_scope(order.team_id), order)
            changes.before_commit()

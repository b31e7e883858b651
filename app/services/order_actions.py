"""Order and return intents (H5.1-H5.4, H7): queued in the outbox, laid over the cached rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models.store import Store
from app.models.tables import Conversation, Outbox, Record
from app.services.handover import queue_checked
from kefu_protocol.shop import (
    ORDER_TRANSITIONS,
    RETURN_FINAL_STATUS,
    RETURN_TRANSITIONS,
)

ORDER_INTENTS = ("order.transition", "order.change_address", "order.cancel",
                 "order.intercept", "order.flag", "order.report_logistics",
                 "order.resolve_logistics", "return.create", "return.update")
"""Every intent that changes an order or one of its return cases (not the chat card)."""
SEND_CARD = "order.send_card"
REFUSAL_CODES = ("order_not_found", "illegal_transition", "return_not_found",
                 "order_not_customers", "no_conversation")
"""What OrderRefused says before anything is queued; anything else is the wire model's text."""


class OrderRefused(Exception):
    """Not queued: the order is unknown here, the step is not legal, or the wire model says no."""


@dataclass(frozen=True)
class Intent:
    """One of this desk's order or return intents: waiting for the server, or refused by it."""

    seq: int
    name: str
    order_id: str
    target: str
    """What it asked for, as the agent reads it (a status, a masked address, a problem …)."""
    refused: bool
    code: str = ""
    reason: str = ""
    args: dict[str, Any] = field(default_factory=dict, compare=False)
    created_at: str = ""


def mask_address(address: str) -> str:
    """H11.3: province and city, the rest hidden (as the server masks the feed's address)."""
    keep = min(6, max(0, len(address) - 4))
    return address[:keep] + "****" if address else ""


def next_return_statuses(kind: str, status: str) -> tuple[str, ...]:
    """RETURN_TRANSITIONS, where 已寄回 ends as the kind's final status (退货 → 已退款)."""
    if status == "已寄回":
        final = RETURN_FINAL_STATUS.get(kind)
        return (final,) if final else ()
    return RETURN_TRANSITIONS.get(status, ())


def _target(name: str, args: dict[str, Any]) -> str:
    keys = {"order.transition": "to_status", "order.flag": "note", "order.cancel": "reason",
            "order.intercept": "reason", "order.report_logistics": "problem",
            "order.resolve_logistics": "resolution", "return.create": "kind",
            "return.update": "status"}
    if name == "order.change_address":
        return mask_address(str(args.get("address") or ""))
    return str(args.get(keys.get(name, ""), "") or "")


class Overlay:
    """This desk's queued and refused intents, read once per view: what the agent sees is the
    synced row with the queued changes laid over it (pending), refusals listed beside it."""

    def __init__(self, intents: Iterable[Intent]) -> None:
        self.intents = tuple(intents)

    def of_order(self, order_id: str) -> tuple[Intent, ...]:
        return tuple(i for i in self.intents if i.order_id == order_id)

    def order(self, data: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
        """The order row as queued intents will leave it, and which parts are still pending."""
        view, pending = dict(data), set()
        for intent in self.of_order(str(data.get("id"))):
            if intent.refused:
                continue
            args, name = intent.args, intent.name
            if name == "order.transition":
                view["status"], part = str(args.get("to_status") or ""), "status"
            elif name == "order.cancel":
                view["status"], part = "已取消", "status"
            elif name == "order.change_address":
                view["address_masked"], part = intent.target, "address"
            elif name == "order.intercept":
                view["intercept_requested_at"], part = intent.created_at, "intercept"
            elif name == "order.flag":
                view["flagged"] = bool(args.get("flagged"))
                view["flag_note"], part = str(args.get("note") or ""), "flag"
            elif name == "order.report_logistics":
                view["logistics_issue"] = {"problem": args.get("problem"),
                                           "note": args.get("note") or "",
                                           "at": intent.created_at, "by": "", "resolution": None}
                part = "logistics"
            elif name == "order.resolve_logistics":
                issue = dict(view.get("logistics_issue") or {})
                issue["resolution"] = args.get("resolution")
                view["logistics_issue"], part = issue, "logistics"
            else:
                continue
            pending.add(part)
        return view, frozenset(pending)

    def case(self, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """A return case with its queued step laid over it."""
        view, pending = dict(data), False
        for intent in self.intents:
            if (intent.name == "return.update" and not intent.refused
                    and intent.args.get("id") == data.get("id")):
                view["status"], pending = str(intent.args.get("status") or ""), True
        return view, pending

    def new_cases(self, order_id: str, known: set[str]) -> list[dict[str, Any]]:
        """Queued return cases the server has not confirmed yet (status 待审核, pending)."""
        return [{**i.args, "status": "待审核", "created_at": i.created_at, "history": []}
                for i in self.of_order(order_id)
                if i.name == "return.create" and not i.refused and i.args.get("id") not in known]


def read_overlay(session: Session) -> Overlay:
    rows = session.execute(select(Outbox.seq, Outbox.name, Outbox.state, Outbox.args,
                                  Outbox.code, Outbox.last_error, Outbox.created_at)
                           .where(Outbox.name.in_(ORDER_INTENTS)).order_by(Outbox.seq)).all()
    case_ids = {str(r.args.get("id")) for r in rows if r.name == "return.update"}
    case_orders = {cid: str((data or {}).get("order_id") or "") for cid, data in session.execute(
        select(Record.id, Record.data).where(Record.entity == "return_case",
                                             Record.id.in_(case_ids)))} if case_ids else {}
    case_orders.update({str(r.args.get("id")): str(r.args.get("order_id")) for r in rows
                        if r.name == "return.create"})
    intents = []
    for seq, name, state, args, code, error, created_at in rows:
        order_id = (case_orders.get(str(args.get("id")), "") if name == "return.update"
                    else str(args.get("order_id") or ""))
        refused = state == "rejected"
        intents.append(Intent(seq, name, order_id, _target(name, args), refused,
                              str(code or "") if refused else "",
                              str(error or code or "") if refused else "", dict(args),
                              str(created_at or "")))
    return Overlay(intents)


class OrderActions:
    """Every order.* / return.* mutation as a queued intent (works offline); DB worker only."""

    def __init__(self, store: Store, *, poke: Callable[[], None]) -> None:
        self.store = store
        self.poke = poke

    def _queue(self, name: str, args: dict[str, Any]) -> int:
        return queue_checked(self.store, self.poke, name, args, OrderRefused)

    def _seen(self, order_id: str) -> dict[str, Any]:
        """The order as the agent sees it (queued changes laid over), or `order_not_found`."""
        with self.store.read() as session:
            record = session.get(Record, ("order", order_id))
            if record is None:
                raise OrderRefused("order_not_found")
            view, _pending = read_overlay(session).order(record.data or {})
        return view

    def change_status(self, order_id: str, to_status: str) -> int:
        """From the status the agent sees (a change made meanwhile is refused as stale)."""
        status = str(self._seen(order_id).get("status") or "")
        if to_status not in ORDER_TRANSITIONS.get(status, ()):
            raise OrderRefused("illegal_transition")
        return self._queue("order.transition", {"order_id": order_id, "to_status": to_status,
                                                "from_status": status})

    def change_address(self, order_id: str, address: str) -> int:
        self._seen(order_id)
        return self._queue("order.change_address", {"order_id": order_id,
                                                     "address": address.strip()})

    def cancel(self, order_id: str, reason: str) -> int:
        self._seen(order_id)
        return self._queue("order.cancel", {"order_id": order_id, "reason": reason.strip()})

    def intercept(self, order_id: str, reason: str) -> int:
        self._seen(order_id)
        return self._queue("order.intercept", {"order_id": order_id, "reason": reason.strip()})

    def flag(self, order_id: str, flagged: bool, note: str = "") -> int:
        self._seen(order_id)
        return self._queue("order.flag", {"order_id": order_id, "flagged": flagged,
                                          "note": note.strip() if flagged else ""})

    def report_logistics(self, order_id: str, problem: str, note: str = "") -> int:
        self._seen(order_id)
        return self._queue("order.report_logistics", {"order_id": order_id, "problem": problem,
                                                      "note": note.strip()})

    def resolve_logistics(self, order_id: str, resolution: str, note: str = "") -> int:
        self._seen(order_id)
        return self._queue("order.resolve_logistics", {
            "order_id": order_id, "resolution": resolution, "note": note.strip()})

    def create_return(self, order_id: str, kind: str, reason: str,
                      items: Iterable[tuple[str, int]], note: str = "") -> str:
        """H5.2: a new case (its id returned); only lines with a quantity are sent."""
        self._seen(order_id)
        case_id = str(uuid.uuid4())
        self._queue("return.create", {
            "id": case_id, "order_id": order_id, "kind": kind, "reason": reason.strip(),
            "items": [{"sku": sku, "qty": qty} for sku, qty in items if qty > 0],
            "note": note.strip()})
        return case_id

    def update_return(self, case_id: str, status: str, note: str = "") -> int:
        """Along RETURN_TRANSITIONS from the status the agent sees (the server checks again)."""
        with self.store.read() as session:
            overlay = read_overlay(session)
            record = session.get(Record, ("return_case", case_id))
            data = record.data if record is not None else next(
                (i.args | {"status": "待审核"} for i in overlay.intents
                 if i.name == "return.create" and i.args.get("id") == case_id), None)
            if data is None:
                raise OrderRefused("return_not_found")
            view, _pending = overlay.case(data)
        if status not in next_return_statuses(str(view.get("kind")), str(view.get("status"))):
            raise OrderRefused("illegal_transition")
        return self._queue("return.update", {"id": case_id, "status": status,
                                             "note": note.strip()})

    def send_card(self, conversation_id: str, order_id: str) -> str:
        """H5: the order as a card in the chat (message id returned); only the conversation's
        own customer's order (H11.3)."""
        order = self._seen(order_id)
        with self.store.read() as session:
            conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise OrderRefused("no_conversation")
        if conversation.customer_id != order.get("customer_id"):
            raise OrderRefused("order_not_customers")
        message_id = str(uuid.uuid4())
        self._queue(SEND_CARD, {"id": message_id, "conversation_id": conversation_id,
                                "order_id": order_id})
        return message_id

    def dismiss_refused(self, order_id: str) -> None:
        """The agent has read the refusals of this order (and its cases): they leave the outbox."""
        with self.store.write() as session:
            seqs = [i.seq for i in read_overlay(session).of_order(order_id) if i.refused]
            if seqs:
                session.execute(delete(Outbox).where(Outbox.seq.in_(seqs)))

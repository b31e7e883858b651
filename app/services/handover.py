"""The shift handover (H13.2): the outgoing agent's draft and submit, incoming items and acks."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.store import Store
from app.models.tables import Conversation, Customer, Outbox, Record
from app.services.colleagues import Colleague, ColleagueService
from app.sync import outbox
from kefu_protocol.wire import MUTATION_ARGS

DEFAULT_ZONE = "Asia/Shanghai"
CUSTOMER_CHOICES = 200
SHIFT_ENTITIES = ("handover", "shift", "problem", "surge")


class HandoverRefused(Exception):
    """Not queued: the wire model refused the handover (`detail` says why)."""


@dataclass(frozen=True)
class OpenConversation:
    """One of the outgoing agent's open conversations, offered as a `conversation` item."""

    conversation_id: str
    customer_id: str
    nickname: str
    last_message: str
    waiting_since: str | None


@dataclass(frozen=True)
class ShiftNow:
    id: str
    name: str
    starts: str
    ends: str

    @property
    def night(self) -> bool:
        """Crosses midnight (夜班 17:00–01:00): the desk is usually shared after it (H1.9)."""
        return self.ends <= self.starts


@dataclass(frozen=True)
class HandoverDraft:
    conversations: tuple[OpenConversation, ...]
    colleagues: tuple[Colleague, ...]
    shift: ShiftNow | None


@dataclass(frozen=True)
class ItemInput:
    """What the outgoing agent adds: kind is conversation | todo | prospect | callback | note."""

    kind: str
    text: str = ""
    conversation_id: str | None = None
    customer_id: str | None = None
    to_agent_id: str | None = None
    due_at: str | None = None


@dataclass(frozen=True)
class HandoverItemView:
    index: int
    kind: str
    text: str
    conversation_id: str | None
    customer_id: str | None
    customer_name: str
    to_agent_id: str | None
    to_agent_name: str
    due_at: str | None
    acked_at: str | None
    ack_pending: bool = False
    """The agent acknowledged it here; the server has not confirmed yet."""
    skipped: bool = False
    """A conversation the server did not transfer (closed, no longer the author's)."""

    @property
    def acked(self) -> bool:
        return self.acked_at is not None or self.ack_pending


@dataclass(frozen=True)
class HandoverView:
    id: str
    from_agent_id: str
    from_name: str
    to_agent_id: str | None
    to_name: str
    note: str
    created_at: str
    shift_id: str | None
    shift_name: str
    items: tuple[HandoverItemView, ...]
    pending: bool = False
    """Queued in the outbox (offline or not yet acknowledged by the server)."""

    @property
    def unacked(self) -> tuple[HandoverItemView, ...]:
        return tuple(i for i in self.items if not i.acked)


def shift_running(starts: str, ends: str, now: dt.datetime, tz: ZoneInfo) -> bool:
    """Is the shift "HH:MM"–"HH:MM" (local wall time in `tz`, maybe across midnight) on?"""
    local = now.astimezone(tz)
    for day in (local.date(), local.date() - dt.timedelta(days=1)):
        start = dt.datetime.combine(day, dt.time.fromisoformat(starts), tz)
        end = dt.datetime.combine(day, dt.time.fromisoformat(ends), tz)
        if end <= start:
            end += dt.timedelta(days=1)
        if start <= local < end:
            return True
    return False


class HandoverService:
    """Reads on the caller's thread; `submit` and `ack` run on the DB worker thread."""

    def __init__(self, store: Store, *, agent_id: str, team_id: str,
                 poke: Callable[[], None], zone: str = DEFAULT_ZONE,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.store = store
        self.agent_id = agent_id
        self.team_id = team_id
        self.poke = poke
        self.zone = ZoneInfo(zone)
        self.now = now
        self.colleagues = ColleagueService(store, agent_id=agent_id)

    # ---- the outgoing agent ---------------------------------------------------------------

    def draft(self) -> HandoverDraft:
        """My open conversations (longest waiting first), my colleagues, my current shift."""
        with self.store.read() as session:
            rows = session.execute(
                select(Conversation, Customer.nickname)
                .outerjoin(Customer, Customer.id == Conversation.customer_id)
                .where(Conversation.agent_id == self.agent_id,
                       Conversation.state != "closed")).all()
            shift = self._current_shift(session)
        conversations = sorted(
            (OpenConversation(c.id, c.customer_id, nickname or "", c.last_message_text,
                              c.awaiting_reply_since) for c, nickname in rows),
            key=lambda o: (o.waiting_since is None, o.waiting_since or "", o.nickname))
        return HandoverDraft(tuple(conversations), tuple(self.colleagues.all()), shift)

    def current_shift(self) -> ShiftNow | None:
        """The shift I am rostered on that is running now (zone: the company's, H13.1)."""
        with self.store.read() as session:
            return self._current_shift(session)

    def customers(self, query: str = "") -> tuple[tuple[str, str], ...]:
        """(id, nickname) of cached customers for the prospect and call-back pickers."""
        stmt = select(Customer.id, Customer.nickname).order_by(Customer.nickname)
        if query.strip():
            stmt = stmt.where(Customer.nickname.contains(query.strip()))
        with self.store.read() as session:
            return tuple((cid, name) for cid, name in
                         session.execute(stmt.limit(CUSTOMER_CHOICES)).all())

    def latest_conversation(self, customer_id: str) -> str | None:
        """The customer's newest cached conversation (to open from a prospect item)."""
        with self.store.read() as session:
            return session.scalar(select(Conversation.id).where(
                Conversation.customer_id == customer_id)
                .order_by(Conversation.created_at.desc()).limit(1))

    def submit(self, items: Iterable[ItemInput], *, to_agent_id: str | None = None,
               note: str = "", shift_id: str | None = None, transfer: bool = True,
               handover_id: str | None = None) -> str:
        """Queues ONE handover.create (items, transfer of the chosen conversations, H3.4);
        offline it waits in the outbox. Returns the handover's id."""
        args: dict[str, Any] = {
            "id": handover_id or str(uuid.uuid4()), "to_agent_id": to_agent_id,
            "note": note.strip(), "shift_id": shift_id, "transfer": transfer,
            "items": [_item_args(i) for i in items]}
        self._queue("handover.create", args)
        return str(args["id"])

    # ---- the incoming agent ---------------------------------------------------------------

    def incoming(self, *, unacked_only: bool = False) -> tuple[HandoverView, ...]:
        """Handovers addressed to me (or with items for me), newest first."""
        found = [h for h in self._all() if h.from_agent_id != self.agent_id and (
            h.to_agent_id == self.agent_id
            or any(i.to_agent_id == self.agent_id for i in h.items))]
        if unacked_only:
            found = [h for h in found if self.needs_ack(h)]
        return tuple(found)

    def needs_ack(self, handover: HandoverView) -> bool:
        """Something in it for me that I have not acknowledged."""
        return any(not i.acked and i.to_agent_id == self.agent_id for i in handover.items)

    def ack(self, handover_id: str, item: int | None = None) -> int:
        """Queues handover.ack for one item (its index) or for all of them."""
        return self._queue("handover.ack", {"id": handover_id, "item": item})

    def search(self, *, shift_id: str | None = None, agent_id: str | None = None,
               customer_id: str | None = None, text: str = "") -> tuple[HandoverView, ...]:
        """The kept records (works offline): every filter given must match; newest first."""
        terms = text.casefold().split()
        out = []
        for h in self._all():
            if shift_id and h.shift_id != shift_id:
                continue
            if agent_id and agent_id not in {h.from_agent_id, h.to_agent_id,
                                             *(i.to_agent_id for i in h.items)}:
                continue
            if customer_id and not any(i.customer_id == customer_id for i in h.items):
                continue
            hay = " ".join([h.note, h.from_name, h.to_name, *(
                f"{i.text} {i.customer_name} {i.to_agent_name}" for i in h.items)]).casefold()
            if all(t in hay for t in terms):
                out.append(h)
        return tuple(out)

    def touched(self, record_ids: set[str]) -> bool:
        """Does a page's set of record ids hold a handover, shift, problem or surge? (Pages
        of presence changes, frequent on a large floor, then cost the shift views nothing.)"""
        with self.store.read() as session:
            for start in range(0, len(record_ids), 500):
                chunk = sorted(record_ids)[start:start + 500]
                if session.scalar(select(Record.id).where(
                        Record.entity.in_(SHIFT_ENTITIES), Record.id.in_(chunk)).limit(1)):
                    return True
        return False

    def shifts(self) -> tuple[tuple[str, str], ...]:
        """(id, name) of my team's shifts, for the history's filter."""
        with self.store.read() as session:
            rows = session.scalars(select(Record.data).where(Record.entity == "shift")).all()
        return tuple(sorted(((str(d["id"]), str(d.get("name", ""))) for d in rows
                             if d.get("team_id") == self.team_id and not d.get("deleted")),
                            key=lambda p: p[1]))

    # ---- reading ------------------------------------------------------------------------

    def _all(self) -> list[HandoverView]:
        """Synced handovers with the queued creates and acks laid over them."""
        names = self.colleagues.names()
        with self.store.read() as session:
            records = list(session.scalars(select(Record.data).where(
                Record.entity == "handover")))
            queued = session.execute(
                select(Outbox.name, Outbox.args)
                .where(Outbox.state != "rejected",
                       Outbox.name.in_(("handover.create", "handover.ack")))
                .order_by(Outbox.seq)).all()
            shifts = {str(d.get("id")): str(d.get("name", "")) for d in session.scalars(
                select(Record.data).where(Record.entity == "shift"))}
            by_id: dict[str, HandoverView] = {}
            for data in records:
                by_id[str(data.get("id"))] = self._view(session, data, names, shifts)
            for name, args in queued:
                hid = str(args.get("id", ""))
                if name == "handover.create" and hid not in by_id:
                    data = {**args, "from_agent_id": self.agent_id, "team_id": self.team_id,
                            "created_at": ""}
                    by_id[hid] = replace(self._view(session, data, names, shifts),
                                         pending=True)
                elif name == "handover.ack" and hid in by_id:
                    by_id[hid] = _acked_locally(by_id[hid], args.get("item"))
        return sorted(by_id.values(), key=lambda h: (not h.pending, h.created_at),
                      reverse=True)

    def _view(self, session: Session, data: dict[str, Any], names: dict[str, str],
              shifts: dict[str, str]) -> HandoverView:
        items = []
        for index, raw in enumerate(data.get("items") or []):
            customer_id = raw.get("customer_id")
            if not customer_id and raw.get("conversation_id"):
                conv = session.get(Conversation, str(raw["conversation_id"]))
                customer_id = conv.customer_id if conv is not None else None
            customer = session.get(Customer, str(customer_id)) if customer_id else None
            to_agent = raw.get("to_agent_id") or data.get("to_agent_id")
            items.append(HandoverItemView(
                index=index, kind=str(raw.get("kind", "note")), text=str(raw.get("text", "")),
                conversation_id=raw.get("conversation_id"), customer_id=customer_id,
                customer_name=customer.nickname if customer is not None else "",
                to_agent_id=to_agent, to_agent_name=names.get(str(to_agent), ""),
                due_at=raw.get("due_at"), acked_at=raw.get("acked_at"),
                skipped=bool(raw.get("skipped"))))
        to_id = data.get("to_agent_id")
        shift_id = data.get("shift_id")
        return HandoverView(
            id=str(data.get("id")), from_agent_id=str(data.get("from_agent_id", "")),
            from_name=names.get(str(data.get("from_agent_id")), ""), to_agent_id=to_id,
            to_name=names.get(str(to_id), "") if to_id else "", note=str(data.get("note", "")),
            created_at=str(data.get("created_at") or ""), shift_id=shift_id,
            shift_name=shifts.get(str(shift_id), "") if shift_id else "", items=tuple(items))

    def _current_shift(self, session: Session) -> ShiftNow | None:
        now = self.now()
        for data in session.scalars(select(Record.data).where(Record.entity == "shift")):
            if self.agent_id in (data.get("agent_ids") or []) and not data.get("deleted"):
                starts, ends = str(data.get("starts", "")), str(data.get("ends", ""))
                try:
                    running = shift_running(starts, ends, now, self.zone)
                except ValueError:
                    continue
                if running:
                    return ShiftNow(str(data["id"]), str(data.get("name", "")), starts, ends)
        return None

    def _queue(self, name: str, args: dict[str, Any]) -> int:
        return queue_checked(self.store, self.poke, name, args, HandoverRefused)


def queue_checked(store: Store, poke: Callable[[], None], name: str, args: dict[str, Any],
                  refused: type[Exception]) -> int:
    """DB worker: one intent checked against its wire model (else `refused` with the reason),
    queued in the outbox; the push thread is woken."""
    try:
        MUTATION_ARGS[name].model_validate(args)
    except ValidationError as exc:
        raise refused(str(exc.errors()[0].get("msg", ""))) from exc
    with store.write() as session:
        seq = outbox.enqueue(session, name, args)
    poke()
    return seq


def _item_args(item: ItemInput) -> dict[str, Any]:
    args: dict[str, Any] = {"kind": item.kind, "text": item.text.strip()}
    for key in ("conversation_id", "customer_id", "to_agent_id", "due_at"):
        value = getattr(item, key)
        if value:
            args[key] = value
    return args


def _acked_locally(view: HandoverView, item: object) -> HandoverView:
    items = tuple(replace(i, ack_pending=True) if item is None or i.index == item else i
                  for i in view.items)
    return replace(view, items=items)

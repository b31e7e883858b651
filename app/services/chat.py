"""Conversations and messages for the views: plain rows out, intents into the outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.store import Store
from app.models.tables import Message, Outbox, Record
from app.services.listing import ConversationRow, ListingService, ListQuery, SortKey
from app.sync import apply, outbox
from kefu_protocol.shop import ORDER_CARD_MAX_LINES
from kefu_protocol.wire import MAX_MESSAGE_CHARS

SENDS = ("message.send", "order.send_card")
"""Queued intents that become messages: shown as 发送中 at once, like a typed reply."""


class MessageTooLong(Exception):
    """Refused before it is queued; the UI shows the limit."""

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length
        self.limit = MAX_MESSAGE_CHARS


@dataclass(frozen=True)
class MessageRow:
    id: str
    sender: str  # customer | agent | system
    text: str
    created_at: dt.datetime
    author: str  # agent name for agent messages
    delivery: str  # sent | sending | rejected
    error: str = ""
    outbox_seq: int | None = None
    seq: int | None = None
    """The message's number in its conversation (synced messages only)."""
    card: dict[str, Any] | None = None
    """An order card (kefu_protocol.shop, H5); `text` is its readable fallback ("" while the
    card is still queued here: the view words it)."""


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


__all__ = ["ChatService", "ConversationRow", "MessageRow", "MessageTooLong", "SortKey"]


class ChatService:
    """Reads run on the caller's thread (short, indexed); writes run on the DB worker."""

    def __init__(self, store: Store, *, agent_id: str, poke: Callable[[], None]) -> None:
        self.store = store
        self.agent_id = agent_id
        self.poke = poke
        self.listing = ListingService(store, agent_id=agent_id)

    # ---- reads ----------------------------------------------------------------------------

    def conversation_order(self, query: ListQuery | None = None) -> list[tuple[str, SortKey]]:
        return self.listing.order(query or ListQuery())

    def conversation_ids(self, query: ListQuery | None = None) -> list[str]:
        return [cid for cid, _key in self.conversation_order(query)]

    def sort_keys(self, ids: list[str],
                  query: ListQuery | None = None) -> dict[str, SortKey | None]:
        return self.listing.keys(ids, query or ListQuery())

    def conversation_rows(self, ids: list[str],
                          query: ListQuery | None = None) -> dict[str, ConversationRow]:
        return self.listing.rows(ids, query or ListQuery())

    def messages(self, conversation_id: str, *, limit: int = 60) -> list[MessageRow]:
        """Synced history (oldest first) followed by this desk's queued or refused sends."""
        with self.store.read() as session:
            synced = session.scalars(
                select(Message).where(Message.conversation_id == conversation_id)
                .order_by(Message.seq.desc()).limit(limit)
            ).all()
            authors = {m.agent_id for m in synced if m.agent_id} | {self.agent_id}
            names = _agent_names(session, authors)
            queued = session.scalars(
                select(Outbox).where(
                    Outbox.name.in_(SENDS),
                    func.json_extract(Outbox.args, "$.conversation_id") == conversation_id,
                ).order_by(Outbox.seq)
            ).all()
            cards = {item.seq: _queued_card(session, str(item.args.get("order_id")))
                     for item in queued if item.name == "order.send_card"}
        rows = [
            MessageRow(m.id, m.sender, m.text, _time(m.created_at) or dt.datetime.now(dt.UTC),
                       names.get(m.agent_id or "", ""), "sent", seq=m.seq,
                       card=m.card if isinstance(m.card, dict) else None)
            for m in reversed(synced)
        ]
        known = {m.id for m in synced}
        for item in queued:
            args = item.args
            if args.get("conversation_id") != conversation_id or args.get("id") in known:
                continue
            rows.append(MessageRow(
                args["id"], "agent", str(args.get("text") or ""),
                dt.datetime.fromisoformat(item.created_at), names.get(self.agent_id, ""),
                "rejected" if item.state == "rejected" else "sending",
                item.last_error or "", item.seq, card=cards.get(item.seq),
            ))
        return rows

    # ---- writes (DB worker thread) ---------------------------------------------------------

    def send(self, conversation_id: str, text: str) -> str:
        """Queues the reply; it shows as 'sending' until the server's ack arrives (H3.2)."""
        text = text.strip("\n")
        if len(text) > MAX_MESSAGE_CHARS:
            raise MessageTooLong(len(text))
        if not text.strip():
            raise ValueError("empty message")
        message_id = str(uuid.uuid4())
        with self.store.write() as session:
            outbox.enqueue(session, "message.send",
                           {"id": message_id, "conversation_id": conversation_id, "text": text})
        self.poke()
        return message_id

    def retry(self, outbox_seq: int) -> None:
        """A refused send goes back in the queue as a new intent with the same message id."""
        with self.store.write() as session:
            row = session.get(Outbox, outbox_seq)
            if row is None or row.state != "rejected":
                return
            outbox.enqueue(session, row.name, dict(row.args))
            session.delete(row)
        self.poke()

    def mark_read(self, conversation_id: str) -> None:
        with self.store.write() as session:
            apply.mark_read(session, conversation_id)

    def set_presence(self, status: str) -> None:
        with self.store.write() as session:
            outbox.enqueue(session, "presence.set", {"status": status})
        self.poke()


def _queued_card(session: Session, order_id: str) -> dict[str, Any]:
    """The card a queued order.send_card will carry, from the cached order (the server builds
    the real one): number, status, total, lines, the latest tracking event; never the address."""
    record = session.get(Record, ("order", order_id))
    data = record.data if record is not None and isinstance(record.data, dict) else {}
    lines = [{"name": str(li.get("name") or li.get("sku") or ""), "qty": int(li.get("qty") or 0)}
             for li in data.get("lines") or () if isinstance(li, dict)]
    events = session.scalars(select(Record.data).where(
        Record.entity == "logistics_event",
        func.json_extract(Record.data, "$.order_id") == order_id)).all()
    last = max(events, key=lambda e: str(e.get("at") or ""), default=None)
    return {"type": "order", "order_no": str(data.get("order_no") or ""),
            "status": str(data.get("status") or ""),
            "total_cents": int(data.get("total_cents") or 0),
            "created_at": str(data.get("created_at") or ""),
            "lines": lines[:ORDER_CARD_MAX_LINES],
            "more": max(0, len(lines) - ORDER_CARD_MAX_LINES),
            "tracking": None if last is None else {
                "carrier": str(last.get("carrier") or ""), "status": str(last.get("status") or ""),
                "at": str(last.get("at") or "")}}


def _agent_names(session: Session, agent_ids: set[str]) -> dict[str, str]:
    rows = session.execute(
        select(Record.id, Record.data).where(Record.entity == "agent",
                                             Record.id.in_(agent_ids))
    ).all()
    return {rid: str(data.get("name", "")) for rid, data in rows}


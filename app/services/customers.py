"""The customer beside the chat (H4): masked basics, earlier chats, tags, notes, orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.models.store import Store
from app.models.tables import Conversation, Customer, Outbox, Record
from app.sync.auth import TokenKeeper
from app.sync.client import ApiClient

REVEALABLE = ("phone", "address", "id_number")


@dataclass(frozen=True)
class Tag:
    id: str
    name: str
    level: int
    parent_id: str | None
    path: str
    """'产品使用 › 功能操作 › 支付异常' (H4.3)."""


@dataclass(frozen=True)
class NoteRow:
    id: str
    text: str
    author: str
    at: dt.datetime | None
    sending: bool = False


@dataclass(frozen=True)
class PastConversation:
    id: str
    created_at: dt.datetime | None
    state: str
    last_message_text: str
    agent: str
    rating: int | None


@dataclass(frozen=True)
class OrderSummary:
    id: str
    order_no: str
    status: str
    total_cents: int
    created_at: dt.datetime | None


@dataclass(frozen=True)
class CustomerCard:
    id: str
    nickname: str
    vip_level: int
    phone: str
    address: str
    id_number: str
    """Masked as the server sent them (H11.3); `reveal` asks for one plain value."""
    tags: tuple[Tag, ...]
    notes: tuple[NoteRow, ...]
    conversations: tuple[PastConversation, ...]
    orders: tuple[OrderSummary, ...]


def _time(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


class CustomerService:
    """Reads on the caller's thread; `reveal` does HTTP and runs on a net worker."""

    def __init__(self, store: Store, *, keeper: TokenKeeper | None = None,
                 make_client: Callable[[], ApiClient] | None = None) -> None:
        self.store = store
        self.keeper = keeper
        self.make_client = make_client

    def tag_library(self) -> tuple[Tag, ...]:
        """The company's three-level tag tree, parents before children, by name."""
        with self.store.read() as session:
            rows = session.scalars(select(Record.data).where(Record.entity == "tag")).all()
        by_id = {str(r["id"]): r for r in rows}

        def path(tag_id: str) -> str:
            names: list[str] = []
            seen: set[str] = set()
            current: str | None = tag_id
            while current and current in by_id and current not in seen:
                seen.add(current)
                names.append(str(by_id[current].get("name", "")))
                current = by_id[current].get("parent_id")
            return " › ".join(reversed(names))

        tags = [Tag(tid, str(r.get("name", "")), int(r.get("level") or 1), r.get("parent_id"),
                    path(tid)) for tid, r in by_id.items()]
        return tuple(sorted(tags, key=lambda t: t.path))

    def card(self, customer_id: str, *, agent_names: dict[str, str]) -> CustomerCard | None:
        with self.store.read() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                return None
            data = customer.data or {}
            tag_ids = list(data.get("tags") or [])
            pending = session.execute(
                select(Outbox.name, Outbox.args).where(
                    Outbox.state == "pending",
                    Outbox.name.in_(("customer.tag_add", "customer.tag_remove", "note.add")))
                .order_by(Outbox.seq)).all()
            notes = session.scalars(
                select(Record.data).where(
                    Record.entity == "note",
                    func.json_extract(Record.data, "$.customer_id") == customer_id)).all()
            convs = session.scalars(
                select(Conversation).where(Conversation.customer_id == customer_id)
                .order_by(Conversation.created_at.desc()).limit(50)).all()
            orders = session.scalars(
                select(Record.data).where(
                    Record.entity == "order",
                    func.json_extract(Record.data, "$.customer_id") == customer_id)).all()
        queued_notes: list[NoteRow] = []
        for name, args in pending:
            if args.get("customer_id") != customer_id:
                continue
            if name == "customer.tag_add" and args["tag_id"] not in tag_ids:
                tag_ids.append(args["tag_id"])
            elif name == "customer.tag_remove":
                tag_ids = [t for t in tag_ids if t != args["tag_id"]]
            elif name == "note.add":
                queued_notes.append(NoteRow(str(args["id"]), str(args["text"]),
                                            agent_names.get("", ""), None, sending=True))
        library = {t.id: t for t in self.tag_library()}
        synced_notes = sorted(
            (NoteRow(str(n["id"]), str(n.get("text", "")),
                     agent_names.get(str(n.get("author_id", "")), ""), _time(n.get("created_at")))
             for n in notes),
            key=lambda n: n.at or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
        known_ids = {n.id for n in synced_notes}
        return CustomerCard(
            id=customer.id, nickname=customer.nickname, vip_level=customer.vip_level,
            phone=str(data.get("phone_masked", "")), address=str(data.get("address_masked", "")),
            id_number=str(data.get("id_number_masked", "")),
            tags=tuple(library[t] for t in tag_ids if t in library),
            notes=tuple([n for n in queued_notes if n.id not in known_ids] + synced_notes),
            conversations=tuple(
                PastConversation(c.id, _time(c.created_at), c.state, c.last_message_text,
                                 agent_names.get(c.agent_id or "", ""),
                                 (c.data or {}).get("rating"))
                for c in convs),
            orders=tuple(sorted(
                (OrderSummary(str(o["id"]), str(o.get("order_no", "")), str(o.get("status", "")),
                              int(o.get("total_cents") or 0), _time(o.get("created_at")))
                 for o in orders),
                key=lambda o: o.created_at or dt.datetime.min.replace(tzinfo=dt.UTC),
                reverse=True)),
        )

    def reveal(self, customer_id: str, field: str, reason: str) -> str:
        """One plain value, if this agent holds the permission; the server logs it (H11.3).
        Raises the sync layer's ApiError (e.g. code permission_denied) or NetworkError."""
        if field not in REVEALABLE:
            raise ValueError(field)
        if self.keeper is None or self.make_client is None:
            raise RuntimeError("revealing needs the server")
        client = self.make_client()
        try:
            body = self.keeper.call(lambda token: client.call(
                "POST", f"/customers/{customer_id}/reveal", token=token,
                json={"field": field, "reason": reason}))
        finally:
            client.close()
        return str(body.get("value", ""))

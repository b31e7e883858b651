"""Applies one pulled page in one local transaction: version-checked upserts, deletes, acks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, text, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from app.models.tables import Conflict, Conversation, Customer, Message, Outbox, Record
from kefu_protocol.wire import Change


@dataclass
class Applied:
    """What a page changed, so views refresh only what concerns them."""

    conversations: set[str] = field(default_factory=set)
    message_conversations: set[str] = field(default_factory=set)
    customer_messages: int = 0
    customers: set[str] = field(default_factory=set)
    records: set[str] = field(default_factory=set)
    acked: int = 0
    rejected: int = 0
    notices: int = 0
    skipped: int = 0  # feed rows this client could not store, kept in `conflict` (bad_feed_row)

    def merge(self, other: Applied) -> None:
        self.conversations |= other.conversations
        self.message_conversations |= other.message_conversations
        self.customer_messages += other.customer_messages
        self.customers |= other.customers
        self.records |= other.records
        self.acked += other.acked
        self.rejected += other.rejected
        self.notices += other.notices
        self.skipped += other.skipped


_CONVERSATION_COLUMNS = (
    "team_id", "customer_id", "agent_id", "state", "pinned", "order_no", "created_at",
    "last_message_at", "last_message_text", "awaiting_reply_since", "version",
)


def _upsert(table: Any, key: list[str], columns: Iterable[str]) -> Any:
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=key,
        set_={c: stmt.excluded[c] for c in columns},
        where=table.c.version <= stmt.excluded.version,
    )


_UPSERT_CONVERSATION = _upsert(Conversation.__table__, ["id"], (*_CONVERSATION_COLUMNS, "data"))
_UPSERT_MESSAGE = _upsert(Message.__table__, ["id"],
                          ("conversation_id", "seq", "sender", "agent_id", "text", "created_at",
                           "version", "card"))
_UPSERT_CUSTOMER = _upsert(Customer.__table__, ["id"],
                           ("team_id", "nickname", "vip_level", "version", "data"))
_UPSERT_RECORD = _upsert(Record.__table__, ["entity", "id"], ("version", "data"))


def _conversation_row(data: dict[str, Any]) -> dict[str, Any]:
    row = {c: data.get(c) for c in _CONVERSATION_COLUMNS}
    row["id"] = data["id"]
    row["pinned"] = bool(row["pinned"])
    row["order_no"] = row["order_no"] or ""
    row["last_message_text"] = row["last_message_text"] or ""
    row["version"] = int(row["version"] or 1)
    row["data"] = data
    return row


BAD_FEED_ROW = "bad_feed_row"


class _BadData(Exception):
    """A row that cannot be stored whatever the retry (a locked or full disk is not one)."""


def _as_bad_data(exc: Exception) -> _BadData | None:
    if isinstance(exc, IntegrityError | KeyError | TypeError | ValueError):
        return _BadData(type(exc).__name__)
    if isinstance(exc, StatementError) and not isinstance(exc, DBAPIError):
        return _BadData(type(exc).__name__)  # a value the driver could not bind
    return None


def _apply_or_flag(session: Session, changes: list[Change], client_id: str) -> Applied:
    """apply_changes in a savepoint; a data error becomes _BadData, anything else propagates."""
    try:
        with session.begin_nested():
            return apply_changes(session, changes, client_id=client_id)
    except Exception as exc:
        bad = _as_bad_data(exc)
        if bad is None:
            raise
        raise bad from exc


def apply_page(session: Session, changes: list[Change], *, client_id: str,
               unreadable: Sequence[dict[str, Any]] = ()) -> Applied:
    """Applies a page; if a row of it cannot be stored, applies the others one by one and keeps
    each unusable row (whole, with the error) as a `bad_feed_row` conflict instead of retrying
    the same cursor for ever — as are the `unreadable` rows the client could not even parse.
    A local failure (disk, lock) still raises: the page is pulled again."""
    applied = _apply_readable(session, changes, client_id)
    for row in unreadable:
        change = row.get("change")
        found = change if isinstance(change, dict) else {}
        session.add(Conflict(kind=BAD_FEED_ROW,
                             entity_id=f"{found.get('entity')}:{found.get('id')}"[:120],
                             data=dict(row), created_at=_now()))
        applied.skipped += 1
    return applied


def _apply_readable(session: Session, changes: list[Change], client_id: str) -> Applied:
    try:
        return _apply_or_flag(session, changes, client_id)
    except _BadData:
        pass
    applied = Applied()
    for change in changes:
        try:
            applied.merge(_apply_or_flag(session, [change], client_id))
        except _BadData as exc:
            session.add(Conflict(kind=BAD_FEED_ROW, entity_id=f"{change.entity}:{change.id}"[:120],
                                 data={"change": change.model_dump(mode="json"),
                                       "error": str(exc)}, created_at=_now()))
            applied.skipped += 1
    return applied


def apply_changes(session: Session, changes: list[Change], *, client_id: str) -> Applied:
    """Writes a page's rows; the caller commits together with the new cursor."""
    applied = Applied()
    conversations: dict[str, dict[str, Any]] = {}
    messages: dict[str, dict[str, Any]] = {}
    customers: dict[str, dict[str, Any]] = {}
    records: dict[tuple[str, str], dict[str, Any]] = {}
    deletes: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        data = change.data or {}
        if change.op == "ack":
            _flush(session, conversations, messages, customers, records, applied)
            _ack(session, data, client_id, applied)
        elif change.op == "notice":
            session.add(Conflict(kind=str(data.get("kind", "notice")),
                                 entity_id=str(data.get("note_id", change.id)), data=data,
                                 created_at=_now()))
            applied.notices += 1
        elif change.op == "delete":
            deletes[change.entity].append(change.id)
        elif change.entity == "conversation":
            conversations[change.id] = _conversation_row(data)
        elif change.entity == "message":
            messages[change.id] = {k: data.get(k) for k in (
                "id", "conversation_id", "seq", "sender", "agent_id", "text", "created_at",
                "card")}
            messages[change.id]["version"] = int(data.get("version") or 1)
        elif change.entity == "customer":
            customers[change.id] = {"id": change.id, "team_id": data.get("team_id", ""),
                                    "nickname": data.get("nickname", ""),
                                    "vip_level": int(data.get("vip_level") or 0),
                                    "version": int(data.get("version") or 1), "data": data}
        else:
            records[(change.entity, change.id)] = {"entity": change.entity, "id": change.id,
                                                   "version": int(data.get("version") or 1),
                                                   "data": data}
    _flush(session, conversations, messages, customers, records, applied)
    for entity, ids in deletes.items():
        session.execute(delete(Record).where(Record.entity == entity, Record.id.in_(ids)))
        applied.records.update(ids)
    return applied


def _flush(
    session: Session,
    conversations: dict[str, dict[str, Any]],
    messages: dict[str, dict[str, Any]],
    customers: dict[str, dict[str, Any]],
    records: dict[tuple[str, str], dict[str, Any]],
    applied: Applied,
) -> None:
    """Writes what was collected so far (acks must see the rows that precede them)."""
    if customers:
        session.execute(_UPSERT_CUSTOMER, list(customers.values()))
        applied.customers.update(customers)
    if conversations:
        session.execute(_UPSERT_CONVERSATION, list(conversations.values()))
        applied.conversations.update(conversations)
    if messages:
        session.execute(_UPSERT_MESSAGE, list(messages.values()))
        touched = {m["conversation_id"] for m in messages.values()}
        applied.message_conversations |= touched
        applied.customer_messages += sum(1 for m in messages.values()
                                         if m["sender"] == "customer")
        _recount_unread(session, touched)
    if records:
        session.execute(_UPSERT_RECORD, list(records.values()))
        applied.records.update(key[1] for key in records)
    conversations.clear()
    messages.clear()
    customers.clear()
    records.clear()


_RECOUNT = text(
    "UPDATE conversation SET unread = (SELECT COUNT(*) FROM message m "
    "WHERE m.conversation_id = conversation.id AND m.sender = 'customer' "
    "AND m.seq > conversation.last_read_seq) WHERE id = :id"
)


def _recount_unread(session: Session, conversation_ids: set[str]) -> None:
    session.execute(_RECOUNT, [{"id": cid} for cid in conversation_ids])


def _ack(session: Session, data: dict[str, Any], client_id: str, applied: Applied) -> None:
    if data.get("client_id") != client_id:
        return  # another desk of the same agent
    # Rejected rows keep old numbers from before a reset; only live rows can match.
    mine = (Outbox.mutation_id == int(data["mutation_id"])) & (Outbox.state != "rejected")
    if data.get("status") == "applied":
        session.execute(delete(Outbox).where(mine))
        applied.acked += 1
    else:
        session.execute(
            update(Outbox).where(mine).values(
                state="rejected", code=data.get("code"), last_error=data.get("message"))
        )
        applied.rejected += 1


def mark_read(session: Session, conversation_id: str) -> None:
    session.execute(
        text("UPDATE conversation SET last_read_seq = COALESCE((SELECT MAX(seq) FROM message "
             "WHERE conversation_id = :id), 0), unread = 0 WHERE id = :id"),
        {"id": conversation_id},
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


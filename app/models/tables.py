"""The local cache's tables: synced mirrors (written only by feed apply), outbox, sync state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Conversation(Base):
    """Synced columns mirror the server; `unread`, `last_read_seq`, `draft` are local only."""

    __tablename__ = "conversation"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(36))
    customer_id: Mapped[str] = mapped_column(String(36))
    agent_id: Mapped[str | None] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(20))
    pinned: Mapped[bool] = mapped_column(default=False)
    order_no: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[str] = mapped_column(String(40))
    last_message_at: Mapped[str | None] = mapped_column(String(40))
    last_message_text: Mapped[str] = mapped_column(String(200), default="")
    awaiting_reply_since: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]]
    unread: Mapped[int] = mapped_column(Integer, default=0)
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    draft: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        Index("ix_conversation_order", "pinned", "last_message_at"),
        Index("ix_conversation_customer", "customer_id"),
    )


class Message(Base):
    __tablename__ = "message"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(10))
    agent_id: Mapped[str | None] = mapped_column(String(36))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    card: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    """An order card (kefu_protocol.shop.OrderCardSend); `text` is its readable fallback."""
    __table_args__ = (Index("ix_message_conversation_seq", "conversation_id", "seq"),)


class Customer(Base):
    __tablename__ = "customer"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(36))
    nickname: Mapped[str] = mapped_column(String(60))
    vip_level: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]]


class Record(Base):
    """Every other synced entity (agents, teams, tags, orders, settings …) as its full row."""

    __tablename__ = "record"
    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]]


class Outbox(Base):
    """Local intents in order. Never dropped: rows leave only when the server's ack arrives,
    or stay `rejected` (with the server's reason) until the agent retries or dismisses them."""

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mutation_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]]
    created_at: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str | None] = mapped_column(String(60))
    last_error: Mapped[str | None] = mapped_column(Text)
    __table_args__ = ({"sqlite_autoincrement": True},)


class SyncState(Base):
    """client_id, cursor, server epoch, mutation base … one value per key."""

    __tablename__ = "sync_state"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Conflict(Base):
    """What the server reported about a conflict (e.g. a note edit that lost), kept to show."""

    __tablename__ = "conflict"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[str] = mapped_column(String(40))
    seen: Mapped[bool] = mapped_column(default=False)


SYNCED_TABLES = ("conversation", "message", "customer", "record")

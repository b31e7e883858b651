"""The server's tables: the truth every client syncs with (SQLAlchemy 2 typed ORM)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import UserDefinedType


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Stores UTC, always hands back an aware datetime (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id type (only used on PostgreSQL)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Versioned:
    """Rows that clients cache carry a version bumped on every change (clients keep the higher)."""

    version: Mapped[int] = mapped_column(Integer, default=1)


class ServerMeta(Base):
    __tablename__ = "server_meta"
    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Company(Base):
    __tablename__ = "company"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    domain: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))


class Team(Versioned, Base):
    __tablename__ = "team"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    name: Mapped[str] = mapped_column(String(100))
    receives_visitors: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_s: Mapped[int] = mapped_column(Integer, default=30)
    complaint_response_s: Mapped[int] = mapped_column(Integer, default=300)
    max_load: Mapped[int] = mapped_column(Integer, default=8)
    auto_reply: Mapped[str] = mapped_column(Text, default="")
    # Script overrides by key (kefu_protocol.wire.SCRIPT_FIELDS); missing keys use the defaults.
    scripts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # H1.3: lock a rostered agent who has not logged in within the grace after shift start.
    late_login_lock: Mapped[bool] = mapped_column(Boolean, default=True)
    late_login_grace_min: Mapped[int] = mapped_column(Integer, default=10)
    # H13.2: an unacknowledged handover item alerts the lead after this many minutes.
    handover_alert_min: Mapped[int] = mapped_column(Integer, default=30)


class Agent(Versioned, Base):
    __tablename__ = "agent"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"))
    employee_id: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    password_hash: Mapped[str] = mapped_column(String(300))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    presence: Mapped[str] = mapped_column(String(20), default="offline")
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Permissions granted on top of the role's defaults (H10.2, kefu_protocol.wire.PERMISSIONS).
    grants: Mapped[list[Any]] = mapped_column(default=list)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Why locked_until is set: "failed_logins" (H1.10) or "late_login" (H1.3); "" when not.
    lock_reason: Mapped[str] = mapped_column(String(20), default="")
    # The start of the shift instance for which a lead approved a late login (H1.3).
    late_ok_for: Mapped[dt.datetime | None] = mapped_column(default=None)


class TeamManager(Base):
    """Extra teams a lead or supervisor manages beyond their own."""

    __tablename__ = "team_manager"
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id"), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), primary_key=True)


class AuthSession(Base):
    """One login on one device: hashed access and refresh tokens, rotated and revocable."""

    __tablename__ = "auth_session"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(100))
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[dt.datetime]
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    previous_refresh_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    refresh_expires_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class AuditLog(Base):
    """Login attempts and account actions (H14.5); never holds a password or token."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    account: Mapped[str] = mapped_column(String(200), default="")
    agent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    actor_id: Mapped[str | None] = mapped_column(String(36), default=None)
    address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Failed logins per address over a window (the per-address login limit).
    __table_args__ = (Index("ix_audit_address_at", "address", "at"),)


class Tag(Versioned, Base):
    __tablename__ = "tag"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("tag.id"), default=None)
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))


class Customer(Versioned, Base):
    __tablename__ = "customer"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), index=True)
    nickname: Mapped[str] = mapped_column(String(60))
    vip_level: Mapped[int] = mapped_column(Integer, default=0)
    phone: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    id_number: Mapped[str] = mapped_column(String(30), default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Product(Versioned, Base):
    __tablename__ = "product"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    sku: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int] = mapped_column(Integer)
    specs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    promotion: Mapped[str] = mapped_column(Text, default="")
    # H6: the catalogue's grouping and stock (None: the shop does not track it).
    category: Mapped[str] = mapped_column(String(60), default="")
    stock: Mapped[int | None] = mapped_column(Integer, default=None)


class Promotion(Versioned, Base):
    """A shop promotion with its rule (H6): 满减, 折扣, 赠品 …; `skus` empty = the whole shop."""

    __tablename__ = "promotion"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    rule: Mapped[str] = mapped_column(Text, default="")
    threshold_cents: Mapped[int] = mapped_column(Integer, default=0)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    percent_off: Mapped[int] = mapped_column(Integer, default=0)
    skus: Mapped[list[Any]] = mapped_column(default=list)
    starts_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ends_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    __table_args__ = (UniqueConstraint("company_id", "name"),)


class Order(Versioned, Base):
    __tablename__ = "shop_order"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), index=True)
    order_no: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    total_cents: Mapped[int] = mapped_column(Integer)
    payment_method: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    lines: Mapped[list[Any]] = mapped_column(default=list)
    history: Mapped[list[Any]] = mapped_column(default=list)
    handled_by: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # H5.4: the little red flag and its note; H5.3: when an interception was requested.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_note: Mapped[str] = mapped_column(String(500), default="")
    intercept_requested_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # H7: the open or last logistics problem (kefu_protocol.shop.OrderLogisticsReport).
    logistics_issue: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    __table_args__ = (UniqueConstraint("company_id", "order_no"),)


class ReturnCase(Versioned, Base):
    """A return (退货) or exchange (换货) of some order lines, with its own status (H5.2)."""

    __tablename__ = "return_case"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("shop_order.id"), index=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(36))
    history: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LogisticsEvent(Versioned, Base):
    __tablename__ = "logistics_event"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("shop_order.id"), index=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"))
    at: Mapped[dt.datetime]
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_no: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


class KbEntry(Versioned, Base):
    __tablename__ = "kb_entry"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    category: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    # H9.2: who changed it last (employee ID; "" for imported entries) and when.
    updated_by: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class KbSuggestion(Versioned, Base):
    """An agent's proposed new entry or change, waiting for someone with kb.edit (H9.2)."""

    __tablename__ = "kb_suggestion"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"), index=True)
    entry_id: Mapped[str | None] = mapped_column(String(36), default=None)
    category: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="待审核")
    author_id: Mapped[str] = mapped_column(String(36))
    author_name: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[str] = mapped_column(String(40), default="")
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    comment: Mapped[str] = mapped_column(String(500), default="")


class Shift(Versioned, Base):
    """A team's shift definition (H13.1) and who is rostered on it."""

    __tablename__ = "shift"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    starts: Mapped[str] = mapped_column(String(5))
    ends: Mapped[str] = mapped_column(String(5))
    agent_ids: Mapped[list[Any]] = mapped_column(default=list)


class Visitor(Base):
    __tablename__ = "visitor"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    conversation_id: Mapped[str] = mapped_column(String(36))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    visitor_key: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VisitorBlock(Base):
    """The visitor blacklist (访客阻止, H14.2): by visitor key or network address."""

    __tablename__ = "visitor_block"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(200), default="")


class Conversation(Versioned, Base):
    __tablename__ = "conversation"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agent.id"), default=None, index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    channel: Mapped[str] = mapped_column(String(20), default="web")
    order_no: Mapped[str] = mapped_column(String(40), default="")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    is_complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    first_response_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_message_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_message_text: Mapped[str] = mapped_column(String(200), default="")
    last_customer_message_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    awaiting_reply_since: Mapped[dt.datetime | None] = mapped_column(default=None)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_comment: Mapped[str] = mapped_column(String(500), default="")
    transferred_from_id: Mapped[str | None] = mapped_column(String(36), default=None)
    transferred_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    escalated_to_id: Mapped[str | None] = mapped_column(String(36), default=None)
    escalation_reason: Mapped[str] = mapped_column(Text, default="")
    rating_requested_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    converted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    __table_args__ = (
        Index("ix_conversation_team_state", "team_id", "state"),
        # H11.4: the surge check counts a team's recent conversations on every new one (0004).
        Index("ix_conversation_team_created", "team_id", "created_at"),
    )


class Message(Base):
    __tablename__ = "message"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(10))
    agent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # An order card (kefu_protocol.shop.OrderCardSend); `text` is its readable fallback.
    card: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)


class Note(Versioned, Base):
    __tablename__ = "note"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(36), default=None)
    conversation_id: Mapped[str | None] = mapped_column(String(36), default=None)
    author_id: Mapped[str] = mapped_column(String(36))
    updated_by: Mapped[str] = mapped_column(String(36))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NoteRevision(Base):
    """Every overwritten note text; `is_conflict` marks a concurrent edit that lost (LWW)."""

    __tablename__ = "note_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[str] = mapped_column(ForeignKey("note.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(36))
    is_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Handover(Versioned, Base):
    __tablename__ = "handover"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), index=True)
    from_agent_id: Mapped[str] = mapped_column(String(36))
    to_agent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    acked_by: Mapped[str | None] = mapped_column(String(36), default=None)
    shift_id: Mapped[str | None] = mapped_column(String(36), default=None)


class Problem(Versioned, Base):
    """An entry of an agent's problem log (问题登记本, H13.4), reviewed by the lead weekly."""

    __tablename__ = "problem"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), index=True)
    agent_id: Mapped[str] = mapped_column(String(36), index=True)
    shift_id: Mapped[str | None] = mapped_column(String(36), default=None)
    conversation_id: Mapped[str | None] = mapped_column(String(36), default=None)
    category: Mapped[str] = mapped_column(String(40), default="")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(36), default=None)
    review_comment: Mapped[str] = mapped_column(Text, default="")


class Surge(Versioned, Base):
    """A level-1 surge response of a team (H11.4): detected ("auto") or declared by a lead."""

    __tablename__ = "surge"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="auto")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    rate_per_hour: Mapped[float] = mapped_column(Float, default=0.0)
    baseline_per_hour: Mapped[float] = mapped_column(Float, default=0.0)
    declared_by: Mapped[str | None] = mapped_column(String(36), default=None)
    ended_by: Mapped[str | None] = mapped_column(String(36), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class Activity(Base):
    """One event of an agent's shift timeline (H13.3); server-only, read by leads over REST."""

    __tablename__ = "activity"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    team_id: Mapped[str] = mapped_column(String(36))
    agent_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    conversation_id: Mapped[str | None] = mapped_column(String(36), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    __table_args__ = (Index("ix_activity_agent_at", "agent_id", "at"),)


class ResetRequest(Base):
    """An agent's forgotten-password request (H1.11), waiting for a lead's approval."""

    __tablename__ = "reset_request"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id"), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    address: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(36), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Setting(Versioned, Base):
    __tablename__ = "agent_setting"
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QuickPhrase(Versioned, Base):
    __tablename__ = "quick_phrase"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"))
    owner_id: Mapped[str | None] = mapped_column(String(36), default=None)
    group: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(60), default="")
    text: Mapped[str] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class SyncClient(Base):
    __tablename__ = "sync_client"
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id"))
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MutationLog(Base):
    __tablename__ = "mutation_log"
    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(60), default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChangeLog(Base):
    """The ordered feed. On PostgreSQL `xid` is the writing transaction's id (server default)."""

    __tablename__ = "change_log"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    xid: Mapped[int] = mapped_column(BigInteger().with_variant(Xid8(), "postgresql"))
    scope: Mapped[str] = mapped_column(String(80))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    op: Mapped[str] = mapped_column(String(10))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        Index("ix_change_log_scope_xid_id", "scope", "xid", "id"),
        {"sqlite_autoincrement": True},
    )

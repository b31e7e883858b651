"""The one definition of protocol v1's wire format, imported by client and server alike."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-Kefu-Protocol"
API_PREFIX = "/api/v1"

MAX_MESSAGE_CHARS = 5000
MAX_NOTE_CHARS = 10000
MAX_PUSH_BATCH = 500
MAX_PULL_LIMIT = 5000
DEFAULT_PULL_LIMIT = 500
MAX_WAIT_SECONDS = 60.0
MAX_SETTING_BYTES = 16384
MAX_BODY_BYTES = 2 * 1024 * 1024

# 工号@公司域名 (H1.1): digits, '@', a lower-case dotted domain.
ACCOUNT_RE = re.compile(r"^(?P<employee_id>\d{4,20})@(?P<domain>[a-z0-9-]+(?:\.[a-z0-9-]+)+)$")

Role = Literal["agent", "lead", "supervisor", "admin"]
Presence = Literal["online", "busy", "away", "offline"]
Sender = Literal["customer", "agent", "system"]
ChangeOp = Literal["upsert", "delete", "ack", "notice"]

ROLE_RANK: dict[str, int] = {"agent": 0, "lead": 1, "supervisor": 2, "admin": 3}

Uuid = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                           r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
]
# Text must contain something besides white space.
MessageText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=r"\S")
]
NoteText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NOTE_CHARS, pattern=r"\S")]
ShortText = Annotated[str, StringConstraints(max_length=500)]


class Strict(BaseModel):
    """Base for request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Loose(BaseModel):
    """Base for responses: readers accept extra fields so the server may add some."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ErrorBody(Loose):
    code: str
    message: str


# ---- auth -----------------------------------------------------------------------------------


class LoginRequest(Strict):
    account: Annotated[str, StringConstraints(max_length=200)]
    password: Annotated[str, StringConstraints(max_length=200)]
    device_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class AgentInfo(Loose):
    id: str
    account: str
    name: str
    role: Role
    team_id: str


class TokenPair(Loose):
    access_token: str
    refresh_token: str
    expires_in: int


class LoginResponse(TokenPair):
    must_change_password: bool
    agent: AgentInfo


class PasswordChangeRequest(Strict):
    old_password: Annotated[str, StringConstraints(max_length=200)]
    new_password: Annotated[str, StringConstraints(max_length=200)]


class RefreshRequest(Strict):
    refresh_token: Annotated[str, StringConstraints(max_length=200)]


# ---- sync -----------------------------------------------------------------------------------


class Mutation(Strict):
    id: Annotated[int, Field(ge=1)]
    name: Annotated[str, StringConstraints(max_length=100)]
    args: dict[str, Any]


class PushRequest(Strict):
    client_id: Uuid
    mutations: Annotated[list[Mutation], Field(max_length=MAX_PUSH_BATCH)]


class MutationResult(Loose):
    id: int
    status: Literal["applied", "rejected"]
    code: str | None = None
    message: str | None = None
    # True when the id was already applied earlier: its ack may lie behind the caller's cursor.
    replayed: bool = False


class PushResponse(Loose):
    results: list[MutationResult]
    last_mutation_id: int


class Change(Loose):
    entity: str
    op: ChangeOp
    id: str
    data: dict[str, Any] | None = None


class PullResponse(Loose):
    changes: list[Change]
    cursor: str
    up_to_date: bool


class BootstrapRow(Loose):
    entity: str
    id: str
    data: dict[str, Any]


class BootstrapResponse(Loose):
    rows: list[BootstrapRow]
    next: str | None
    cursor: str
    total: int


# ---- visitor (customer side) -----------------------------------------------------------------


class VisitorSessionRequest(Strict):
    nickname: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    order_no: Annotated[str, StringConstraints(max_length=40)] | None = None
    company: Annotated[str, StringConstraints(max_length=100)] | None = None
    visitor_key: Annotated[str, StringConstraints(max_length=100)] | None = None
    agent_account: Annotated[str, StringConstraints(max_length=200)] | None = None


class VisitorSessionResponse(Loose):
    visitor_token: str
    conversation_id: str


class VisitorMessageRequest(Strict):
    id: Uuid
    text: MessageText


class VisitorMessage(Loose):
    id: str
    text: str
    sender: Sender
    created_at: str
    seq: int
    agent_name: str | None = None


class VisitorMessages(Loose):
    messages: list[VisitorMessage]
    state: str


class RatingRequest(Strict):
    score: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, StringConstraints(max_length=500)] = ""


# ---- mutation arguments (validated by the server, built by the client) ------------------------


class MessageSend(Strict):
    id: Uuid
    conversation_id: Uuid
    text: MessageText


class ConversationRef(Strict):
    conversation_id: Uuid


class ConversationTransfer(Strict):
    conversation_id: Uuid
    to_agent_id: Uuid
    note: ShortText = ""
    reason: ShortText = ""


class ConversationPin(Strict):
    conversation_id: Uuid
    pinned: bool


class CustomerTag(Strict):
    customer_id: Uuid
    tag_id: Uuid


class NoteAdd(Strict):
    id: Uuid
    text: NoteText
    customer_id: Uuid | None = None
    conversation_id: Uuid | None = None


class NoteEdit(Strict):
    id: Uuid
    text: NoteText
    base_version: Annotated[int, Field(ge=1)]


class OrderTransition(Strict):
    order_id: Uuid
    to_status: Annotated[str, StringConstraints(max_length=20)]
    from_status: Annotated[str, StringConstraints(max_length=20)] | None = None


class HandoverItem(Strict):
    kind: Literal["conversation", "todo", "prospect", "callback", "note"]
    text: ShortText = ""
    conversation_id: Uuid | None = None
    customer_id: Uuid | None = None
    due_at: str | None = None


class HandoverCreate(Strict):
    id: Uuid
    to_agent_id: Uuid | None = None
    note: ShortText = ""
    items: Annotated[list[HandoverItem], Field(max_length=500)] = []


class HandoverAck(Strict):
    id: Uuid


class PresenceSet(Strict):
    status: Presence


SettingKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{0,99}$")]


class SettingSet(Strict):
    key: SettingKey
    value: Any


class QuickPhraseUpsert(Strict):
    id: Uuid
    scope: Literal["personal", "team"] = "personal"
    group: Annotated[str, StringConstraints(max_length=40)] = ""
    title: Annotated[str, StringConstraints(max_length=60)] = ""
    text: MessageText


class QuickPhraseDelete(Strict):
    id: Uuid


MUTATION_ARGS: dict[str, type[Strict]] = {
    "message.send": MessageSend,
    "conversation.accept": ConversationRef,
    "conversation.transfer": ConversationTransfer,
    "conversation.close": ConversationRef,
    "conversation.pin": ConversationPin,
    "customer.tag_add": CustomerTag,
    "customer.tag_remove": CustomerTag,
    "note.add": NoteAdd,
    "note.edit": NoteEdit,
    "order.transition": OrderTransition,
    "handover.create": HandoverCreate,
    "handover.ack": HandoverAck,
    "presence.set": PresenceSet,
    "setting.set": SettingSet,
    "quick_phrase.upsert": QuickPhraseUpsert,
    "quick_phrase.delete": QuickPhraseDelete,
}

# Entities that appear in the feed and in bootstrap, in bootstrap order (parents first).
ENTITIES: tuple[str, ...] = (
    "team", "agent", "tag", "customer", "product", "order", "logistics_event", "kb_entry",
    "shift", "conversation", "message", "note", "handover", "setting", "quick_phrase",
)

# The order state machine (H5.1): status -> statuses it may move to.
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "待付款": ("已付款", "已取消"),
    "已付款": ("已发货", "退款中", "已取消"),
    "已发货": ("已签收", "退款中"),
    "已签收": ("已完成", "退款中"),
    "退款中": ("已退款", "已付款", "已发货", "已签收"),
    "已完成": ("退款中",),
    "已取消": (),
    "已退款": (),
}

TRANSFER_NOTICE_ZH = "接下来由同事{name}为您继续服务"

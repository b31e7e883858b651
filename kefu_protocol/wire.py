"""The one definition of protocol v1's wire format, imported by client and server alike."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from kefu_protocol.shop import SHOP_MUTATION_ARGS

# Re-exported: clients and the server read these limits from here.
from kefu_protocol.types import MAX_MESSAGE_CHARS as MAX_MESSAGE_CHARS
from kefu_protocol.types import MAX_NOTE_CHARS as MAX_NOTE_CHARS
from kefu_protocol.types import MAX_SCRIPT_CHARS as MAX_SCRIPT_CHARS
from kefu_protocol.types import (
    Loose,
    MessageText,
    NoteText,
    ReasonText,
    ScriptText,
    ShortText,
    Strict,
    Uuid,
)

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-Kefu-Protocol"
API_PREFIX = "/api/v1"

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

# ---- workstation: scripts, permissions, transfer undo (H3.4, H3.6, H10.2, H14.4) --------------

# The team's script templates (team row `scripts`, always all four keys in the feed). The
# client fills in {agent} (the agent's display name) and {customer} (the customer's nickname)
# with `render_script`; the server does the same for the rating request it sends itself.
SCRIPT_FIELDS: tuple[str, ...] = ("greeting", "closing_check", "thanks", "rating_request")
DEFAULT_SCRIPTS_ZH: dict[str, str] = {
    "greeting": "您好，我是客服{agent}，很高兴为您服务，请问有什么可以帮您？",
    "closing_check": "请问还有其他可以帮您的吗？",
    "thanks": "感谢您的耐心，祝您生活愉快！",
    "rating_request": "麻烦您为本次服务打个分，您的评价对我们很重要。",
}


def effective_scripts(custom: dict[str, Any] | None) -> dict[str, str]:
    """The team's overrides on top of the defaults: every key of SCRIPT_FIELDS, never empty."""
    custom = custom or {}
    return {
        key: str(custom[key]) if isinstance(custom.get(key), str) and custom[key].strip()
        else DEFAULT_SCRIPTS_ZH[key]
        for key in SCRIPT_FIELDS
    }


def render_script(template: str, *, agent: str = "", customer: str = "") -> str:
    """Fills {agent} and {customer}; other braces stay as typed (no str.format surprises)."""
    return template.replace("{agent}", agent).replace("{customer}", customer)


# H10.2: permissions a role has by default; an agent row's `grants` adds single permissions.
PERMISSIONS: tuple[str, ...] = (
    "customer.reveal", "team.configure", "kb.edit", "order.refund_large", "tag.manage",
    "phrase.team",
)
Permission = Literal[
    "customer.reveal", "team.configure", "kb.edit", "order.refund_large", "tag.manage",
    "phrase.team",
]
PERMISSION_LABELS_ZH: dict[str, str] = {
    "customer.reveal": "查看客户完整手机号、地址和身份证号",
    "team.configure": "修改本组响应标准和话术",
    "kb.edit": "编辑知识库",
    "order.refund_large": "退款/取消超过限额的订单",
    "tag.manage": "管理标签库",
    "phrase.team": "管理团队快捷短语",
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "agent": frozenset(),
    "lead": frozenset(PERMISSIONS),
    "supervisor": frozenset(PERMISSIONS),
    "admin": frozenset(PERMISSIONS),
}


def has_permission(role: str, grants: list[str] | tuple[str, ...], permission: str) -> bool:
    """The role's default or an explicit grant (agent row fields `role` and `grants`)."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset()) or permission in grants


# H3.4: the previous owner may pull a transferred conversation back ("撤回") this long after
# the transfer (`conversation.transfer` to themselves); later it is `undo_expired`.
TRANSFER_UNDO_SECONDS = 60


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
    # The company's zone (IANA): shift times (H13.1) are its wall-clock times.
    timezone: str = "Asia/Shanghai"


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
    nul_checked_later = frozenset({"args"})  # rejected per mutation by its args model
    # Bounded like every number stored in a BIGINT (and exact in JSON readers): a larger one
    # must be a 400, not an overflow in the database.
    id: Annotated[int, Field(ge=1, le=2**53 - 1)]
    name: Annotated[str, StringConstraints(max_length=100)]
    args: dict[str, Any]


class PushRequest(Strict):
    nul_checked_later = frozenset({"mutations"})  # each Mutation checks its own
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
    # An order card (kefu_protocol.shop.OrderCardSend): the page draws it instead of the text.
    card: dict[str, Any] | None = None


class VisitorMessages(Loose):
    messages: list[VisitorMessage]
    state: str
    # H14.4: the page shows its rating prompt when asked (request_rating) or once closed.
    rating_requested: bool = False
    rated: bool = False


class RatingRequest(Strict):
    score: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, StringConstraints(max_length=500)] = ""


# ---- agent read APIs: history, search, revealing personal data (H3.1, H14.3, H11.3) ---------


class MessagePage(Loose):
    """GET /api/v1/conversations/{id}/messages?before=<seq>&limit=<n>: newest first."""

    messages: list[dict[str, Any]]
    has_more: bool


MAX_SEARCH_QUERY_CHARS = 100
MAX_SEARCH_LIMIT = 100


class MessageSearchHit(Loose):
    message: dict[str, Any]  # the message's feed row
    conversation_id: str
    customer_id: str
    customer_nickname: str


class MessageSearchPage(Loose):
    """GET /api/v1/search/messages: newest first; pass `next` back as `before` for more."""

    hits: list[MessageSearchHit]
    next: str | None


RevealField = Literal["phone", "address", "id_number"]


class CustomerRevealRequest(Strict):
    """POST /api/v1/customers/{id}/reveal: needs customer.reveal; audited with the reason."""

    field: RevealField
    reason: ReasonText


class CustomerRevealResponse(Loose):
    field: RevealField
    value: str


class AgentGrantsRequest(Strict):
    """PUT /api/v1/admin/agents/{id}/grants (supervisor or admin): the agent's whole grant list."""

    grants: Annotated[list[Permission], Field(max_length=len(PERMISSIONS))]


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


HandoverKind = Literal["conversation", "todo", "prospect", "callback", "note"]
HANDOVER_KINDS: tuple[str, ...] = ("conversation", "todo", "prospect", "callback", "note")


class HandoverItem(Strict):
    """One line of the handover record (H13.2). `conversation`: a conversation handed over to
    `to_agent_id` (transferred at submit when `HandoverCreate.transfer`); `prospect`: a customer
    to contact (`customer_id`); `callback`: a promised call-back due at `due_at` (ISO 8601 with
    zone); `todo`: urgent; `note`: free text. In the feed each item also carries `acked_at` and
    `acked_by` (null until the incoming agent acknowledges it)."""

    kind: HandoverKind
    text: ShortText = ""
    conversation_id: Uuid | None = None
    customer_id: Uuid | None = None
    to_agent_id: Uuid | None = None
    due_at: str | None = None


class HandoverCreate(Strict):
    id: Uuid
    to_agent_id: Uuid | None = None
    note: ShortText = ""
    items: Annotated[list[HandoverItem], Field(max_length=500)] = []
    shift_id: Uuid | None = None
    # Transfer every `conversation` item to its to_agent_id (or the handover's) in the same
    # transaction (H3.4); a conversation no longer the author's is skipped, not an error.
    transfer: bool = True


class HandoverAck(Strict):
    """Acknowledges item `item` (its index), or every item when None; the handover's own
    acked_at is set once all its items are acknowledged."""

    id: Uuid
    item: Annotated[int, Field(ge=0, lt=500)] | None = None


# ---- shifts, surge, problem log, conversions, bulk reassign (H13, H1.3, H11.4, H12) ----------

HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
# H13.1 defaults, created for every team (name, starts, ends); a shift may cross midnight.
DEFAULT_SHIFTS_ZH: tuple[tuple[str, str, str], ...] = (
    ("白班", "08:00", "17:00"), ("夜班", "17:00", "01:00"), ("常规班", "09:00", "18:00"),
)
# H1.3: minutes after a shift's start by which a rostered agent must have logged in.
LATE_LOGIN_GRACE_MIN = 10
# H13.2: minutes after which an unacknowledged handover item alerts the lead (team default).
HANDOVER_ALERT_MIN = 30
# H11.4: a surge is incoming volume over SURGE_FACTOR x the usual rate for that hour, measured
# over the last SURGE_WINDOW_MIN minutes; the usual rate is the mean for the same hour of day
# over the previous SURGE_HISTORY_DAYS days, never below SURGE_MIN_BASELINE_PER_HOUR.
SURGE_FACTOR = 3.0
SURGE_WINDOW_MIN = 15
SURGE_HISTORY_DAYS = 7
SURGE_MIN_BASELINE_PER_HOUR = 12.0
BULK_REASSIGN_MAX = 5000
ProblemText = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S")]


class ShiftUpsert(Strict):
    """A lead creates or edits a shift of a team they manage and its roster (H13.1)."""

    id: Uuid
    team_id: Uuid
    name: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"\S")]
    starts: HHMM
    ends: HHMM
    agent_ids: Annotated[list[Uuid], Field(max_length=500)] = []


class ShiftDelete(Strict):
    id: Uuid


class ProblemAdd(Strict):
    """H13.4: an agent's entry in the problem log (问题登记本)."""

    id: Uuid
    text: ProblemText
    category: Annotated[str, StringConstraints(max_length=40)] = ""
    conversation_id: Uuid | None = None
    shift_id: Uuid | None = None


class ProblemReview(Strict):
    """A lead marks a problem reviewed, with an optional comment."""

    id: Uuid
    comment: ShortText = ""


class SurgeDeclare(Strict):
    """A lead declares a level-1 surge response for a team (H11.4)."""

    id: Uuid
    team_id: Uuid
    note: ShortText = ""


class SurgeEnd(Strict):
    id: Uuid


class ConversationConvert(Strict):
    """H12: the conversation ended in a sale (or, with converted=False, did not after all)."""

    conversation_id: Uuid
    converted: bool = True


class BulkReassign(Strict):
    """H13.3: a lead moves conversations of one agent to others (spread by load); each
    customer is told who serves them now when `notify_customers`. Without `conversation_ids`
    all of the agent's open conversations move."""

    from_agent_id: Uuid
    to_agent_ids: Annotated[list[Uuid], Field(min_length=1, max_length=500)]
    conversation_ids: Annotated[list[Uuid], Field(max_length=BULK_REASSIGN_MAX)] | None = None
    notify_customers: bool = True


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


class ConversationEscalate(Strict):
    """H11.2: flag as a complaint and hand it to a supervisor (second level)."""

    conversation_id: Uuid
    reason: ReasonText


class TeamScripts(Strict):
    """Lead-set templates (H3.6, H8.3, H14.4); omitted = unchanged, "" = back to the default."""

    greeting: ScriptText | None = None
    closing_check: ScriptText | None = None
    thanks: ScriptText | None = None
    rating_request: ScriptText | None = None


class TeamConfigure(Strict):
    """H8.1 response standards and H3.6 scripts of one team; omitted fields stay as they are."""

    team_id: Uuid
    first_response_s: Annotated[int, Field(ge=5, le=3600)] | None = None
    complaint_response_s: Annotated[int, Field(ge=30, le=86400)] | None = None
    scripts: TeamScripts | None = None
    late_login_lock: bool | None = None
    late_login_grace_min: Annotated[int, Field(ge=1, le=180)] | None = None
    handover_alert_min: Annotated[int, Field(ge=1, le=1440)] | None = None


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
    "handover.create": HandoverCreate,
    "handover.ack": HandoverAck,
    "presence.set": PresenceSet,
    "setting.set": SettingSet,
    "quick_phrase.upsert": QuickPhraseUpsert,
    "quick_phrase.delete": QuickPhraseDelete,
    "conversation.escalate": ConversationEscalate,
    "conversation.request_rating": ConversationRef,
    "team.configure": TeamConfigure,
    "shift.upsert": ShiftUpsert,
    "shift.delete": ShiftDelete,
    "problem.add": ProblemAdd,
    "problem.review": ProblemReview,
    "surge.declare": SurgeDeclare,
    "surge.end": SurgeEnd,
    "conversation.convert": ConversationConvert,
    "conversation.bulk_reassign": BulkReassign,
    **SHOP_MUTATION_ARGS,
}

# Entities that appear in the feed and in bootstrap, in bootstrap order (parents first).
ENTITIES: tuple[str, ...] = (
    "team", "agent", "tag", "customer", "product", "order", "return_case", "logistics_event",
    "kb_entry", "kb_suggestion", "promotion",
    "shift", "conversation", "message", "note", "handover", "setting", "quick_phrase",
    "problem", "surge",
)

# Feed row fields added for the workstation (issue 5), beyond the table columns they mirror:
# - conversation: transferred_from_id, transferred_at (H3.4), escalated_at, escalated_to_id,
#   escalation_reason (H11.2; is_complaint is set too), rating_requested_at (H14.4)
# - team: scripts (all SCRIPT_FIELDS, defaults filled in; see effective_scripts)
# - agent: grants (a list of PERMISSIONS beyond the role's; see has_permission)
# - customer: phone_masked, address_masked, id_number_masked (never the raw values, H11.3)
# Issue 7 (H13, H1.3, H11.4, H12):
# - team: late_login_lock, late_login_grace_min (H1.3), handover_alert_min (H13.2)
# - conversation: converted_at (H12.1)
# - handover: shift_id; each item also acked_at, acked_by
# - problem (H13.4): in the author's agent scope and the team's lead scope (lead_scope)
# - surge (H11.4): team scope, so every agent sees an active one (ended_at null)
# Issue 8 (H5.2-H5.4):
# - order: flagged, flag_note (H5.4), intercept_requested_at (H5.3); history entries are
#   {at, by, status} for a transition or {at, by, action, note} for special handling, where
#   action is address_change (note = the new address, masked), cancel, intercept, flag,
#   return_create or return_update
# - return_case (H5.2): team scope; items [{sku, qty}], history [{at, by, status, note}]

TRANSFER_NOTICE_ZH = "接下来由同事{name}为您继续服务"

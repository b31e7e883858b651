"""Protocol v1, the shop's side (H5-H7, H9, H4.3): orders, returns, logistics problems, order
cards, products and promotions, knowledge-base editing and review, the tag library.

Part of the one wire-format definition (with kefu_protocol.wire), imported by client and server.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from kefu_protocol.types import ReasonText, ShortText, Strict, Uuid

# ---- orders (H5) ------------------------------------------------------------------------------

# H10.2/H5.3: refunding or cancelling an order whose total is above this (¥500) needs the
# permission order.refund_large; cancelling is allowed CANCEL_WINDOW_HOURS after the order.
REFUND_LIMIT_CENTS = 50000
CANCEL_WINDOW_HOURS = 24
# order.transition into one of these on an order above REFUND_LIMIT_CENTS needs the permission.
REFUND_STATUSES: tuple[str, ...] = ("退款中", "已退款", "已取消")


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


class OrderTransition(Strict):
    order_id: Uuid
    to_status: Annotated[str, StringConstraints(max_length=20)]
    from_status: Annotated[str, StringConstraints(max_length=20)] | None = None


OrderNoteText = Annotated[str, StringConstraints(max_length=500)]


class OrderChangeAddress(Strict):
    """H5.3: only before shipping (待付款, 已付款); else `address_locked_after_shipping`."""

    order_id: Uuid
    address: Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"\S")]


class OrderCancel(Strict):
    """H5.3: in 待付款/已付款 within CANCEL_WINDOW_HOURS of created_at (`cancel_window_passed`)."""

    order_id: Uuid
    reason: ReasonText


class OrderIntercept(Strict):
    """H5.3: an interception request to the carrier, only once shipped (`intercept_not_shipped`)."""

    order_id: Uuid
    reason: ReasonText


class OrderFlag(Strict):
    """H5.4: the little red flag (插小红旗) and its note, visible to colleagues."""

    order_id: Uuid
    flagged: bool
    note: OrderNoteText = ""


# H5.2: returns and exchanges. A case starts 待审核; a 退货 ends 已退款, a 换货 ends 已换货.
RETURN_KINDS: tuple[str, ...] = ("退货", "换货")
RETURNABLE_ORDER_STATUSES: tuple[str, ...] = ("已发货", "已签收", "已完成")
RETURN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "待审核": ("已同意", "已拒绝"),
    "已同意": ("已寄回",),
    "已寄回": ("已退款", "已换货"),
    "已拒绝": (),
    "已退款": (),
    "已换货": (),
}
RETURN_FINAL_STATUS: dict[str, str] = {"退货": "已退款", "换货": "已换货"}


class ReturnItem(Strict):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    qty: Annotated[int, Field(ge=1, le=10000)]


class ReturnCreate(Strict):
    id: Uuid
    order_id: Uuid
    kind: Literal["退货", "换货"]
    reason: ReasonText
    items: Annotated[list[ReturnItem], Field(min_length=1, max_length=200)]
    note: OrderNoteText = ""


class ReturnUpdate(Strict):
    """Moves a return case along RETURN_TRANSITIONS (`illegal_transition` otherwise)."""

    id: Uuid
    status: Annotated[str, StringConstraints(max_length=20)]
    note: OrderNoteText = ""


# ---- logistics problems (H7) ------------------------------------------------------------------

# A shipped parcel whose tracking has not moved for this long shows as 疑似延误 (suspected delay).
DELAY_HOURS = 72
LogisticsProblem = Literal["延误", "丢件", "破损"]
# The handling path an agent follows for each problem, shown step by step beside the order.
LOGISTICS_PATHS: dict[str, tuple[str, ...]] = {
    "延误": ("查询最新物流并催促承运商", "告知客户原因和预计送达时间",
             "超过承诺时效仍未送达：补发或退款"),
    "丢件": ("向承运商核实并登记丢件", "安抚客户，说明处理时限", "确认丢失：补发或退款"),
    "破损": ("请客户拍照留证（外包装和商品）", "向承运商登记破损", "补发、换货或退款"),
}
LOGISTICS_RESOLUTIONS: tuple[str, ...] = ("已送达", "已补发", "已退款", "已换货", "其他")
# Statuses in which a problem may be reported: 延误/丢件 while on the way, 破损 once received too.
LOGISTICS_PROBLEM_STATUSES: dict[str, tuple[str, ...]] = {
    "延误": ("已发货",),
    "丢件": ("已发货",),
    "破损": ("已发货", "已签收", "已完成"),
}


class OrderLogisticsReport(Strict):
    """H7: opens a logistics problem on the order (`logistics_issue` in the feed row); refused
    with `logistics_not_applicable` in other statuses and `logistics_issue_open` while one is
    open."""

    order_id: Uuid
    problem: LogisticsProblem
    note: OrderNoteText = ""


class OrderLogisticsResolve(Strict):
    """H7: closes the open problem with how it ended (`logistics_no_issue` when none is open)."""

    order_id: Uuid
    resolution: Literal["已送达", "已补发", "已退款", "已换货", "其他"]
    note: OrderNoteText = ""


# Order feed row field `logistics_issue`: null, or {problem, note, at, by, resolution,
# resolved_at, resolved_by} (resolution null while open).


# ---- the order card in the chat (H5) ------------------------------------------------------------


class OrderCardSend(Strict):
    """Sends one of the conversation's customer's orders into the chat as a card (message `id`).
    The order must belong to that customer (`order_not_customers` otherwise, H11.3). The message
    row gets `card` (ORDER_CARD fields) and a readable `text` for clients without cards."""

    id: Uuid
    conversation_id: Uuid
    order_id: Uuid


# Message feed row / visitor message field `card`: null, or {type: "order", order_no, status,
# total_cents, created_at, lines: [{name, qty}], tracking: {carrier, status, at} | null}.
# Never the address or the customer's contact data.
ORDER_CARD_MAX_LINES = 5


# ---- products and promotions (H6) ---------------------------------------------------------------

PROMOTION_KINDS: tuple[str, ...] = ("满减", "折扣", "赠品", "其他")
# Promotion feed row (company scope): id, name, kind, rule (the text agents read out),
# threshold_cents (满 X), discount_cents (减 Y), percent_off (折扣, 0-100), skus (empty: the whole
# shop), starts_at, ends_at (null: open-ended). Product feed row: sku, name, category,
# price_cents, stock (null: not tracked), specs {name: value}, promotion (free text).


# ---- knowledge base editing and review (H9.2, H10.2) -------------------------------------------

KbCategory = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"\S")]
KbTitle = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
KbBody = Annotated[str, StringConstraints(min_length=1, max_length=10000, pattern=r"\S")]
KbKeywords = Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=30)]],
                       Field(max_length=30)]
KB_SUGGESTION_STATUSES: tuple[str, ...] = ("待审核", "已采纳", "已驳回")


class KbUpsert(Strict):
    """Needs kb.edit. A new entry (`base_version` None) or an edit of the version the editor saw
    (`stale_version` with the current one otherwise, so an edit is never lost silently)."""

    id: Uuid
    category: KbCategory
    title: KbTitle
    body: KbBody
    keywords: KbKeywords = []
    base_version: Annotated[int, Field(ge=1)] | None = None


class KbDelete(Strict):
    """Needs kb.edit."""

    id: Uuid


class KbSuggest(Strict):
    """Anyone: proposes a new entry (`entry_id` None) or a change to one, for review (H9.2).
    A `kb_suggestion` row (company scope) starts 待审核."""

    id: Uuid
    entry_id: Uuid | None = None
    category: KbCategory
    title: KbTitle
    body: KbBody
    keywords: KbKeywords = []
    reason: ShortText = ""


class KbReview(Strict):
    """Needs kb.edit: 采纳 applies the suggestion to the knowledge base, 驳回 keeps it with the
    comment (`suggestion_reviewed` when already decided)."""

    id: Uuid
    approve: bool
    comment: ShortText = ""


class KbUsed(Strict):
    """An agent inserted the entry into a reply: its use_count goes up (ranking, H9.1)."""

    id: Uuid


# kb_entry feed row adds updated_by (employee id) and updated_at; kb_suggestion feed row: id,
# entry_id, category, title, body, keywords, reason, status, author_id, author_name, created_at,
# reviewed_by, reviewed_at, comment.


# ---- the tag library (H4.3) ---------------------------------------------------------------------

TAG_MAX_LEVEL = 3
TagName = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"\S")]


class TagUpsert(Strict):
    """Needs tag.manage: a new tag under `parent_id` (None: level 1) or a rename; deeper than
    TAG_MAX_LEVEL is `tag_too_deep`, a sibling with the same name `tag_exists`."""

    id: Uuid
    parent_id: Uuid | None = None
    name: TagName


class TagDelete(Strict):
    """Needs tag.manage: only a tag without children (`tag_has_children`); customers carrying it
    lose it."""

    id: Uuid


SHOP_MUTATION_ARGS: dict[str, type[Strict]] = {
    "order.transition": OrderTransition,
    "order.change_address": OrderChangeAddress,
    "order.cancel": OrderCancel,
    "order.intercept": OrderIntercept,
    "order.flag": OrderFlag,
    "order.report_logistics": OrderLogisticsReport,
    "order.resolve_logistics": OrderLogisticsResolve,
    "order.send_card": OrderCardSend,
    "return.create": ReturnCreate,
    "return.update": ReturnUpdate,
    "kb.upsert": KbUpsert,
    "kb.delete": KbDelete,
    "kb.suggest": KbSuggest,
    "kb.review": KbReview,
    "kb.used": KbUsed,
    "tag.upsert": TagUpsert,
    "tag.delete": TagDelete,
}

"""The conversation list: what a view shows, in which order, and each row (H2.1, H8.2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from app.models.store import Store
from app.models.tables import Conversation, Customer, Outbox, Record

View = Literal["all", "mine", "queue", "waiting", "closed"]
Sort = Literal["activity", "urgency", "nickname", "order"]
VIEWS: tuple[View, ...] = ("all", "mine", "queue", "waiting", "closed")
SORTS: tuple[Sort, ...] = ("activity", "urgency", "nickname", "order")

# Default response standards (H8.1) when a team row does not carry its own.
FIRST_RESPONSE_S = 30
COMPLAINT_RESPONSE_S = 300
WARN_SHARE = 2 / 3
"""Amber once this share of the standard has passed without a reply; red at the breach."""

SortKey = tuple[Any, ...]


@dataclass(frozen=True)
class ListQuery:
    """What the agent asked the list to show: a view, an order and the typed filter."""

    view: View = "all"
    sort: Sort = "activity"
    text: str = ""
    auto_pin_vip: int = 2
    """Customers at this VIP level or above are pinned on top (0 = off)."""


@dataclass(frozen=True)
class ConversationRow:
    id: str
    nickname: str
    vip_level: int
    last_message_text: str
    last_message_at: dt.datetime | None
    waiting_since: dt.datetime | None
    unread: int
    state: str
    pinned: bool
    """Pinned by hand (or a queued pin not yet synced)."""
    mine: bool
    order_no: str
    auto_pinned: bool = False
    """On top because of the customer's VIP level."""
    customer_id: str = ""
    agent_id: str | None = None
    team_id: str = ""
    is_complaint: bool = False
    standard_s: int = FIRST_RESPONSE_S
    """Seconds the response standard allows for the reply this row is waiting for."""
    transferred_from_id: str | None = None

    def urgency(self, now: dt.datetime) -> str:
        """'' (not waiting) | 'ok' | 'warn' (before the breach) | 'breach' (H8.2)."""
        if self.waiting_since is None or self.state == "closed":
            return ""
        waited = (now - self.waiting_since).total_seconds()
        if waited >= self.standard_s:
            return "breach"
        return "warn" if waited >= self.standard_s * WARN_SHARE else "ok"


@dataclass(frozen=True)
class _Pending:
    """What this desk's queued intents will change once the server applies them."""

    pinned: dict[str, bool]
    state: dict[str, str]
    agent: dict[str, str | None]


_ACTIVITY = func.coalesce(Conversation.last_message_at, Conversation.created_at)
_COMPLAINT = func.json_extract(Conversation.data, "$.is_complaint")


def _stamp(value: str | None) -> float:
    return dt.datetime.fromisoformat(value).timestamp() if value else 0.0


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ListingService:
    """Reads only, on the caller's thread; every query is one indexed statement."""

    def __init__(self, store: Store, *, agent_id: str) -> None:
        self.store = store
        self.agent_id = agent_id

    # ---- order ----------------------------------------------------------------------------

    def order(self, query: ListQuery) -> list[tuple[str, SortKey]]:
        """The ids the view shows with their sort keys, in order."""
        with self.store.read() as session:
            pending = _pending(session, self.agent_id)
            standards = _standards(session)
            rows = session.execute(self._select(query, pending)).all()
        keyed = [(row[0], key) for row in rows
                 if (key := self._key(row, query, pending, standards)) is not None]
        keyed.sort(key=lambda item: item[1])
        return keyed

    def keys(self, ids: Iterable[str], query: ListQuery) -> dict[str, SortKey | None]:
        """Where each conversation belongs in the view now; None when the view omits it."""
        wanted = list(ids)
        with self.store.read() as session:
            pending = _pending(session, self.agent_id)
            standards = _standards(session)
            rows = session.execute(
                self._select(query, pending, only=wanted)).all() if wanted else []
        found = {row[0]: self._key(row, query, pending, standards) for row in rows}
        return {cid: found.get(cid) for cid in wanted}

    def _select(self, query: ListQuery, pending: _Pending, *,
                only: list[str] | None = None) -> Select[Any]:
        stmt = (select(Conversation.id, Conversation.pinned, _ACTIVITY, Conversation.state,
                       Conversation.agent_id, Customer.vip_level, Customer.nickname,
                       Conversation.order_no, Conversation.awaiting_reply_since,
                       Conversation.team_id,
                       case((Conversation.awaiting_reply_since.is_not(None), _COMPLAINT),
                            else_=None))
                .outerjoin(Customer, Customer.id == Conversation.customer_id))
        if only is not None:
            stmt = stmt.where(Conversation.id.in_(only))
        touched = set(pending.state) | set(pending.agent)
        if query.view == "closed":
            stmt = stmt.where(or_(Conversation.state == "closed", Conversation.id.in_(touched)))
        else:
            stmt = stmt.where(or_(Conversation.state != "closed", Conversation.id.in_(touched)))
        if query.text.strip():
            pattern = _like(query.text.strip())
            stmt = stmt.where(or_(Customer.nickname.like(pattern, escape="\\"),
                                  Conversation.order_no.like(pattern, escape="\\"),
                                  Conversation.last_message_text.like(pattern, escape="\\")))
        return stmt

    def _key(self, row: Any, query: ListQuery, pending: _Pending,
             standards: dict[str, tuple[int, int]]) -> SortKey | None:
        (cid, pinned, activity, state, agent_id, vip, nickname, order_no, awaiting,
         team_id, complaint) = row
        state = pending.state.get(cid, state)
        agent_id = pending.agent.get(cid, agent_id)
        if not _in_view(query.view, state, agent_id, awaiting, self.agent_id):
            return None
        pinned = pending.pinned.get(cid, bool(pinned))
        top = pinned or (query.auto_pin_vip > 0 and (vip or 0) >= query.auto_pin_vip)
        rank = 0 if top else 1
        if query.sort == "nickname":
            return (rank, nickname or "", cid)
        if query.sort == "order":
            return (rank, 0 if order_no else 1, order_no or "", cid)
        if query.sort == "urgency" and awaiting:
            first, complaint_s = standards.get(team_id, (FIRST_RESPONSE_S, COMPLAINT_RESPONSE_S))
            allowed = complaint_s if complaint else first
            return (rank, 0, _stamp(awaiting) + allowed, cid)
        if query.sort == "urgency":
            return (rank, 1, -_stamp(activity), cid)
        return (rank, -_stamp(activity), cid)

    # ---- rows -----------------------------------------------------------------------------

    def rows(self, ids: list[str], query: ListQuery) -> dict[str, ConversationRow]:
        if not ids:
            return {}
        stmt = (select(Conversation, Customer.nickname, Customer.vip_level)
                .outerjoin(Customer, Customer.id == Conversation.customer_id)
                .where(Conversation.id.in_(ids)))
        with self.store.read() as session:
            pending = _pending(session, self.agent_id)
            standards = _standards(session)
            found = session.execute(stmt).all()
        result = {}
        for conv, nickname, vip in found:
            data = conv.data or {}
            complaint = bool(data.get("is_complaint"))
            first, complaint_s = standards.get(conv.team_id,
                                               (FIRST_RESPONSE_S, COMPLAINT_RESPONSE_S))
            agent_id = pending.agent.get(conv.id, conv.agent_id)
            vip = vip or 0
            result[conv.id] = ConversationRow(
                id=conv.id, nickname=nickname or "访客", vip_level=vip,
                last_message_text=conv.last_message_text,
                last_message_at=_time(conv.last_message_at),
                waiting_since=_time(conv.awaiting_reply_since), unread=conv.unread,
                state=pending.state.get(conv.id, conv.state),
                pinned=pending.pinned.get(conv.id, conv.pinned),
                auto_pinned=query.auto_pin_vip > 0 and vip >= query.auto_pin_vip,
                mine=agent_id == self.agent_id, order_no=conv.order_no,
                customer_id=conv.customer_id, agent_id=agent_id, team_id=conv.team_id,
                is_complaint=complaint, standard_s=complaint_s if complaint else first,
                transferred_from_id=data.get("transferred_from_id"),
            )
        return result


def _in_view(view: View, state: str, agent_id: str | None, awaiting: str | None,
             me: str) -> bool:
    if view == "closed":
        return state == "closed"
    if state == "closed":
        return False
    if view == "mine":
        return agent_id == me
    if view == "queue":
        return agent_id is None
    if view == "waiting":
        return awaiting is not None
    return True


def _pending(session: Session, me: str) -> _Pending:
    """Queued conversation intents, applied in order over the synced rows (offline, H11.1)."""
    pinned: dict[str, bool] = {}
    state: dict[str, str] = {}
    agent: dict[str, str | None] = {}
    rows = session.execute(
        select(Outbox.name, Outbox.args).where(
            Outbox.state == "pending",
            Outbox.name.in_(("conversation.pin", "conversation.close",
                             "conversation.accept", "conversation.transfer")))
        .order_by(Outbox.seq)).all()
    for name, args in rows:
        cid = str(args.get("conversation_id", ""))
        if name == "conversation.pin":
            pinned[cid] = bool(args.get("pinned"))
        elif name == "conversation.close":
            state[cid] = "closed"
        elif name == "conversation.accept":
            agent[cid] = me
            state[cid] = "open"
        else:
            agent[cid] = args.get("to_agent_id")
    return _Pending(pinned, state, agent)


def _standards(session: Session) -> dict[str, tuple[int, int]]:
    """Each team's (first reply, complaint reply) standard in seconds (H8.1)."""
    rows = session.execute(select(Record.id, Record.data).where(Record.entity == "team")).all()
    return {tid: (int(data.get("first_response_s") or FIRST_RESPONSE_S),
                  int(data.get("complaint_response_s") or COMPLAINT_RESPONSE_S))
            for tid, data in rows}

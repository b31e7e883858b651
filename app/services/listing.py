"""The conversation list: what a view shows, in which order, and each row (H2.1, H8.2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
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


# Columns of the covering index only (app.models.listing_index): id, pinned, activity (epoch s),
# state, agent, VIP level, nickname, order number, awaiting since (epoch s), team, complaint.
_SELECT = ("SELECT id, pinned, list_activity, state, agent_id, list_vip, list_nickname, "
           "order_no, list_awaiting, team_id, list_complaint, list_created FROM conversation")


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
        keyed = list(self._keyed(query, None).items())
        keyed.sort(key=lambda item: item[1])
        return keyed

    def keys(self, ids: Iterable[str], query: ListQuery) -> dict[str, SortKey | None]:
        """Where each conversation belongs in the view now; None when the view omits it."""
        wanted = list(ids)
        found = self._keyed(query, wanted) if wanted else {}
        return {cid: found.get(cid) for cid in wanted}

    def _keyed(self, query: ListQuery, only: list[str] | None) -> dict[str, SortKey]:
        """One statement over the covering index `ix_conversation_listing`, naming only the
        columns the order needs (fewer Python objects: 30 ms instead of 85 ms at 50k rows),
        then conversations whose queued intents may move them in or out, by primary key."""
        with self.store.read() as session:
            pending = _pending(session, self.agent_id)
            standards = _standards(session)
            conn = session.connection().connection.driver_connection  # plain tuples
            where, params = self._where(query, only)
            params["vip"] = query.auto_pin_vip if query.auto_pin_vip > 0 else 1 << 30
            columns = _ORDER_COLUMNS[query.sort]
            rows = conn.execute(f"SELECT id, {_RANK}, {columns} FROM conversation "
                                f"WHERE {where}", params).fetchall()
            touched = sorted(set(pending.state) | set(pending.agent) | set(pending.pinned))
            if only is not None:
                wanted = set(only)
                touched = [cid for cid in touched if cid in wanted]
            extra = []
            if touched:
                marks = ", ".join(f":t{i}" for i in range(len(touched)))
                text_where, text_params = self._text(query)
                extra = conn.execute(
                    f"{_SELECT} WHERE id IN ({marks}){text_where}",
                    {**{f"t{i}": cid for i, cid in enumerate(touched)}, **text_params}
                ).fetchall()
        keyed = _keys(rows, query.sort, standards)
        for cid in touched:
            keyed.pop(cid, None)
        for row in extra:
            key = self._key_pending(row, query, pending, standards)
            if key is not None:
                keyed[row[0]] = key
        return keyed

    def _where(self, query: ListQuery, only: list[str] | None) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {}
        parts = ["state = 'closed'" if query.view == "closed" else "state != 'closed'"]
        if query.view == "mine":
            parts.append("agent_id = :me")
            params["me"] = self.agent_id
        elif query.view == "queue":
            parts.append("agent_id IS NULL")
        elif query.view == "waiting":
            parts.append("list_awaiting IS NOT NULL")
        if only is not None:
            parts.append(f"id IN ({', '.join(f':o{i}' for i in range(len(only)))})")
            params.update({f"o{i}": cid for i, cid in enumerate(only)})
        text_where, text_params = self._text(query)
        return " AND ".join(parts) + text_where, {**params, **text_params}

    def _text(self, query: ListQuery) -> tuple[str, dict[str, Any]]:
        text = query.text.strip()
        if not text:
            return "", {}
        return (" AND (list_nickname LIKE :p ESCAPE '\\' OR order_no LIKE :p ESCAPE '\\' "
                "OR last_message_text LIKE :p ESCAPE '\\')", {"p": _like(text)})

    def _key_pending(self, row: Any, query: ListQuery, pending: _Pending,
                     standards: dict[str, tuple[int, int]]) -> SortKey | None:
        cid = row[0]
        state = pending.state.get(cid, row[3])
        agent_id = pending.agent.get(cid, row[4])
        if not _in_view(query.view, state, agent_id, row[8], self.agent_id):
            return None
        pinned = pending.pinned.get(cid, bool(row[1]))
        vip = query.auto_pin_vip if query.auto_pin_vip > 0 else 1 << 30
        rank = 0 if pinned or row[5] >= vip else 1
        # (id, pinned, activity, state, agent, vip, nickname, order, awaiting, team, complaint,
        #  created)
        picked = {"activity": (row[2], row[11]), "nickname": (row[6],), "order": (row[7],),
                  "urgency": (row[8], row[9], row[10], row[2], row[11])}[query.sort]
        return _keys([(cid, rank, *picked)], query.sort, standards)[cid]

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


_RANK = "CASE WHEN pinned OR list_vip >= :vip THEN 0 ELSE 1 END"
_ORDER_COLUMNS: dict[str, str] = {
    "activity": "list_activity, list_created", "nickname": "list_nickname",
    "order": "order_no",
    "urgency": "list_awaiting, team_id, list_complaint, list_activity, list_created",
}


def _keys(rows: list[Any], sort: Sort,
          standards: dict[str, tuple[int, int]]) -> dict[str, SortKey]:
    """Rows of (id, rank, *the sort's columns) to sort keys, in one pass."""
    if sort == "nickname":
        return {r[0]: (r[1], r[2] or "", r[0]) for r in rows}
    if sort == "order":
        return {r[0]: (r[1], 0 if r[2] else 1, r[2] or "", r[0]) for r in rows}
    if sort == "urgency":
        keyed: dict[str, SortKey] = {}
        for cid, rank, awaiting, team_id, complaint, activity, created in rows:
            if awaiting is None:  # same activity (one assignment sweep): newer first
                keyed[cid] = (rank, 1, -(activity or 0.0), -(created or 0.0), cid)
                continue
            first, complaint_s = standards.get(team_id, (FIRST_RESPONSE_S, COMPLAINT_RESPONSE_S))
            keyed[cid] = (rank, 0, awaiting + (complaint_s if complaint else first), cid)
        return keyed
    return {r[0]: (r[1], -(r[2] or 0.0), -(r[3] or 0.0), r[0]) for r in rows}


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

"""Which alert events (H10.1) a synced page or the passing time brings for one agent."""

# Cheap by construction (50k conversations in the benchmarks): `prime` reads the agent's open
# conversations, the team's queue and the handover ids once; a page then reads only the ids it
# touched (by primary key or the message index), and `tick` reads nothing: it works on the
# agent's open conversations kept in memory from the pages.

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.store import Store
from app.models.tables import Conflict, Conversation, Customer, Message, Record
from app.services.listing import COMPLAINT_RESPONSE_S, FIRST_RESPONSE_S, WARN_SHARE
from app.settings import URGENT_EVENTS
from app.sync import outbox
from app.sync.apply import Applied
from kefu_protocol.wire import HANDOVER_ALERT_MIN, ROLE_RANK

PREVIEW_CHARS = 60
REBUILD_CONVERSATIONS = 2000
"""A summary touching more conversations is a (re)bootstrap of the cache, not news."""
_CHUNK = 500


@dataclass(frozen=True)
class Alert:
    event: str
    """One of app.settings.NOTIFY_EVENTS."""
    conversation_id: str | None = None
    nickname: str = ""
    """The customer's nickname ('' when the alert is not about a customer)."""
    preview: str = ""
    """A short extract: the message, the handover note, the reason of a notice."""
    urgent: bool = False
    colleague: str = ""
    """Who handed over (handover alerts)."""
    kind: str = ""
    """What a system notice is about: note_conflict, escalation …"""


@dataclass
class _Mine:
    """One of the agent's open conversations, as far as alerts need it."""

    team_id: str
    nickname: str
    preview: str
    seq: int
    awaiting: str | None
    complaint: bool
    level: int | None = None
    """0 ok, 1 warned, 2 breached in this waiting episode; None: set silently at next tick."""


def short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(ids)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


class AlertWatcher:
    """Call `after_page` with every Applied summary and `tick` every second or so, on the same
    thread; both return the alerts to show, oldest first."""

    def __init__(self, store: Store, *, agent_id: str, team_id: str,
                 role: str = "agent") -> None:
        self.store = store
        self.agent_id = agent_id
        self.team_id = team_id
        self.lead = ROLE_RANK.get(role, 0) >= ROLE_RANK["lead"]
        """Leads and above are told of handover items left unacknowledged (H13.2)."""
        self._surges: set[str] = set()
        self._waiting: dict[tuple[str, int], _Waiting] = {}
        self._overdue_told: set[tuple[str, int]] = set()
        self._alert_min: dict[str, int] = {}
        self._seen: set[str] = set()
        self._transfers: set[tuple[str, str]] = set()
        self._mine: dict[str, _Mine] = {}
        self._handovers: set[str] = set()
        self._notice_mark = 0
        self._standards: dict[str, tuple[int, int]] = {}
        self._unprimed = False
        self.prime()

    # ---- what is already there ------------------------------------------------------------

    def prime(self) -> None:
        """Takes everything in the cache as known (after login, a bootstrap or a reset). Before
        the first bootstrap the cache is empty; its summary then primes instead of alerting."""
        with self.store.read() as session:
            self._unprimed = not outbox.get_state(session, "cursor")
            self._seen = set(session.scalars(select(Conversation.id).where(
                Conversation.state != "closed",
                (Conversation.agent_id == self.agent_id)
                | (Conversation.agent_id.is_(None) & (Conversation.team_id == self.team_id)))))
            self._mine = {}
            self._transfers = set()
            mine = session.scalars(select(Conversation.id).where(
                Conversation.agent_id == self.agent_id, Conversation.state != "closed")).all()
            for chunk in _chunks(mine):
                seqs = _max_seqs(session, chunk)
                for conv, nickname in self._rows(session, chunk):
                    self._keep(conv, nickname, seqs.get(conv.id, 0), level=None)
                    self._transfers.add(_transfer_key(conv))
            self._handovers = set(session.scalars(
                select(Record.id).where(Record.entity == "handover")))
            self._notice_mark = int(session.scalar(select(func.max(Conflict.id))) or 0)
            self._standards = _standards(session)
            self._surges = set(session.scalars(select(Record.id).where(
                Record.entity == "surge")))
            self._read_waiting(session)
        self._overdue(dt.datetime.now(dt.UTC))  # already overdue: known, like a breach

    @property
    def primed(self) -> bool:
        """The cache has been bootstrapped and taken as known: from now on pages alert."""
        return not self._unprimed

    def unread_total(self) -> int:
        """Unread customer messages in the agent's open conversations (the tray's badge)."""
        with self.store.read() as session:
            return int(session.scalar(select(func.coalesce(func.sum(Conversation.unread), 0))
                                      .where(Conversation.agent_id == self.agent_id,
                                             Conversation.state != "closed")) or 0)

    # ---- a synced page --------------------------------------------------------------------

    def after_page(self, applied: Applied) -> list[Alert]:
        if self._unprimed or len(applied.conversations) > REBUILD_CONVERSATIONS:
            self.prime()
            return []
        alerts: list[Alert] = []
        with self.store.read() as session:
            if applied.records:
                self._standards = _standards(session)
                alerts += self._handover_alerts(session, applied.records)
                alerts += self._surge_alerts(session, applied.records)
                self._read_waiting(session)
            fresh: set[str] = set()
            for chunk in _chunks(applied.conversations):
                for conv, nickname in self._rows(session, chunk):
                    alert = self._conversation_alert(session, conv, nickname)
                    if alert is not None:
                        alerts.append(alert)
                        fresh.add(conv.id)
            for cid in sorted(set(applied.message_conversations) & set(self._mine) - fresh):
                alert = self._message_alert(session, cid)
                if alert is not None:
                    alerts.append(alert)
            if applied.notices or applied.skipped:  # skipped: kept as bad_feed_row notices
                alerts += self._notice_alerts(session)
        return alerts

    def _rows(self, session: Session, ids: list[str]) -> list[Any]:
        return list(session.execute(
            select(Conversation, Customer.nickname)
            .outerjoin(Customer, Customer.id == Conversation.customer_id)
            .where(Conversation.id.in_(ids))).all())

    def _keep(self, conv: Conversation, nickname: str | None, seq: int, *,
              level: int | None) -> _Mine:
        mine = _Mine(team_id=conv.team_id, nickname=nickname or "",
                     preview=short(conv.last_message_text), seq=seq,
                     awaiting=conv.awaiting_reply_since,
                     complaint=bool((conv.data or {}).get("is_complaint")), level=level)
        self._mine[conv.id] = mine
        return mine

    def _conversation_alert(self, session: Session, conv: Conversation,
                            nickname: str | None) -> Alert | None:
        """new_conversation or transferred for one touched conversation; keeps `_mine`."""
        is_mine = conv.agent_id == self.agent_id and conv.state != "closed"
        queued = conv.agent_id is None and conv.state != "closed" \
            and conv.team_id == self.team_id
        known = self._mine.get(conv.id)
        if not is_mine:
            self._mine.pop(conv.id, None)
        elif known is None:  # its earlier messages are not news: the baseline is now
            known = self._keep(conv, nickname, _max_seqs(session, [conv.id]).get(conv.id, 0),
                               level=0)
        else:
            if known.awaiting != conv.awaiting_reply_since:  # a new waiting episode
                known.level = 0
            known.awaiting = conv.awaiting_reply_since
            known.nickname = nickname or ""
            known.preview = short(conv.last_message_text)
            known.complaint = bool((conv.data or {}).get("is_complaint"))
        event = None
        transfer = _transfer_key(conv)
        if is_mine and transfer[1] and transfer not in self._transfers:
            self._transfers.add(transfer)
            event = "transferred"
        elif (is_mine or queued) and conv.id not in self._seen:
            event = "new_conversation"
        if is_mine or queued:
            self._seen.add(conv.id)
        if event is None:
            return None
        if known is not None:  # this alert stands for the messages that came with it
            known.seq = max(known.seq, _max_seqs(session, [conv.id]).get(conv.id, 0))
        return Alert(event, conv.id, nickname or "", short(conv.last_message_text),
                     event in URGENT_EVENTS)

    def _message_alert(self, session: Session, cid: str) -> Alert | None:
        mine = self._mine[cid]
        rows = session.execute(
            select(Message.seq, Message.sender, Message.text)
            .where(Message.conversation_id == cid, Message.seq > mine.seq)
            .order_by(Message.seq)).all()
        if not rows:
            return None
        mine.seq = max(mine.seq, int(rows[-1][0]))
        texts = [text for _seq, sender, text in rows if sender == "customer"]
        if not texts:
            return None
        return Alert("new_message", cid, mine.nickname, short(texts[-1]),
                     "new_message" in URGENT_EVENTS)

    def _handover_alerts(self, session: Session, ids: set[str]) -> list[Alert]:
        alerts = []
        for chunk in _chunks(ids - self._handovers):
            for record in session.scalars(select(Record).where(
                    Record.entity == "handover", Record.id.in_(chunk)).order_by(Record.id)):
                data = record.data or {}
                self._handovers.add(record.id)
                to_me = data.get("to_agent_id") == self.agent_id or (
                    data.get("to_agent_id") is None and data.get("team_id") == self.team_id
                ) or any(i.get("to_agent_id") == self.agent_id for i in data.get("items") or [])
                if not to_me or data.get("from_agent_id") == self.agent_id \
                        or data.get("acked_at"):
                    continue
                sender = session.get(Record, ("agent", str(data.get("from_agent_id", ""))))
                name = str((sender.data or {}).get("name", "")) if sender is not None else ""
                alerts.append(Alert("handover", None, "", short(str(data.get("note", ""))),
                                    "handover" in URGENT_EVENTS, colleague=name))
        return alerts

    def _surge_alerts(self, session: Session, ids: set[str]) -> list[Alert]:
        """H11.4: every agent of the team, once per surge that has not ended."""
        alerts = []
        for chunk in _chunks(ids - self._surges):
            for record in session.scalars(select(Record).where(
                    Record.entity == "surge", Record.id.in_(chunk)).order_by(Record.id)):
                data = record.data or {}
                if data.get("team_id") != self.team_id or data.get("ended_at"):
                    continue
                self._surges.add(record.id)
                alerts.append(Alert("surge", None, "", short(str(data.get("note") or "")),
                                    "surge" in URGENT_EVENTS))
        return alerts

    def _read_waiting(self, session: Session) -> None:
        """Leads: the unacknowledged handover items of their teams, for `tick` (H13.2)."""
        if not self.lead:
            return
        self._alert_min = {
            tid: int((data or {}).get("handover_alert_min") or HANDOVER_ALERT_MIN)
            for tid, data in session.execute(select(Record.id, Record.data).where(
                Record.entity == "team")).all()}
        names = dict(session.execute(select(Record.id, func.json_extract(Record.data, "$.name"))
                                     .where(Record.entity == "agent")).all())
        self._waiting = {}
        for data in session.scalars(select(Record.data).where(Record.entity == "handover")):
            created = data.get("created_at")
            if not created or data.get("acked_at"):
                continue
            for index, item in enumerate(data.get("items") or []):
                if item.get("acked_at"):
                    continue
                to_agent = item.get("to_agent_id") or data.get("to_agent_id")
                self._waiting[(str(data["id"]), index)] = _Waiting(
                    team_id=str(data.get("team_id", "")), created_at=str(created),
                    text=short(str(item.get("text") or "")),
                    conversation_id=item.get("conversation_id"),
                    to_name=str(names.get(to_agent) or ""))

    def _overdue(self, now: dt.datetime) -> list[Alert]:
        alerts = []
        for key, item in self._waiting.items():
            if key in self._overdue_told:
                continue
            minutes = self._alert_min.get(item.team_id, HANDOVER_ALERT_MIN)
            if (now - _time(item.created_at)).total_seconds() >= minutes * 60:
                self._overdue_told.add(key)
                alerts.append(Alert("handover_overdue", item.conversation_id, "", item.text,
                                    "handover_overdue" in URGENT_EVENTS,
                                    colleague=item.to_name))
        return alerts

    def _notice_alerts(self, session: Session) -> list[Alert]:
        alerts = []
        for notice in session.scalars(select(Conflict).where(Conflict.id > self._notice_mark)
                                      .order_by(Conflict.id)):
            self._notice_mark = max(self._notice_mark, notice.id)
            data = notice.data or {}
            cid = data.get("conversation_id")
            alerts.append(Alert("system_notice", str(cid) if cid else None,
                                self._mine[cid].nickname if cid in self._mine else "",
                                short(str(data.get("reason") or data.get("winner_text") or "")),
                                "system_notice" in URGENT_EVENTS, kind=notice.kind))
        return alerts

    # ---- the clock ------------------------------------------------------------------------

    def tick(self, now: dt.datetime) -> list[Alert]:
        """response_warning at 2/3 of the standard, response_breach at it: once per episode;
        for leads, handover_overdue once per item left unacknowledged too long (H13.2)."""
        alerts = self._overdue(now) if self._waiting else []
        for cid, mine in self._mine.items():
            if mine.awaiting is None:
                continue
            waited = (now - _time(mine.awaiting)).total_seconds()
            first, complaint_s = self._standards.get(
                mine.team_id, (FIRST_RESPONSE_S, COMPLAINT_RESPONSE_S))
            standard = complaint_s if mine.complaint else first
            level = 2 if waited >= standard else 1 if waited >= standard * WARN_SHARE else 0
            if mine.level is None:  # already waiting when primed: only what comes next
                mine.level = level
            elif level > mine.level:
                mine.level = level
                event = "response_breach" if level == 2 else "response_warning"
                alerts.append(Alert(event, cid, mine.nickname, mine.preview,
                                    event in URGENT_EVENTS))
        return alerts


@dataclass(frozen=True)
class _Waiting:
    """An unacknowledged handover item, as far as the lead's overdue alert needs it."""

    team_id: str
    created_at: str
    text: str
    conversation_id: str | None
    to_name: str


def _time(value: str) -> dt.datetime:
    """Server times are UTC; a time written without its zone is read as UTC."""
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _max_seqs(session: Session, ids: list[str]) -> dict[str, int]:
    """The newest message number of each conversation (the message index answers it)."""
    rows = session.execute(select(Message.conversation_id, func.max(Message.seq))
                           .where(Message.conversation_id.in_(ids))
                           .group_by(Message.conversation_id)).all()
    return {cid: int(seq or 0) for cid, seq in rows}


def _transfer_key(conv: Conversation) -> tuple[str, str]:
    data = conv.data or {}
    if not data.get("transferred_from_id"):
        return (conv.id, "")
    return (conv.id, f"{data.get('transferred_from_id')}@{data.get('transferred_at') or ''}")


def _standards(session: Session) -> dict[str, tuple[int, int]]:
    rows = session.execute(select(Record.id, Record.data).where(Record.entity == "team")).all()
    return {tid: (int((data or {}).get("first_response_s") or FIRST_RESPONSE_S),
                  int((data or {}).get("complaint_response_s") or COMPLAINT_RESPONSE_S))
            for tid, data in rows}

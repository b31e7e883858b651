"""Scrolling back through a conversation without limit: the cache first, then the server (H3.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select

from app.models.store import Store
from app.models.tables import Message, Record
from app.services.chat import MessageRow
from app.sync.apply import apply_changes
from app.sync.client import NetworkError, ProtocolError, ServerError
from kefu_protocol.wire import Change, MessagePage

T = TypeVar("T")

FetchOlder = Callable[[str, int | None, int], MessagePage]
"""(conversation_id, before_seq, limit) -> the server's page, newest first: e.g.
`lambda c, b, n: keeper.call(lambda token: client.messages_before(token, c, b, n))`."""
RunDb = Callable[..., Any]
"""Runs fn(*args) on the DB worker and returns its result (Workers.run_db)."""

MAX_PAGE = 500  # the server's limit per history call
STORED_BY = "history"  # the client_id given to apply_changes (acks never come with pages)


@dataclass(frozen=True)
class HistoryPage:
    """Up to `limit` messages older than the asked-for seq, oldest first, with no gap.

    `has_more`: older messages exist (here or on the server). `remote_unavailable`: the cache
    ran out and the server could not be reached; show "更早的记录需联网加载" and ask again."""

    rows: tuple[MessageRow, ...]
    has_more: bool
    oldest_seq: int | None  # pass back as before_seq for the next page
    remote_unavailable: bool = False
    fetched: int = 0  # rows that came from the server for this page


@dataclass(frozen=True)
class LocalPage:
    """What the cache holds of a page: the gap-free run just below before_seq."""

    rows: tuple[MessageRow, ...]  # oldest first
    seqs: tuple[int, ...]  # the rows' seqs, oldest first
    complete: bool  # the run fills the page or reaches seq 1: no server call needed


def _time(value: str | None) -> dt.datetime:
    if value:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    return dt.datetime.fromtimestamp(0, dt.UTC)


def _direct(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)


class HistoryService:
    """Which method runs where: `local_page` reads (any thread: one short read transaction);
    `fetch_remote_page` does HTTP (a net worker); `store_page` writes (the DB worker, through
    `run_db`). `page` combines the three, so it runs on a net worker.

    Rows are synced history only; ChatService.messages adds this desk's queued sends."""

    def __init__(self, store: Store, fetch_older: FetchOlder, *,
                 run_db: RunDb = _direct) -> None:
        self.store = store
        self.fetch_older = fetch_older
        self.run_db = run_db

    def page(self, conversation_id: str, before_seq: int | None,
             limit: int = 100) -> HistoryPage:
        """The page below `before_seq` (None: the newest page)."""
        limit = max(1, min(limit, MAX_PAGE))
        if before_seq is not None and before_seq <= 1:
            return HistoryPage((), has_more=False, oldest_seq=None)
        local = self.local_page(conversation_id, before_seq, limit)
        if local.complete:
            return HistoryPage(local.rows, has_more=local.seqs[0] > 1,
                               oldest_seq=local.seqs[0])
        remote = self.fetch_remote_page(conversation_id, before_seq, limit)
        if remote is None:
            return HistoryPage(local.rows, has_more=True,
                               oldest_seq=local.seqs[0] if local.seqs else before_seq,
                               remote_unavailable=True)
        self.run_db(self.store_page, remote)
        rows = [m for m in remote.messages if m.get("conversation_id") == conversation_id]
        rows.sort(key=lambda m: int(m.get("seq") or 0))
        shown = self._rows(rows)
        return HistoryPage(shown, has_more=remote.has_more,
                           oldest_seq=int(rows[0]["seq"]) if rows else before_seq,
                           fetched=len(rows))

    # ---- the three steps ------------------------------------------------------------------

    def local_page(self, conversation_id: str, before_seq: int | None,
                   limit: int) -> LocalPage:
        """Reads the cache: the newest `limit` rows below before_seq, cut at the first gap."""
        stmt = select(Message).where(Message.conversation_id == conversation_id)
        if before_seq is not None:
            stmt = stmt.where(Message.seq < before_seq)
        with self.store.read() as session:
            found = session.scalars(stmt.order_by(Message.seq.desc()).limit(limit)).all()
            expected = before_seq - 1 if before_seq is not None else (
                found[0].seq if found else None)
            run = []
            for message in found:
                if message.seq != expected:
                    break
                run.append(message)
                expected -= 1
            run.reverse()
            names = _agent_names(session, {m.agent_id for m in run if m.agent_id})
        rows = tuple(MessageRow(m.id, m.sender, m.text, _time(m.created_at),
                                names.get(m.agent_id or "", ""), "sent") for m in run)
        seqs = tuple(m.seq for m in run)
        complete = bool(run) and (len(run) == limit or seqs[0] == 1)
        return LocalPage(rows, seqs, complete)

    def fetch_remote_page(self, conversation_id: str, before_seq: int | None,
                          limit: int) -> MessagePage | None:
        """HTTP, on a net worker: the server's page, or None when it cannot be reached
        (offline, failing, or something that is not the server answering)."""
        try:
            return self.fetch_older(conversation_id, before_seq, limit)
        except (NetworkError, ServerError, ProtocolError):
            return None

    def store_page(self, page: MessagePage) -> int:
        """On the DB worker: the rows go into the cache through the feed's own write path
        (version-checked upserts), so the next scroll-back and search find them locally."""
        changes = [Change(entity="message", op="upsert", id=str(m["id"]), data=m)
                   for m in page.messages if m.get("id")]
        if not changes:
            return 0
        with self.store.write() as session:
            apply_changes(session, changes, client_id=STORED_BY)
        return len(changes)

    def _rows(self, wire: Sequence[dict[str, Any]]) -> tuple[MessageRow, ...]:
        with self.store.read() as session:
            names = _agent_names(session, {str(m["agent_id"]) for m in wire if m.get("agent_id")})
        return tuple(MessageRow(str(m["id"]), str(m.get("sender") or ""), str(m.get("text") or ""),
                                _time(m.get("created_at")), names.get(m.get("agent_id") or "", ""),
                                "sent") for m in wire)


def _agent_names(session: Any, agent_ids: set[str]) -> dict[str, str]:
    if not agent_ids:
        return {}
    rows = session.execute(select(Record.id, Record.data).where(
        Record.entity == "agent", Record.id.in_(agent_ids))).all()
    return {rid: str((data or {}).get("name", "")) for rid, data in rows}

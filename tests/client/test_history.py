"""Scrolling back without limit: cache first, the server for the rest, offline says so (H3.1)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from app.models.tables import Message
from app.services.history import HistoryPage, HistoryService
from app.services.runtime import Runtime
from app.services.search import SearchQuery, SearchService
from app.sync.client import ApiClient
from kefu_protocol.wire import MessagePage
from server import models as m
from tests.support.api import VisitorClient
from tests.support.client_side import Desk, eventually
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

TOTAL = 450


def _text(seq: int) -> str:
    return f"历史消息{seq:03d}" + ("，我要退款" if seq % 50 == 0 else "")


@pytest.fixture()
def desk(server: ServerProcess, tmp_path: Path) -> Iterator[Desk]:
    d = Desk(server.url, tmp_path)
    yield d
    d.close()


def _long_conversation(server: ServerProcess, world: World, company_domain: str) -> str:
    """A customer's conversation with TOTAL messages on the server (seq 1..TOTAL)."""
    visitor = VisitorClient(server.url, "老顾客", company=company_domain)
    assert visitor.send("第一次来咨询").status_code == 200
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with world.db.write() as session:
        conv = session.get(m.Conversation, visitor.conversation_id)
        assert conv is not None
        first = (conv.message_count or 0) + 1
        for seq in range(first, TOTAL + 1):
            session.add(m.Message(id=str(uuid.uuid4()), conversation_id=conv.id, seq=seq,
                                  sender="customer" if seq % 2 else "agent",
                                  text=_text(seq),
                                  created_at=start + dt.timedelta(minutes=seq)))
        conv.message_count = TOTAL
    return visitor.conversation_id


def _seqs(runtime: Runtime, conversation_id: str) -> list[int]:
    with runtime.store.read() as session:
        return list(session.scalars(select(Message.seq).where(
            Message.conversation_id == conversation_id).order_by(Message.seq)))


def _keep_only(runtime: Runtime, desk: Desk, conversation_id: str, keep: set[int]) -> None:
    """A partial cache: as if this desk had only ever synced these messages."""
    def drop() -> None:
        with runtime.store.write() as session:
            session.execute(delete(Message).where(Message.conversation_id == conversation_id,
                                                  Message.seq.not_in(keep)))
    desk.workers.run_db(drop)


class Counting:
    """The server call HistoryService is given, counting what it asks for."""

    def __init__(self, runtime: Runtime, url: str) -> None:
        self.runtime = runtime
        self.client = ApiClient(url, read_timeout=10)
        self.calls: list[tuple[int | None, int]] = []

    def __call__(self, conversation_id: str, before: int | None, limit: int) -> MessagePage:
        self.calls.append((before, limit))
        return self.runtime.keeper.call(
            lambda token: self.client.messages_before(token, conversation_id, before, limit))


def _scroll_back(history: HistoryService, conversation_id: str,
                 limit: int = 100) -> list[HistoryPage]:
    pages = [history.page(conversation_id, None, limit)]
    while pages[-1].has_more:
        assert len(pages) < 50, "paging did not end"
        pages.append(history.page(conversation_id, pages[-1].oldest_seq, limit))
    return pages


def _texts_in_order(pages: list[HistoryPage]) -> list[str]:
    """Oldest first across all pages (each page is oldest first; pages go back in time)."""
    return [row.text for page in reversed(pages) for row in page.rows]


def test_paging_back_returns_every_message_once_in_order_down_to_the_first(
    server: ServerProcess, world: World, desk: Desk
) -> None:
    company = world.company()
    agent = world.agent(company)
    conversation_id = _long_conversation(server, world, company.domain)
    runtime = desk.sign_in(agent.account, PASSWORD)
    eventually(lambda: len(_seqs(runtime, conversation_id)) == TOTAL, timeout=30)
    # The cache holds the newest 120 and an island further back (a hole on both sides).
    _keep_only(runtime, desk, conversation_id, set(range(331, TOTAL + 1)) | set(range(100, 121)))
    fetch = Counting(runtime, server.url)
    history = HistoryService(runtime.store, fetch, run_db=desk.workers.run_db)

    pages = _scroll_back(history, conversation_id)
    with world.db.read() as session:
        expected = list(session.scalars(select(m.Message.text).where(
            m.Message.conversation_id == conversation_id).order_by(m.Message.seq)))
    assert len(expected) == TOTAL
    assert _texts_in_order(pages) == expected, "every message exactly once, oldest first"
    assert pages[-1].has_more is False and pages[-1].oldest_seq == 1
    assert all(len(p.rows) == 100 for p in pages[:-1]) and len(pages[-1].rows) == 50
    assert pages[0].fetched == 0, "the newest page came from the cache"
    assert fetch.calls[0] == (351, 100), "the cache ran short below 351: the server was asked"
    assert not any(p.remote_unavailable for p in pages)
    assert _seqs(runtime, conversation_id) == list(range(1, TOTAL + 1)), "pages were kept"

    again = Counting(runtime, server.url)
    second = _scroll_back(HistoryService(runtime.store, again, run_db=desk.workers.run_db),
                          conversation_id, limit=64)
    assert _texts_in_order(second) == expected and again.calls == [], "now all from the cache"
    found = SearchService(runtime.store).messages(SearchQuery(text="我要退款", limit=100))
    assert {h.text for h in found} == {_text(s) for s in range(50, TOTAL + 1, 50)}, \
        "fetched history is searchable locally"


def test_offline_the_cache_answers_and_says_the_rest_needs_the_network(
    server: ServerProcess, world: World, desk: Desk
) -> None:
    company = world.company()
    agent = world.agent(company)
    conversation_id = _long_conversation(server, world, company.domain)
    runtime = desk.sign_in(agent.account, PASSWORD)
    eventually(lambda: len(_seqs(runtime, conversation_id)) == TOTAL, timeout=30)
    _keep_only(runtime, desk, conversation_id, set(range(331, TOTAL + 1)) | set(range(1, 50)))
    history = HistoryService(runtime.store, Counting(runtime, server.url),
                             run_db=desk.workers.run_db)
    server.stop()
    try:
        newest = history.page(conversation_id, None, 100)
        assert [r.text for r in newest.rows] == [_text(s) for s in range(351, TOTAL + 1)]
        assert newest.has_more and not newest.remote_unavailable
        short = history.page(conversation_id, newest.oldest_seq, 100)
        assert [r.text for r in short.rows] == [_text(s) for s in range(331, 351)]
        assert short.remote_unavailable and short.has_more and short.oldest_seq == 331
        beyond = history.page(conversation_id, short.oldest_seq, 100)
        assert beyond.rows == () and beyond.remote_unavailable and beyond.has_more
        assert beyond.oldest_seq == 331, "the next try starts from the same place"
    finally:
        server.start()
    back = history.page(conversation_id, 331, 100)
    assert not back.remote_unavailable and back.fetched == 100
    assert [r.text for r in back.rows] == [_text(s) for s in range(231, 331)]

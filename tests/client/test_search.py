"""Local chat-record search: exact substring answers for 1-4+ characters, filters (H14.3, H9.3)."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, text

from app.models.store import MIGRATIONS, SEARCH_BATCH, Store, delete_all_messages, open_store
from app.models.tables import Message
from app.services import search as search_module
from app.services.search import SearchHit, SearchQuery, SearchService, fold
from app.sync.apply import apply_changes
from kefu_protocol.wire import Change, MessageSearchHit, MessageSearchPage

T0 = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
TEAM = str(uuid.UUID(int=1))

# Lines as customers and agents write them, with the short words the tests look for (退, 退款,
# 北京), Latin in mixed case, and every character that means something to LIKE or FTS5.
LINES = (
    "我要退款", "退款什么时候到账？", "退", "北京", "北京市朝阳区的地址能改吗", "寄到北京",
    "退货退款都可以", "已经帮您申请退款，请注意查收。", "这款支持七天无理由退换货", "好", "好的",
    "iPhone 15 的屏幕有划痕", "IPHONE15壳子", "iphone充电器", "AirPods Pro 连不上", "京东快递",
    "款式不对", "能开发票吗？", "今天能发货吗", "满300减40，优惠50%", 'a"b', "星号*也要",
    "100%正品",
    "下划线_不是通配", "反斜杠\\也是字符", "(括号) AND OR NOT NEAR", "^开头", "col:on", "-减号",
    "北京北京北京", "退款退款", "在吗", "您好，很高兴为您服务，请问有什么可以帮您？",
    "收件人王鑫，地址改到上海市浦东新区", "喆", "Ünïcödé ÄÖÜ", "äöü", "",
)
QUERIES = ("退", "退款", "北京", "京", "款", "好", "退款什么", "七天无理由退换货", "iphone",
           "IPHONE", "iPhone 15", "airpods pro", "Ä", "äö", "在吗", "您好，很高兴", "北京北京",
           "款退", "鑫", "喆", "不存在的词", "龘")
SPECIAL = ('"', "*", "%", "_", "\\", 'a"b', "50%", "*也", "_不", "AND", "OR", "NEAR",
           "(括号)", "^", "col:", "-减", "'", "''", '""', "\\也", "%正", "NOT NEAR")


@dataclass
class Cached:
    """What the test put in the cache, for brute-force answers."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    agents: list[str] = field(default_factory=list)
    tags: dict[str, str | None] = field(default_factory=dict)  # tag -> parent

    def expect(self, q: str, **filters: Any) -> list[str]:
        """Message ids containing q (case-insensitive) that pass the filters, newest first."""
        needle = fold(q.strip())
        found = [m for m in self.messages if needle in fold(m["text"])
                 and self.passes(m, **filters)]
        found.sort(key=lambda m: (m["created_at"], m["seq"]), reverse=True)
        return [m["id"] for m in found]

    def passes(self, m: dict[str, Any], *, agent_id: str | None = None,
               customer_id: str | None = None, since: dt.datetime | None = None,
               until: dt.datetime | None = None, tag_id: str | None = None) -> bool:
        conv = self.conversations[m["conversation_id"]]
        at = dt.datetime.fromisoformat(m["created_at"])
        if agent_id and conv["agent_id"] != agent_id and not any(
                x["agent_id"] == agent_id for x in self.messages
                if x["conversation_id"] == conv["id"]):
            return False
        if customer_id and conv["customer_id"] != customer_id:
            return False
        if (since and at < since) or (until and at >= until):
            return False
        return not tag_id or bool(self.subtree(tag_id)
                                  & set(self.customers[conv["customer_id"]]["tags"]))

    def subtree(self, tag_id: str) -> set[str]:
        found = {tag_id}
        while True:
            more = {t for t, parent in self.tags.items() if parent in found} - found
            if not more:
                return found
            found |= more


def _change(entity: str, data: dict[str, Any]) -> Change:
    return Change(entity=entity, op="upsert", id=data["id"], data=data)


def fill(store: Store, *, conversations: int = 60, seed: int = 5) -> Cached:
    """Customers with tags, agents, conversations and ~1,500 messages, through apply_changes
    (the feed's write path: the search index is kept by the cache's own triggers)."""
    rng = random.Random(seed)
    cached = Cached()
    ids = iter(uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(100_000))

    def new_id() -> str:
        return str(next(ids))

    top, mid, leaf, other = new_id(), new_id(), new_id(), new_id()
    cached.tags = {top: None, mid: top, leaf: mid, other: None}
    changes = [_change("tag", {"id": t, "parent_id": p, "name": f"tag{n}", "version": 1})
               for n, (t, p) in enumerate(cached.tags.items())]
    cached.agents = [new_id() for _ in range(4)]
    changes += [_change("agent", {"id": a, "name": f"客服{n}", "version": 1})
                for n, a in enumerate(cached.agents)]
    nicknames = ("小明", "小红", "北京老王", "Amy Chen", "AMY", "退款达人", "京京", "王鑫",
                 "50%折扣哥")
    for n, nickname in enumerate(nicknames):
        cid = new_id()
        tags = [[leaf], [mid], [other], [], [leaf, other]][n % 5]
        cached.customers[cid] = {"id": cid, "team_id": TEAM, "nickname": nickname,
                                 "vip_level": 0, "tags": tags, "version": 1,
                                 "created_at": T0.isoformat()}
        changes.append(_change("customer", cached.customers[cid]))
    customer_ids = list(cached.customers)
    clock = T0
    for n in range(conversations):
        conv_id = new_id()
        agent = cached.agents[n % len(cached.agents)] if n % 7 else None
        conv = {"id": conv_id, "team_id": TEAM, "customer_id": customer_ids[n % len(customer_ids)],
                "agent_id": agent, "state": "open" if n % 3 else "closed", "pinned": False,
                "order_no": "", "created_at": clock.isoformat(), "last_message_at": None,
                "last_message_text": "", "awaiting_reply_since": None, "version": 1}
        cached.conversations[conv_id] = conv
        changes.append(_change("conversation", conv))
        for seq in range(1, rng.randint(5, 45)):
            clock += dt.timedelta(seconds=rng.randint(1, 600))
            sender = rng.choice(("customer", "agent", "system"))
            writer = (agent or rng.choice(cached.agents)) if sender == "agent" else None
            line = rng.choice(LINES)
            if rng.random() < 0.3:
                line = line + rng.choice(LINES)
            message = {"id": new_id(), "conversation_id": conv_id, "seq": seq, "sender": sender,
                       "agent_id": writer, "text": line or "…", "created_at": clock.isoformat(),
                       "version": 1}
            cached.messages.append(message)
            changes.append(_change("message", message))
    rng.shuffle(changes)  # a bootstrap's order has nothing to do with time
    for start in range(0, len(changes), 400):
        with store.write() as session:
            apply_changes(session, changes[start:start + 400], client_id="test")
    return cached


@pytest.fixture()
def cache(tmp_path: Path) -> Iterator[tuple[Store, Cached]]:
    store = open_store(tmp_path / "cache.db")
    try:
        yield store, fill(store)
    finally:
        store.close()


@pytest.fixture(params=[7, 10**6], ids=["old-rows-via-vocabulary", "all-rows-tested-directly"])
def window(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """1-2 character queries test the newest RECENT_WINDOW rows directly and reach older ones
    through the index's vocabulary; both ways must give the same answers."""
    monkeypatch.setattr(search_module, "RECENT_WINDOW", request.param)
    return int(request.param)


def _ids(hits: list[SearchHit]) -> list[str]:
    return [h.message_id or "" for h in hits]


def test_1_2_and_longer_queries_give_exactly_the_substring_matches_newest_first(
    cache: tuple[Store, Cached], window: int
) -> None:
    """H9.3: Chinese is searched by substring; 退 / 退款 / 北京 are the short words that a
    trigram index alone answers wrongly on SQLite 3.40 (no rows below three characters)."""
    store, cached = cache
    service = SearchService(store)
    assert len(cached.messages) > 1000
    for q in QUERIES:
        expected = cached.expect(q)
        hits = service.messages(SearchQuery(text=q, limit=1000))
        assert _ids(hits) == expected, q
        for hit in hits:
            start, end = hit.highlight
            assert fold(hit.text[start:end]) == fold(q), (q, hit.text, hit.highlight)
    assert len(cached.expect("退")) > 100 and len(cached.expect("北京")) > 50
    with store.engine.connect() as conn:  # the pitfall the short path exists for
        naive = "SELECT count(*) FROM message_fts WHERE message_fts MATCH :q"
        assert conn.execute(text(naive), {"q": '"退款"'}).scalar_one() == 0
        assert conn.execute(text(naive), {"q": '"退款什么"'}).scalar_one() > 0


def test_limit_and_paging_return_the_newest_first_without_gaps(
    cache: tuple[Store, Cached], window: int
) -> None:
    store, cached = cache
    service = SearchService(store)
    for q in ("退", "退款", "北京", "七天无理由", ""):
        expected = cached.expect(q)
        seen: list[str] = []
        before: int | None = None
        while True:
            page = service.messages(SearchQuery(text=q, limit=37, before=before))
            if not page:
                break
            seen += _ids(page)
            before = page[-1].key
        assert seen == expected, q


def test_special_characters_match_literally_and_never_error(
    cache: tuple[Store, Cached], window: int
) -> None:
    store, cached = cache
    service = SearchService(store)
    for q in SPECIAL:
        assert _ids(service.messages(SearchQuery(text=q, limit=1000))) == cached.expect(q), q
        service.search(SearchQuery(text=q))  # customers too
    assert cached.expect('"') and cached.expect("%") and cached.expect("_")
    # U+0001 pads the index; in a query it is dropped, so it cannot match every message.
    assert service.messages(SearchQuery(text="好\x01")) == service.messages(SearchQuery(text="好"))


def test_customers_are_found_by_nickname_substring(cache: tuple[Store, Cached]) -> None:
    store, cached = cache
    service = SearchService(store)

    def names(q: str, **kw: Any) -> set[str]:
        return {h.customer_nickname for h in service.customers(SearchQuery(text=q, **kw))}

    assert names("小") == {"小明", "小红"}
    assert names("北京") == {"北京老王"}
    assert names("京") == {"北京老王", "京京"}
    assert names("amy") == {"Amy Chen", "AMY"}
    assert names("%") == {"50%折扣哥"} and names("_") == set() and names('"') == set()
    hits = service.customers(SearchQuery(text="王"))
    assert {h.customer_nickname for h in hits} == {"北京老王", "王鑫"}
    for hit in hits:
        conv = cached.conversations[hit.conversation_id or ""]
        assert conv["customer_id"] == hit.customer_id, "a customer hit opens their conversation"
    mixed = service.search(SearchQuery(text="京"))
    assert [h.kind for h in mixed[:2]] == ["customer", "customer"]
    assert {h.kind for h in mixed[2:]} == {"message"}


@pytest.mark.parametrize("narrow", [0, 10**9], ids=["through-the-index", "read-whole"])
def test_filters_narrow_and_combine(
    cache: tuple[Store, Cached], monkeypatch: pytest.MonkeyPatch, narrow: int, window: int
) -> None:
    """H14.3 advanced search: by agent, customer, time range, tag; both plans agree."""
    store, cached = cache
    monkeypatch.setattr(search_module, "NARROW_MAX", narrow)
    monkeypatch.setattr(search_module, "SMALL_SET", min(narrow, 1000))
    service = SearchService(store)
    customer = next(iter(cached.customers))
    top_tag = next(t for t, parent in cached.tags.items() if parent is None)
    times = sorted(dt.datetime.fromisoformat(m["created_at"]) for m in cached.messages)
    since, until = times[len(times) // 4], times[len(times) * 3 // 4]
    cases: list[dict[str, Any]] = [
        {"agent_id": cached.agents[1]},
        {"customer_id": customer},
        {"since": since},
        {"until": until},
        {"since": since, "until": until},
        {"tag_id": top_tag},  # the level-1 tag reaches customers tagged two levels below
        {"tag_id": top_tag, "agent_id": cached.agents[2], "since": since},
        {"customer_id": customer, "until": until, "agent_id": cached.agents[0]},
    ]
    for filters in cases:
        for q in ("退", "退款", "北京", "退款什么", "iphone", ""):
            expected = cached.expect(q, **filters)
            got = _ids(service.messages(SearchQuery(text=q, limit=1000, **filters)))
            assert got == expected[:1000], (q, filters)
            assert set(got) <= set(cached.expect(q)), "a filter only narrows"
    assert cached.expect("退", tag_id=top_tag) != cached.expect("退")


def test_edits_and_deletes_of_cached_messages_reach_the_index(tmp_path: Path) -> None:
    store = open_store(tmp_path / "cache.db")
    try:
        cached = fill(store, conversations=5)
        service = SearchService(store)
        target = next(m for m in cached.messages if "退款" in m["text"])
        edited = dict(target, text="已撤回的消息", version=2)
        with store.write() as session:
            apply_changes(session, [_change("message", edited)], client_id="test")
        target["text"] = edited["text"]
        assert target["id"] not in _ids(service.messages(SearchQuery(text="退款", limit=1000)))
        assert _ids(service.messages(SearchQuery(text="撤回"))) == [target["id"]]
        stale = dict(edited, text="旧版本不应覆盖", version=1)  # an older version is ignored
        with store.write() as session:
            apply_changes(session, [_change("message", stale)], client_id="test")
        assert _ids(service.messages(SearchQuery(text="旧版本"))) == []
        with store.write() as session:
            session.execute(delete(Message).where(Message.id == target["id"]))
        assert _ids(service.messages(SearchQuery(text="撤回"))) == []
        _index_ok(store)
        with store.write() as session:  # a reset empties the synced tables (engine._wipe_synced)
            session.execute(delete(Message))
        _index_ok(store)
        assert service.messages(SearchQuery(text="退")) == []
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM message_search")).scalar_one() == 0
    finally:
        store.close()


def _index_ok(store: Store) -> None:
    with store.engine.begin() as conn:  # raises if FTS5 finds its structure damaged
        conn.execute(text("INSERT INTO message_fts (message_fts) VALUES ('integrity-check')"))


def test_messages_waiting_for_the_index_are_found_edited_and_deleted_safely(
    tmp_path: Path, window: int
) -> None:
    """New rows enter the trigram index SEARCH_BATCH at a time; until then search reads them
    directly. Unindexing a row that never reached the index must not touch the index."""
    store = open_store(tmp_path / "cache.db")
    try:
        cached = fill(store, conversations=8)
        service = SearchService(store)
        conv = next(iter(cached.conversations))
        fresh = []
        for n in range(SEARCH_BATCH + 40):
            at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=n)
            fresh.append({"id": str(uuid.uuid4()), "conversation_id": conv, "seq": 1000 + n,
                          "sender": "customer", "agent_id": None,
                          "text": f"新词龘龘第{n}条" if n % 2 else f"普通第{n}条",
                          "created_at": at.isoformat(), "version": 1})

        def pending() -> set[str]:
            with store.engine.connect() as conn:
                return set(conn.execute(text(
                    "SELECT m.id FROM message_fts_pending p JOIN message_search s "
                    "ON s.key = p.key JOIN message m ON m.rowid = s.message_rowid")).scalars())

        waited = []
        for n, message in enumerate(fresh):  # one by one, as live traffic arrives
            with store.write() as session:
                apply_changes(session, [_change("message", message)], client_id="test")
            cached.messages.append(message)
            if n in (0, 1, 5, 99, SEARCH_BATCH + 10, SEARCH_BATCH + 39):
                waited.append(message["id"] in pending())
                for q in ("龘", "龘龘", "新词龘龘", "第"):
                    got = _ids(service.messages(SearchQuery(text=q, limit=1000)))
                    assert got == cached.expect(q)[:1000], (n, q)
        assert any(waited), "the newest rows were read before they were indexed"
        assert 0 < len(pending()) < SEARCH_BATCH
        assert fresh[1]["id"] not in pending(), "the first batch has entered the index"
        waiting = next(m for m in reversed(fresh) if m["id"] in pending() and "龘" in m["text"])
        indexed = fresh[1]
        for message, new_text in ((waiting, "改成了退款"), (indexed, "也改成了退款")):
            changed = dict(message, text=new_text, version=2)
            with store.write() as session:
                apply_changes(session, [_change("message", changed)], client_id="test")
            message["text"] = new_text
        gone = [fresh[3], next(m for m in reversed(fresh) if m["id"] in pending())]
        with store.write() as session:
            session.execute(delete(Message).where(Message.id.in_([m["id"] for m in gone])))
        cached.messages = [m for m in cached.messages if m not in gone]
        _index_ok(store)
        for q in ("龘", "龘龘", "新词龘龘", "退款", "改成了退", "第"):
            assert _ids(service.messages(SearchQuery(text=q, limit=1000))) == cached.expect(q)
        with store.write() as session:  # a reset, the fast way (engine._wipe_synced may use it)
            delete_all_messages(session)
        _index_ok(store)
        assert service.messages(SearchQuery(text="第")) == []
        with store.write() as session:
            apply_changes(session, [_change("message", fresh[0])], client_id="test")
        assert _ids(service.messages(SearchQuery(text="普通"))) == [fresh[0]["id"]]
    finally:
        store.close()


def _make_v2_cache(path: Path) -> None:
    """A cache as the previous release left it: schema v2, rows written without v3's triggers."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        MIGRATIONS[1](conn)
        MIGRATIONS[2](conn)
        conn.exec_driver_sql("PRAGMA user_version = 2")
    engine.dispose()


def test_a_v2_cache_migrates_and_finds_what_it_held_before(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    _make_v2_cache(path)
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("INSERT INTO customer (id, team_id, nickname, vip_level, version, data) "
                    "VALUES ('c1', 't', '北京老顾客', 0, 1, ?)", ('{"tags": ["vip"]}',))
        raw.execute("INSERT INTO conversation (id, team_id, customer_id, agent_id, state, "
                    "pinned, order_no, created_at, last_message_text, version, data, unread, "
                    "last_read_seq, draft) "
                    "VALUES ('v1', 't', 'c1', 'a1', 'open', 0, '', ?, '', 1, '{}', 0, 0, '')",
                    (T0.isoformat(),))
        raw.executemany(
            "INSERT INTO message (id, conversation_id, seq, sender, agent_id, text, created_at, "
            "version) VALUES (?, 'v1', ?, 'customer', NULL, ?, ?, 1)",
            [(f"m{n}", n, t, (T0 + dt.timedelta(minutes=n)).isoformat())
             for n, t in enumerate(("退", "我要退款", "寄到北京", "北京", "七天无理由退货"), 1)])
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
    raw.close()
    store = open_store(path)
    try:
        service = SearchService(store)

        def found(q: str, **kw: Any) -> list[str]:
            return _ids(service.messages(SearchQuery(text=q, **kw)))

        assert found("退") == ["m5", "m2", "m1"]
        assert found("退款") == ["m2"]
        assert found("北京") == ["m4", "m3"]
        assert found("无理由退") == ["m5"]
        assert found("退", tag_id="vip") == ["m5", "m2", "m1"]
        assert [h.customer_id for h in service.customers(SearchQuery(text="老顾"))] == ["c1"]
        new = {"id": "m6", "conversation_id": "v1", "seq": 6, "sender": "agent",
               "agent_id": "a1", "text": "退款已到账", "created_at":
               (T0 + dt.timedelta(hours=1)).isoformat(), "version": 1}
        with store.write() as session:
            apply_changes(session, [_change("message", new)], client_id="test")
        assert found("退款") == ["m6", "m2"]
    finally:
        store.close()


def test_server_results_become_hits_and_a_tag_filter_applies_locally(
    cache: tuple[Store, Cached],
) -> None:
    """History older than the cache is searched on the server (thin: the HTTP call is given)."""
    store, cached = cache
    service = SearchService(store)
    tagged = next(c for c, row in cached.customers.items() if row["tags"])
    plain = next(c for c, row in cached.customers.items() if not row["tags"])
    calls: list[dict[str, Any]] = []

    def search_messages(**kw: Any) -> MessageSearchPage:
        calls.append(kw)
        return MessageSearchPage(hits=[
            MessageSearchHit(message={"id": f"old{n}", "conversation_id": "x", "seq": n,
                                      "sender": "customer", "agent_id": None,
                                      "text": "很久以前的退款问题",
                                      "created_at": "2020-01-01T00:00:00+00:00"},
                             conversation_id="x", customer_id=customer,
                             customer_nickname="老客户")
            for n, customer in enumerate((tagged, plain))], next="cursor2")

    page = service.search_remote(search_messages, SearchQuery(text=" 退款 ", limit=20))
    assert calls[0]["q"] == "退款" and calls[0]["limit"] == 20 and calls[0]["before"] is None
    assert [h.message_id for h in page.hits] == ["old0", "old1"] and page.next == "cursor2"
    assert page.hits[0].text[slice(*page.hits[0].highlight)] == "退款"
    tag = cached.customers[tagged]["tags"][0]
    only = service.search_remote(search_messages, SearchQuery(text="退款", tag_id=tag), "cursor2")
    assert [h.customer_id for h in only.hits] == [tagged] and calls[-1]["before"] == "cursor2"

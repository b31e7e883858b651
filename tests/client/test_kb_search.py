"""Knowledge-base search and suggestions over the cache: exact 1/2/4-character Chinese (H9.3)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.models.store import Store, open_store
from app.services.knowledge import KbHit, KnowledgeService
from app.services.search import fold
from app.sync.apply import apply_changes
from kefu_protocol.wire import Change

CATEGORIES = ("物流", "售后", "支付", "商品", "活动")
WORDS = ("快递", "退款", "发货", "物流", "签收", "地址", "发票", "优惠券", "尺码", "颜色", "到账",
         "七天无理由", "退货", "换货", "保修", "iPhone", "AirPods", "质量", "包装", "运费")
FILL = "的了吗呢您好请问我们可以帮助处理申请查询时间天内已经没有到还在能否"
QUERIES = ("快", "递", "款", "的", "退款", "快递", "发票", "iphone", "AIRPODS", "七天无理由",
           "优惠券码", "查询时间", "尺码颜色", "没", "到账", "退货退款", "不存在的词", "Pods")


def _text(rnd: random.Random, words: int) -> str:
    parts = []
    for _ in range(words):
        parts.append(rnd.choice(WORDS) if rnd.random() < 0.4 else
                     "".join(rnd.choice(FILL) for _ in range(rnd.randint(1, 4))))
    return "".join(parts)


def kb_row(n: int, rnd: random.Random, version: int = 1, **over: Any) -> dict[str, Any]:
    """A kb_entry as the feed carries it (the server's to_wire)."""
    row = {"id": f"kb-{n:04d}", "company_id": "c1", "category": rnd.choice(CATEGORIES),
           "title": _text(rnd, 3), "body": _text(rnd, 20),
           "keywords": rnd.sample(WORDS, rnd.randint(0, 3)), "use_count": rnd.randint(0, 50),
           "version": version}
    row.update(over)
    return row


def put(store: Store, rows: list[dict[str, Any]], deletes: tuple[str, ...] = ()) -> None:
    changes = [Change(entity="kb_entry", op="upsert", id=r["id"], data=r) for r in rows]
    changes += [Change(entity="kb_entry", op="delete", id=i, data={}) for i in deletes]
    with store.write() as session:
        apply_changes(session, changes, client_id="test")


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[tuple[Store, list[dict[str, Any]]]]:
    store = open_store(tmp_path / "cache.db")
    rnd = random.Random(9)
    rows = [kb_row(n, rnd) for n in range(300)]
    rows[0].update(category="物流", title="快递几天能到", body="一般下单后48小时内发出。",
                   keywords=["快递", "到货", "几天"], use_count=5)
    rows[1].update(category="售后", title="怎么申请退款", body="在订单页点申请售后。",
                   keywords=["退款"], use_count=3)
    put(store, rows)
    yield store, rows
    store.close()


def brute(rows: list[dict[str, Any]], query: str, category: str | None = None) -> list[str]:
    """The ranking rule, spelled out: title, then keyword, then body match; use count, title."""
    needle = fold(query)
    ranked = []
    for r in rows:
        if category is not None and r["category"] != category:
            continue
        if needle in fold(r["title"]):
            rank = 0
        elif any(needle in fold(k) for k in r["keywords"]):
            rank = 1
        elif needle in fold(r["body"]):
            rank = 2
        else:
            continue
        ranked.append(((rank, -r["use_count"], r["title"], r["id"]), r["id"]))
    return [i for _, i in sorted(ranked)]


def test_search_matches_a_brute_force_scan_for_1_2_and_4_characters(filled: Any) -> None:
    store, rows = filled
    kb = KnowledgeService(store)
    for query in QUERIES:
        assert [h.id for h in kb.search(query, limit=200)] == brute(rows, query)[:200], query
        top = kb.search(query, limit=5)
        assert [h.id for h in top] == brute(rows, query)[:5], query
    assert kb.search("不存在的词") == ()
    assert len(brute(rows, "的")) > 20  # the common single character really is common


def test_hit_carries_the_entry_and_a_snippet_around_the_body_match(filled: Any) -> None:
    store, _ = filled
    kb = KnowledgeService(store)
    hit = kb.search("48小时")[0]
    assert isinstance(hit, KbHit)
    assert (hit.id, hit.category, hit.title, hit.use_count) == (
        "kb-0000", "物流", "快递几天能到", 5)
    start, end = hit.highlight
    assert hit.snippet[start:end] == "48小时"
    again = kb.entry("kb-0001")
    assert again is not None and again.title == "怎么申请退款"
    assert kb.entry("nope") is None


def test_category_filter_and_counts(filled: Any) -> None:
    store, rows = filled
    kb = KnowledgeService(store)
    for query in ("快递", "的", "退"):
        got = [h.id for h in kb.search(query, category="售后", limit=200)]
        assert got == brute(rows, query, "售后")
        assert all(h.category == "售后" for h in kb.search(query, category="售后"))
    counts = dict(kb.categories())
    assert counts == {c: sum(1 for r in rows if r["category"] == c) for c in CATEGORIES}
    assert [h.id for h in kb.search("", category="物流", limit=3)] == brute(
        rows, "", "物流")[:3]


def test_suggests_the_logistics_entry_for_a_parcel_question(tmp_path: Path) -> None:
    store = open_store(tmp_path / "cache.db")
    try:
        put(store, [
            {"id": "a", "category": "物流", "title": "快递几天能到", "body": "48小时内发货。",
             "keywords": ["快递", "物流", "几天"], "use_count": 1, "version": 1},
            {"id": "b", "category": "售后", "title": "如何退款", "body": "申请售后即可。",
             "keywords": ["退款"], "use_count": 90, "version": 1},
            {"id": "c", "category": "物流", "title": "修改收货地址", "body": "发货前可改。",
             "keywords": ["地址", "快递"], "use_count": 40, "version": 1},
        ])
        kb = KnowledgeService(store)
        assert [h.id for h in kb.suggest("我的快递三天了还没到")] == ["c", "a"]
        # two terms (快递, 几天) beat one with a higher use count
        assert [h.id for h in kb.suggest("快递要几天？")] == ["a", "c"]
        assert [h.id for h in kb.suggest("我想退款")] == ["b"]
        assert kb.suggest("你好") == ()
        assert [h.id for h in kb.suggest("快递", limit=1)] == ["c"]
    finally:
        store.close()


def test_updates_and_deletes_reach_search(filled: Any) -> None:
    store, rows = filled
    kb = KnowledgeService(store)
    assert "kb-0000" in {h.id for h in kb.search("快递几天")}
    changed = dict(rows[0], title="包裹派送时效", keywords=["包裹"], body="一般三天送达。",
                   version=2, use_count=500)
    put(store, [changed], deletes=("kb-0001",))
    assert "kb-0000" not in {h.id for h in kb.search("快递几天")}
    assert kb.search("包裹")[0].id == "kb-0000"
    assert "kb-0001" not in {h.id for h in kb.search("怎么申请退款")}
    assert kb.entry("kb-0001") is None
    rest = [changed, *rows[2:]]
    for query in ("包", "快递", "的"):
        assert [h.id for h in kb.search(query, limit=200)] == brute(rest, query)[:200]
    assert not kb.touched({"some-agent"})
    # a row re-sent at the same version is read again once a page names it (touched)
    put(store, [dict(changed, title="包裹多久送到")])
    assert kb.touched({"kb-0000", "some-agent"})
    assert kb.entry("kb-0000").title == "包裹多久送到"  # type: ignore[union-attr]

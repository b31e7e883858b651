"""Product search over 5,000 cached products and 50 promotions (H6, issue 8 goal: <= 20 ms).

    .venv/bin/python -m bench.product_bench [--products 5000] [--promotions 50] [--runs 200]

Fills a cache through the feed's apply (no server) with generated Chinese products (3-6 specs
each, a category, stock or none) and promotions (满减/折扣/赠品, whole shop or a few SKUs, past,
running and future windows), then measures, as the median and p95 over `runs` calls each:

1. search for 1-, 2- and 4-character Chinese queries (common, rare and absent ones), SKU
   prefixes and the empty query: the ordered ids of every match, as the 商品 tab's list asks;
2. the same with a category filter;
3. rows() for one 200-row block of the list's cache (what a scroll fetches);
4. detail() of one product (specs, stock, the offers in force) and promotions_now();
5. signature(), the count/rowid/version check the desk runs to catch rows it was not told of.

Prints one table (metric, median, p95, note) on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.models.store import Store, open_store
from app.services.products import ProductService
from app.sync.apply import apply_changes
from bench.kb_bench import timed
from kefu_protocol.wire import Change

GOAL_MS = 20.0
CATEGORIES = ("手机", "耳机", "手表", "厨房电器", "清洁电器", "男装", "女装", "鞋靴", "美妆",
              "食品")
PREFIXES = ("PH", "EP", "WT", "KC", "VC", "MN", "WM", "SH", "BT", "FD")
NOUNS = ("智能手机", "降噪耳机", "智能手表", "电饭煲", "扫拖机器人", "羽绒服", "连衣裙", "运动鞋",
         "精华液", "坚果礼盒", "保温杯", "空气炸锅", "蓝牙音箱", "双肩包", "卫衣")
ADJECTIVES = ("轻暖", "星耀", "声悦", "悦动", "臻味", "净界", "云朵", "极光", "青山", "晨曦",
              "暖阳")
SPECS = {"颜色": ("黑色", "白色", "冰川白", "曜石黑", "樱花粉", "深空灰"),
         "尺码": ("S", "M", "L", "XL", "XXL"), "容量": ("2L", "4L", "500ml", "1.5L"),
         "存储": ("8GB+256GB", "12GB+512GB"), "续航": ("8小时", "14天", "180分钟"),
         "材质": ("纯棉", "90%白鹅绒", "不锈钢", "真皮"),
         "产地": ("广东深圳", "浙江杭州", "福建泉州"),
         "保质期": ("12个月", "180天")}
QUERIES = {"1-char Chinese": ("黑", "机", "锅", "喆"),
           "2-char Chinese": ("手机", "羽绒", "白色", "乌龙"),
           "4-char Chinese": ("智能手表", "降噪耳机", "广东深圳", "不存在的"),
           "SKU prefix": ("PH-", "ep-0")}
"""SKU queries also take one product's SKU cut to 8 characters and whole, lower-cased."""
FILTERED = ("黑", "手机", "智能手表", "PH-")


def products(n: int, seed: int = 6) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        k = rnd.randrange(len(CATEGORIES))
        keys = rnd.sample(sorted(SPECS), rnd.randint(3, 6))
        specs = {key: rnd.choice(SPECS[key]) for key in keys}
        rows.append({
            "id": f"p-{i:05d}", "company_id": "c1",
            "sku": f"{PREFIXES[k]}-{i:05d}-{rnd.choice('SMLX')}",
            "name": f"{rnd.choice(ADJECTIVES)} {rnd.choice(NOUNS)} {i % 97}号",
            "category": CATEGORIES[k], "price_cents": rnd.randint(990, 999_900),
            "stock": None if rnd.random() < 0.2 else rnd.randint(0, 500), "specs": specs,
            "promotion": rnd.choice(("", "满300减40", "第二件半价", "赠原装表带")), "version": 1})
    return rows


def promotions(n: int, skus: list[str], seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(n):
        kind = ("满减", "折扣", "赠品")[i % 3]
        start = now + dt.timedelta(days=rnd.randint(-30, 5))
        rows.append({
            "id": f"promo-{i:03d}", "company_id": "c1", "name": f"活动{i}", "kind": kind,
            "rule": f"活动{i}：满300减40，可与店铺券叠加", "threshold_cents": 30000,
            "discount_cents": 4000, "percent_off": 10 if kind == "折扣" else 0,
            "skus": [] if i % 5 == 0 else rnd.sample(skus, rnd.randint(1, 40)),
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(days=rnd.randint(1, 40))).isoformat(), "version": 1})
    return rows


def fill(store: Store, entity: str, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 1000):
        with store.write() as session:
            apply_changes(session, [Change(entity=entity, op="upsert", id=r["id"], data=r)
                                    for r in rows[start:start + 1000]], client_id="bench")


def measure(service: ProductService, items: list[dict[str, Any]],
            runs: int) -> list[tuple[str, list[float], str]]:
    results: list[tuple[str, list[float], str]] = []
    sku = str(items[len(items) // 2]["sku"])
    for label, queries in QUERIES.items():
        if label == "SKU prefix":
            queries = (*queries, sku[:8], sku.lower())
        calls: list[Callable[[], object]] = [
            (lambda q=q: service.search(q)) for q in queries]  # type: ignore[misc]
        hits = [len(service.search(q)) for q in queries]
        results.append((f"search, {label}", timed(calls, runs),
                        "hits " + "/".join(str(h) for h in hits)))
    results.append(("search, empty (the whole list)", timed([service.search], runs),
                    f"{len(service.search())} ids by name"))
    filtered: list[Callable[[], object]] = [
        (lambda q=q: service.search(q, category="手机")) for q in FILTERED]  # type: ignore[misc]
    results.append(("search, category filter", timed(filtered, runs), "1/2/4 chars, SKU"))
    everything = service.search("")
    blocks: list[Callable[[], object]] = [
        (lambda s=s: service.rows(everything[s:s + 200]))  # type: ignore[misc]
        for s in range(0, len(everything), 1000)]
    results.append(("rows(), one 200-row block", timed(blocks, runs), "the list's row cache"))
    details: list[Callable[[], object]] = [
        (lambda i=r["id"]: service.detail(i)) for r in items[:50]]  # type: ignore[misc]
    results.append(("detail() with offers in force", timed(details, runs), "50 promotions"))
    results.append(("promotions_now()", timed([service.promotions_now], runs),
                    f"{len(service.promotions_now())} in force"))
    results.append(("signature(), the change check", timed([service.signature], runs),
                    "on the tab, a conversation, the clock"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--promotions", type=int, default=50)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="product_bench_"))
    store = open_store(root / "cache.db")
    try:
        items = products(args.products)
        t0 = time.perf_counter()
        fill(store, "product", items)
        fill(store, "promotion", promotions(args.promotions, [r["sku"] for r in items]))
        print(f"filled {len(items)} products in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        results = measure(ProductService(store), items, args.runs)
        print(f"\nProduct bench: {args.products} products, {args.promotions} promotions, "
              f"{args.runs} runs (goal median <= {GOAL_MS:.0f} ms)\n")
        print(f"{'metric':34} {'median ms':>10} {'p95 ms':>8}  note")
        for name, times, note in results:
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
            print(f"{name:34} {statistics.median(times):10.2f} {p95:8.2f}  {note}")
    finally:
        store.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

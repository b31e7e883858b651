"""The shop import at scale (issue 8): a generated 100,000-order CSV into SQLite and PostgreSQL.

    .venv/bin/python -m bench.import_bench [--orders 100000] [--promotions 2000] [--db sqlite,…]

For each database: a fresh migrated schema with one company and team, then
1. the first import: the catalogue (500 products, then promotions naming them, H6), then every
   order, its new customers and their feed rows;
2. the same files again (every row compared, nothing written: the idempotent re-import).
PostgreSQL runs only if a private cluster can be started the way the tests do it.
Prints one table (database, pass, rows, seconds, rows/s) on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from kefu_protocol.shop import ORDER_TRANSITIONS, PROMOTION_KINDS
from server import models as m
from server.db import open_database
from server.migrate import upgrade
from server.shop_import import import_files

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_PAYMENTS = ("支付宝", "微信支付", "银行卡", "花呗")
_CATEGORIES = ("手机数码", "家用电器", "服饰", "家居日用", "食品", "美妆护肤")
_PRODUCTS = 500


@dataclass(frozen=True)
class Result:
    database: str
    label: str
    rows: int
    seconds: float


def write_orders(path: Path, orders: int, customers: int) -> None:
    """A realistic orders.csv (UTF-8 with BOM, key=value lines)."""
    rng = random.Random(8)
    statuses = list(ORDER_TRANSITIONS)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["order_no", "customer", "status", "total", "payment_method", "address",
                      "lines", "created_at"])
        for n in range(orders):
            cents = rng.randint(990, 99900)
            out.writerow([
                f"DD{20240000000 + n}", f"{rng.choice(_SURNAMES)}顾客{rng.randrange(customers)}",
                rng.choice(statuses), f"{cents // 100}.{cents % 100:02d}", rng.choice(_PAYMENTS),
                f"浙江省杭州市西湖区文三路{rng.randint(1, 999)}号",
                f"SKU{rng.randint(1, 500):04d}={rng.randint(1, 3)};SKU{rng.randint(1, 500):04d}=1",
                f"2024-06-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00+08:00",
            ])


def write_catalogue(products: Path, promotions: Path, count: int) -> None:
    """products.csv (the SKUs the orders name) and `count` promotions of every kind."""
    rng = random.Random(6)
    with products.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["sku", "name", "category", "price", "stock", "specs"])
        for n in range(1, _PRODUCTS + 1):
            stock = rng.choice(("", str(rng.randint(0, 500))))
            out.writerow([f"SKU{n:04d}", f"商品{n}", rng.choice(_CATEGORIES),
                          f"{rng.randint(9, 4999)}.00", stock, f"颜色=黑;尺码={n % 5 + 1}"])
    with promotions.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["name", "kind", "rule", "threshold", "discount", "percent_off", "skus",
                      "starts_at", "ends_at"])
        for n in range(count):
            kind = PROMOTION_KINDS[n % len(PROMOTION_KINDS)]
            skus = ";".join(f"SKU{rng.randint(1, _PRODUCTS):04d}" for _ in range(rng.randint(0, 3)))
            day = rng.randint(1, 20)
            out.writerow([f"活动{n}", kind, f"第{n}号活动", "300" if kind == "满减" else "",
                          "40" if kind == "满减" else "", "10" if kind == "折扣" else "", skus,
                          f"2024-06-{day:02d}T00:00:00", f"2024-06-{day + 7:02d}T00:00:00"])


def run(database: str, url: str, files: list[Path], orders: int, promotions: int
        ) -> list[Result]:
    db = open_database(url)
    upgrade(db)
    with db.write() as session:
        company_id = str(uuid.uuid4())
        session.add(m.Company(id=company_id, domain="bench.test", name="压测店铺"))
        session.flush()
        session.add(m.Team(id=str(uuid.uuid4()), company_id=company_id, name="售前组",
                           receives_visitors=True))
    results = []
    catalogue, path = files[:2], files[2]
    for label in ("first import", "re-import (unchanged)"):
        print(f"{database}: {label}…", file=sys.stderr)
        started = time.perf_counter()
        report = import_files(db, catalogue, company="bench.test")
        seconds = time.perf_counter() - started
        counts = report.counts["promotions"]
        assert counts.created + counts.unchanged == promotions, "nothing updated"
        results.append(Result(database, f"catalogue {label.split(' ')[0]}",
                              _PRODUCTS + promotions, seconds))
        started = time.perf_counter()
        report = import_files(db, [path], company="bench.test")
        seconds = time.perf_counter() - started
        counts = report.counts["orders"]
        assert counts.created + counts.updated + counts.unchanged == orders
        results.append(Result(database, label, orders, seconds))
    db.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--promotions", type=int, default=2000)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="kefu-import-bench-"))
    results: list[Result] = []
    try:
        files = [directory / name for name in ("products.csv", "promotions.csv", "orders.csv")]
        write_catalogue(files[0], files[1], args.promotions)
        write_orders(files[2], args.orders, args.customers)
        if "sqlite" in args.db:
            results += run("sqlite", f"sqlite:///{directory / 'bench.db'}", files, args.orders,
                           args.promotions)
        if "postgresql" in args.db:
            results += _postgresql(files, args.orders, args.promotions)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"{'database':<11} {'pass':<22} {'rows':>8} {'seconds':>8} {'rows/s':>8}")
    for r in results:
        print(f"{r.database:<11} {r.label:<22} {r.rows:>8} {r.seconds:>8.2f} "
              f"{r.rows / r.seconds:>8.0f}")
    return 0


def _postgresql(files: list[Path], orders: int, promotions: int) -> list[Result]:
    from tests.support.pg import PgCluster

    try:
        cluster = PgCluster()
        cluster.start()
    except (RuntimeError, OSError) as exc:
        print(f"postgresql skipped: {exc}", file=sys.stderr)
        return []
    try:
        return run("postgresql", cluster.new_database(), files, orders, promotions)
    finally:
        cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())

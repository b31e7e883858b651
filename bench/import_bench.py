"""The shop import at scale (issue 8): a generated 100,000-order CSV into SQLite and PostgreSQL.

    .venv/bin/python -m bench.import_bench [--orders 100000] [--db sqlite,postgresql]

For each database: a fresh migrated schema with one company and team, then
1. the first import (every order, its new customers and their feed rows are created);
2. the same file again (every row compared, nothing written: the idempotent re-import).
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

from kefu_protocol.shop import ORDER_TRANSITIONS
from server import models as m
from server.db import open_database
from server.migrate import upgrade
from server.shop_import import import_files

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_PAYMENTS = ("支付宝", "微信支付", "银行卡", "花呗")


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


def run(database: str, url: str, path: Path, orders: int) -> list[Result]:
    db = open_database(url)
    upgrade(db)
    with db.write() as session:
        company_id = str(uuid.uuid4())
        session.add(m.Company(id=company_id, domain="bench.test", name="压测店铺"))
        session.flush()
        session.add(m.Team(id=str(uuid.uuid4()), company_id=company_id, name="售前组",
                           receives_visitors=True))
    results = []
    for label in ("first import", "re-import (unchanged)"):
        print(f"{database}: {label}…", file=sys.stderr)
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
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="kefu-import-bench-"))
    results: list[Result] = []
    try:
        path = directory / "orders.csv"
        write_orders(path, args.orders, args.customers)
        if "sqlite" in args.db:
            results += run("sqlite", f"sqlite:///{directory / 'bench.db'}", path, args.orders)
        if "postgresql" in args.db:
            results += _postgresql(path, args.orders)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"{'database':<11} {'pass':<22} {'rows':>8} {'seconds':>8} {'rows/s':>8}")
    for r in results:
        print(f"{r.database:<11} {r.label:<22} {r.rows:>8} {r.seconds:>8.1f} "
              f"{r.rows / r.seconds:>8.0f}")
    return 0


def _postgresql(path: Path, orders: int) -> list[Result]:
    from tests.support.pg import PgCluster

    try:
        cluster = PgCluster()
        cluster.start()
    except (RuntimeError, OSError) as exc:
        print(f"postgresql skipped: {exc}", file=sys.stderr)
        return []
    try:
        return run("postgresql", cluster.new_database(), path, orders)
    finally:
        cluster.stop()


if __name__ == "__main__":
    raise SystemExit(main())

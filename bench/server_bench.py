"""Server benchmarks over loopback HTTP on SQLite and PostgreSQL; prints one table.

    .venv/bin/python -m bench.server_bench [--messages 1000] [--backlog 100000] [--pushes 2000]

Measures: customer message -> agent long-poll return (p50/p99), pull throughput on a backlog
(changes/s), push throughput (mutations/s). Medians of noisy machines: run it twice.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert

from server import models as m
from tests.support.api import AgentClient, VisitorClient
from tests.support.pg import PgCluster
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


@dataclass
class Row:
    database: str
    metric: str
    value: str


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def delivery_latency(server: ServerProcess, world: World, count: int) -> list[float]:
    """Seconds from the customer's POST to the agent's long-poll returning with the message."""
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    visitor = VisitorClient(server.url, "压测顾客", company=company.domain)
    agent.pull_all()
    seen: dict[str, float] = {}
    arrived = threading.Condition()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            body = agent.pull(wait=5)
            now = time.perf_counter()
            with arrived:
                for change in body["changes"]:
                    if change["entity"] == "message":
                        seen.setdefault(change["data"]["text"], now)
                arrived.notify_all()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    time.sleep(0.3)
    latencies = []
    for i in range(count):
        text = f"压测消息 {i} {uuid.uuid4().hex[:6]}"
        started = time.perf_counter()
        assert visitor.send(text).status_code == 200
        with arrived:
            arrived.wait_for(lambda t=text: t in seen, timeout=10)
        latencies.append(seen[text] - started)
    stop.set()
    poller.join(timeout=10)
    return latencies


def pull_throughput(server: ServerProcess, world: World, backlog: int) -> float:
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    agent.pull_all()
    scope = f"team:{company.team_id}"
    rows = [{"scope": scope, "entity": "message", "entity_id": str(uuid.uuid4()), "op": "upsert",
             "data": {"text": "积压的消息" * 4, "n": i}, "created_at": m.utcnow()}
            for i in range(backlog)]
    step = 5000
    for start in range(0, backlog, step):
        with world.db.write() as session:
            if world.db.kind == "sqlite":
                xid = start + 1
                chunk = [{**r, "xid": xid} for r in rows[start:start + step]]
            else:
                chunk = rows[start:start + step]
            session.execute(insert(m.ChangeLog), chunk)
    started = time.perf_counter()
    received = 0
    while True:
        body = agent.pull(limit=5000)
        received += len(body["changes"])
        if body["up_to_date"]:
            break
    elapsed = time.perf_counter() - started
    assert received >= backlog, (received, backlog)
    return received / elapsed


def push_throughput(server: ServerProcess, world: World, count: int) -> float:
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    visitor = VisitorClient(server.url, "压测顾客", company=company.domain)
    mutations = [agent.mutation("message.send", id=str(uuid.uuid4()),
                                conversation_id=visitor.conversation_id, text=f"回复 {i}")
                 for i in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 100):
        results = agent.push(*mutations[start:start + 100])
        assert all(r["status"] == "applied" for r in results)
    return count / (time.perf_counter() - started)


def run(database: str, url: str, args: argparse.Namespace) -> list[Row]:
    server = ServerProcess(url, demo=False).start()
    world = World(url)
    try:
        latencies = delivery_latency(server, world, args.messages)
        pulled = pull_throughput(server, world, args.backlog)
        pushed = push_throughput(server, world, args.pushes)
    finally:
        world.close()
        server.stop()
    ms = [x * 1000 for x in latencies]
    return [
        Row(database, f"customer msg -> agent long-poll p50 ({args.messages} msgs)",
            f"{statistics.median(ms):.1f} ms"),
        Row(database, f"customer msg -> agent long-poll p99 ({args.messages} msgs)",
            f"{_percentile(ms, 0.99):.1f} ms"),
        Row(database, f"pull throughput, {args.backlog} change backlog",
            f"{pulled:,.0f} changes/s"),
        Row(database, f"push throughput, {args.pushes} message.send", f"{pushed:,.0f} mutations/s"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    if "sqlite" in args.db:
        directory = Path(tempfile.mkdtemp(prefix="kefu-bench-"))
        rows += run("sqlite", f"sqlite:///{directory / 'bench.db'}", args)
    if "postgresql" in args.db:
        cluster = PgCluster()
        cluster.start()
        try:
            rows += run("postgresql", cluster.new_database(), args)
        finally:
            cluster.stop()
    width = max(len(r.metric) for r in rows)
    print(f"{'database':<11} {'metric':<{width}}  value")
    for r in rows:
        print(f"{r.database:<11} {r.metric:<{width}}  {r.value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

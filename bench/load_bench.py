"""Load run over loopback on PostgreSQL: many agents long-polling, customers sending; one table.

    .venv/bin/python -m bench.load_bench [--agents 1000] [--team-size 20] [--rate 100]
        [--seconds 60] [--servers 1,2] [--search 5,10,20,35,50,75,100,150,200] [--step-seconds 15]
        [--idle-seconds 5] [--recheck SECONDS]

For each server count: seeds a fresh database (companies of one team of --team-size agents),
starts the server processes, logs every agent in through the API, and runs --rate customer
messages/s for --seconds (after --idle-seconds of long-polls alone, to show their cost); with
one server it first steps up through the --search rates (stopping at the first that fails) to
find the highest rate meeting the goal: p99 delivery <= 500 ms and no errors. Delivery latency
is per (message, agent of the owning team) pair: from the customer's POST being sent to that
agent's pull answer carrying it being parsed (bench/load_gen.py);
"1st99" is the p99 to the first agent of the team. "got/s" is the rate the customers achieved.
CPU is % of one core (median/max of 1 s samples); RSS in MB. Memory samples go to --samples.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.load_gen import LoadGen, StepStats
from bench.load_setup import (
    Sampler,
    ServerSet,
    TeamSeed,
    cpu_summary,
    rss_slope_mb_per_min,
    seed,
)
from tests.support.pg import PgCluster

GOAL_P99_S = 0.5
_SETTLE_S = 3.0  # quiet time between steps


@dataclass
class Outcome:
    servers: int
    label: str
    stats: StepStats
    server_cpu: list[tuple[float, float]]  # per server (median, max)
    generator_cpu: float  # median
    rss: list[tuple[float, float, float]]  # per server (start, middle, end)
    rss_slope: list[float]  # per server MB/min

    @property
    def passed(self) -> bool:
        return meets_goal(self.stats)


def meets_goal(s: StepStats) -> bool:
    """No errors, the customers got their rate, p99 delivery within the goal."""
    return (s.error_count == 0 and s.achieved_rate >= 0.95 * s.rate
            and bool(s.latencies) and percentile(s.latencies, 0.99) <= GOAL_P99_S)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _outcome(servers: int, label: str, stats: StepStats, sampler: Sampler) -> Outcome:
    samples = sampler.between(stats.started, stats.ended)
    count = len(sampler.pids) - 1  # the last watched process is the generator itself
    rss = []
    for i in range(count):
        series = [s.rss_mb[i] for s in samples] or [0.0]
        rss.append((series[0], series[len(series) // 2], series[-1]))
    return Outcome(
        servers, label, stats,
        server_cpu=[cpu_summary(samples, i) for i in range(count)],
        generator_cpu=cpu_summary(samples, count)[0],
        rss=rss, rss_slope=[rss_slope_mb_per_min(samples, i) for i in range(count)],
    )


async def drive(urls: list[str], seeds: list[TeamSeed], plan: list[tuple[str, float, float]], *,
                wait: float = 20.0) -> list[tuple[str, StepStats]]:
    """Runs the (label, rate, seconds) steps in order; a 'search' step that fails ends the
    search steps after it."""
    gen = LoadGen(urls, seeds, wait=wait)
    results: list[tuple[str, StepStats]] = []
    try:
        await gen.start()
        searching = True
        for label, rate, seconds in plan:
            if label == "search" and not searching:
                continue
            if results:
                await asyncio.sleep(_SETTLE_S)
            stats = await gen.step(rate, seconds)
            results.append((label, stats))
            if label == "search" and not meets_goal(stats):
                searching = False
    finally:
        await gen.stop()
    return results


def run_config(cluster: PgCluster, servers: int, args: argparse.Namespace,
               samples_out: Path) -> list[Outcome]:
    url = cluster.new_database()
    seeds = seed(url, teams=args.agents // args.team_size, per_team=args.team_size)
    plan: list[tuple[str, float, float]] = [("idle", 0.0, args.idle_seconds)]
    if servers == 1 and args.search:  # ascending, before the steady run can leave a backlog
        plan += [("search", float(r), args.step_seconds) for r in args.search.split(",")]
    plan.append(("steady", args.rate, args.seconds))
    with ServerSet(url, servers, recheck_s=args.recheck) as server_set:
        with Sampler([*server_set.pids, os.getpid()]) as sampler:
            results = asyncio.run(drive(server_set.urls, seeds, plan))
        with samples_out.open("a") as out:
            for s in sampler.samples:
                cols = ",".join(f"{c:.0f},{r:.1f}" for c, r in zip(s.cpu, s.rss_mb, strict=True))
                out.write(f"{servers},{s.at:.1f},{cols}\n")
    return [_outcome(servers, label, stats, sampler) for label, stats in results]


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.0f}"


def print_table(outcomes: list[Outcome]) -> None:
    header = (f"{'srv':>3} {'step':<6} {'rate':>5} {'got/s':>6} {'sent':>6} {'deliv':>6} "
              f"{'err':>4} {'p50ms':>6} {'p99ms':>6} {'maxms':>6} {'1st99':>6} "
              f"{'cpu% med/max per server':<24} {'gen%':>5} {'RSS MB start>mid>end (slope/min)'}")
    print(header)
    for o in outcomes:
        s = o.stats
        cpu = " ".join(f"{med:.0f}/{top:.0f}" for med, top in o.server_cpu)
        rss = " ".join(f"{a:.0f}>{b:.0f}>{c:.0f}({k:+.1f})"
                       for (a, b, c), k in zip(o.rss, o.rss_slope, strict=True))
        print(f"{o.servers:>3} {o.label:<6} {s.rate:>5.0f} {s.achieved_rate:>6.1f} {s.sent:>6} "
              f"{s.delivered:>6} {s.error_count:>4} {_ms(s.latencies, 0.5):>6} "
              f"{_ms(s.latencies, 0.99):>6} {_ms(s.latencies, 1.0):>6} "
              f"{_ms(s.first_seen, 0.99):>6} {cpu:<24} {o.generator_cpu:>5.0f} {rss}"
              f"{'' if o.passed or o.label == 'idle' else '  FAIL'}")
        if s.errors:
            print(f"      errors: {dict(s.errors)}; missed {s.missed}")
    searched = [o for o in outcomes if o.label == "search"]
    if searched:
        best = max((o.stats.rate for o in searched if o.passed), default=None)
        print(f"highest passing rate (1 server): {best if best is None else f'{best:.0f}'} msg/s")
    print(f"goal: p99 <= {GOAL_P99_S * 1000:.0f} ms, zero errors (non-2xx, timeouts, missed)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--team-size", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--servers", default="1,2", help="server counts to run, e.g. 1 or 1,2")
    parser.add_argument("--search", default="5,10,20,35,50,75,100,150,200",
                        help="rates for the search with one server ('' to skip)")
    parser.add_argument("--step-seconds", type=float, default=15.0)
    parser.add_argument("--idle-seconds", type=float, default=5.0,
                        help="first, every agent long-polling and no customer (server CPU)")
    parser.add_argument("--recheck", type=float, default=None,
                        help="the servers' KEFU_POLL_RECHECK_S (default: the server's own)")
    parser.add_argument("--samples", type=Path,
                        default=Path(tempfile.gettempdir()) / "kefu-load-samples.csv")
    args = parser.parse_args(argv)
    args.samples.write_text("servers,at_s,(cpu%,rss_mb) per server then generator\n")
    cluster = PgCluster()
    cluster.start()
    outcomes: list[Outcome] = []
    try:
        for count in (int(c) for c in args.servers.split(",")):
            outcomes += run_config(cluster, count, args, args.samples)
    finally:
        cluster.stop()
    print_table(outcomes)
    print(f"CPU/RSS samples every 1 s: {args.samples}")
    medians = [statistics.median(o.stats.latencies) for o in outcomes if o.stats.latencies]
    return 0 if medians else 1


if __name__ == "__main__":
    raise SystemExit(main())

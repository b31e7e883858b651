"""kill -9 at each stage, many times: the cache opens, the outbox is intact, nothing doubles.

    .venv/bin/python -m bench.kill_bench [--runs 50] [--stages after-enqueue,mid-push,...]
        [--backend sqlite|postgresql]

Each run: a fresh agent and customer; a client process queues one reply and kills itself
(after-enqueue: committed locally; after-push: the server applied it, the answer unrecorded;
mid-push: at a random 0-40 ms into the push request; mid-apply: inside the transaction applying
a pulled page); a new desk opens the same profile and flushes. A run is intact when the process
died of SIGKILL, the cache opened without being set aside as damaged, the customer received the
reply exactly once and the desk shows it sent. `flush s`: from the restarted desk signing in
to its outbox being empty.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path


def main() -> int:
    from tests.support.client_proc import STAGES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()

    from tests.support.kill_run import KillOutcome, kill_and_restart
    from tests.support.pg import PgCluster
    from tests.support.server_proc import ServerProcess
    from tests.support.world import World

    cluster = PgCluster() if args.backend == "postgresql" else None
    if cluster is not None:
        cluster.start()
        url = cluster.new_database()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='kefu-kill-bench-')) / 'server.db'}"
    server = ServerProcess(url).start()
    world = World(url)
    failures: list[KillOutcome] = []
    rows = []
    try:
        for stage in args.stages.split(","):
            outcomes = []
            for i in range(args.runs):
                root = Path(tempfile.mkdtemp(prefix=f"kefu-kill-{stage}-"))
                outcome = kill_and_restart(server.url, world, root, stage)
                outcomes.append(outcome)
                if not outcome.intact:
                    failures.append(outcome)
                print(f"  {stage} {i + 1}/{args.runs}: {'ok' if outcome.intact else outcome}",
                      file=sys.stderr, flush=True)
            rows.append((stage, len(outcomes), sum(o.killed for o in outcomes),
                         sum(o.opened_clean for o in outcomes),
                         sum(o.delivered == 1 for o in outcomes),
                         sum(o.delivered > 1 for o in outcomes),
                         sum(o.delivered == 0 for o in outcomes),
                         statistics.median(o.seconds for o in outcomes),
                         statistics.median(o.flush_seconds for o in outcomes)))
    finally:
        world.close()
        server.stop()
        if cluster is not None:
            cluster.stop()
    print(f"\nkill -9 matrix on {args.backend} ({args.runs} runs per stage)")
    print(f"{'stage':<14}{'runs':>6}{'killed':>8}{'opened':>8}{'once':>6}{'dup':>5}"
          f"{'lost':>6}{'run s':>7}{'flush s':>9}  (medians)")
    for stage, runs, killed, opened, once, dup, lost, median, flush in rows:
        print(f"{stage:<14}{runs:>6}{killed:>8}{opened:>8}{once:>6}{dup:>5}{lost:>6}"
              f"{median:>7.1f}{flush:>9.2f}")
    for outcome in failures:
        print(f"NOT INTACT: {outcome}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

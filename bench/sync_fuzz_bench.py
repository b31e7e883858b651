"""Sync under faults at length (issue 9): the model-based test's machine, run seed after seed
until thousands of operations have gone through desks, faults, kill -9 and server restarts.

    .venv/bin/python -m bench.sync_fuzz_bench [--ops 3000] [--backend sqlite|postgresql|both]
        [--steps 50] [--examples 5] [--seed N]

Prints one table a backend: operations by kind, faults injected by kind, anomalies (each with
the seed that replays it: KEFU_SYNC_SEED=<seed> KEFU_SYNC_STEPS=<steps>
KEFU_SYNC_EXAMPLES=<examples> with the test).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.pg import PgCluster
from tests.support.server_proc import ServerProcess
from tests.support.sync_model import Tally, run_model
from tests.support.world import World

BOOKKEEPING = ("quiescence check", "visibly rejected")
"""Counted in the tally, but not operations the model drove."""


@contextlib.contextmanager
def _database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{Path(tempfile.mkdtemp(prefix='kefu-fuzz-')) / 'server.db'}"
        return
    cluster = PgCluster()
    cluster.start()
    try:
        yield cluster.new_database()
    finally:
        cluster.stop()


def _operations(tally: Tally) -> int:
    return sum(n for kind, n in tally.operations.items() if kind not in BOOKKEEPING)


def fuzz(backend: str, ops: int, steps: int, examples: int,
         first_seed: int) -> tuple[Tally, list[int], float]:
    tally = Tally()
    seeds: list[int] = []
    started = time.perf_counter()
    with _database(backend) as url:
        server = ServerProcess(url).start()
        world = World(url)
        try:
            run_seed = first_seed
            while _operations(tally) < ops:
                seeds.append(run_seed)
                try:
                    run_model(server, world, run_seed, examples=examples, steps=steps,
                              tally=tally)
                except Exception as exc:  # an anomaly is a result to report
                    tally.anomalies.append(f"seed {run_seed}: {type(exc).__name__}: "
                                           f"{str(exc).splitlines()[0][:160]}")
                    if server.proc is None or server.proc.poll() is not None:
                        server.start()
                run_seed = random.Random(run_seed).randrange(2**32)
        finally:
            world.close()
            server.stop()
    return tally, seeds, time.perf_counter() - started


def _table(backend: str, tally: Tally, seeds: list[int], seconds: float, steps: int) -> str:
    rows = [("backend", backend), ("runs (seeds)", str(len(seeds))),
            ("steps a run", str(steps)), ("operations", str(_operations(tally))),
            ("wall time", f"{seconds:.0f} s")]
    rows += [(f"  op: {kind}", str(n)) for kind, n in sorted(tally.operations.items())]
    rows.append(("faults injected", str(sum(tally.faults.values()))))
    rows += [(f"  fault: {kind}", str(n)) for kind, n in sorted(tally.faults.items())]
    rows.append(("anomalies", str(len(tally.anomalies))))
    rows += [("  anomaly", text) for text in tally.anomalies]
    rows.append(("seeds", " ".join(str(s) for s in seeds)))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=3000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--examples", type=int, default=5, help="Hypothesis examples a seed")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    first_seed = args.seed if args.seed is not None else random.randrange(2**32)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        tally, seeds, seconds = fuzz(backend, args.ops, args.steps, args.examples, first_seed)
        print(_table(backend, tally, seeds, seconds, args.steps), flush=True)
        print()


if __name__ == "__main__":
    main()

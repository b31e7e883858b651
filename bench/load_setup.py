"""Load-run setup: seeds companies/teams/agents straight into the database, starts the server
processes on it, and samples their CPU and memory once a second."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field

import psutil

from server import models as m
from server.cli import prepare
from server.security import hash_password
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD


@dataclass(frozen=True)
class TeamSeed:
    """One company with one visitor-receiving team; the agents' accounts (password PASSWORD)."""

    domain: str
    team_id: str
    accounts: tuple[str, ...]


def seed(database_url: str, *, teams: int, per_team: int) -> list[TeamSeed]:
    """Migrates and writes `teams` companies of one team of `per_team` agents each, online.

    One scrypt hash is shared by every account (the bench logs in through the real API; hashing
    1,000 distinct passwords here would only slow the setup down)."""
    db = prepare(database_url, demo=False)
    shared_hash = hash_password(PASSWORD)
    now = m.utcnow()
    seeds: list[TeamSeed] = []
    try:
        with db.write() as session:
            for t in range(teams):
                company_id, team_id = str(uuid.uuid4()), str(uuid.uuid4())
                domain = f"load{t:03d}-{uuid.uuid4().hex[:6]}.test"
                session.add(m.Company(id=company_id, domain=domain, name=f"压测公司{t + 1}"))
                session.flush()
                session.add(m.Team(id=team_id, company_id=company_id, name="售前组",
                                   receives_visitors=True, max_load=50))
                session.flush()
                accounts = []
                for a in range(per_team):
                    employee_id = f"{t:03d}{a:05d}"
                    account = f"{employee_id}@{domain}"
                    session.add(m.Agent(
                        id=str(uuid.uuid4()), company_id=company_id, team_id=team_id,
                        employee_id=employee_id, account=account, name=f"客服{t}-{a}",
                        role="agent", password_hash=shared_hash, must_change_password=False,
                        presence="online", last_seen_at=now,
                    ))
                    accounts.append(account)
                seeds.append(TeamSeed(domain, team_id, tuple(accounts)))
    finally:
        db.engine.dispose()
    return seeds


class ServerSet:
    """`count` server processes on one database (each its own port; the generator
    round-robins across them)."""

    def __init__(self, database_url: str, count: int, *, recheck_s: float | None = None) -> None:
        env = {"KEFU_POLL_RECHECK_S": str(recheck_s)} if recheck_s else {}
        self.servers = [ServerProcess(database_url, demo=False, env=env) for _ in range(count)]

    def __enter__(self) -> ServerSet:
        for server in self.servers:
            server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.stop()

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]

    @property
    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.servers if s.proc is not None]


@dataclass
class Sample:
    at: float  # seconds since the sampler started
    cpu: list[float]  # % of one core, per watched process
    rss_mb: list[float]


@dataclass
class Sampler:
    """A thread sampling CPU% and RSS of the given processes every `every` seconds."""

    pids: list[int]
    every: float = 1.0
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._procs = [psutil.Process(pid) for pid in self.pids]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-sampler", daemon=True)
        self._start = time.monotonic()

    def __enter__(self) -> Sampler:
        for proc in self._procs:
            proc.cpu_percent(None)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                cpu = [p.cpu_percent(None) for p in self._procs]
                rss = [p.memory_info().rss / 2**20 for p in self._procs]
            except psutil.Error:
                return
            self.samples.append(Sample(time.monotonic() - self._start, cpu, rss))

    def between(self, start: float, end: float) -> list[Sample]:
        """Samples taken within [start, end] (time.monotonic() values)."""
        lo, hi = start - self._start, end - self._start
        return [s for s in self.samples if lo <= s.at <= hi]


def cpu_summary(samples: list[Sample], index: int) -> tuple[float, float]:
    """(median, max) CPU% of process `index`."""
    values = [s.cpu[index] for s in samples] or [0.0]
    return statistics.median(values), max(values)


def rss_slope_mb_per_min(samples: list[Sample], index: int) -> float:
    """Least-squares slope of RSS over time: ~0 when memory is flat."""
    if len(samples) < 3:
        return 0.0
    xs = [s.at / 60 for s in samples]
    ys = [s.rss_mb[index] for s in samples]
    return statistics.linear_regression(xs, ys).slope

"""The load generator at toy size against real servers: every customer message reaches every
agent of its team through the long-poll, with no failed request — on SQLite, and on PostgreSQL
with two server processes taking requests in turn (a wake-up must cross processes); and the
PostgreSQL wake-up that keeps idle long-polls cheap under load (no fast re-check needed)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.load_bench import drive
from bench.load_setup import ServerSet, seed
from tests.support.api import AgentClient, InBackground, VisitorClient
from tests.support.pg import PgCluster
from tests.support.world import PASSWORD

TEAMS, PER_TEAM, RATE, SECONDS = 2, 10, 5.0, 3.0


def _database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'load.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


@pytest.mark.parametrize(("backend", "servers"), [("sqlite", 1), ("postgresql", 2)])
def test_every_message_reaches_its_whole_team(
    backend: str, servers: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _database(backend, tmp_path, request)
    seeds = seed(url, teams=TEAMS, per_team=PER_TEAM)
    with ServerSet(url, servers) as server_set:
        results = asyncio.run(drive(server_set.urls, seeds, [("steady", RATE, SECONDS)],
                                    wait=5.0))
    [(_, stats)] = results
    assert stats.errors == {}
    assert stats.sent == RATE * SECONDS
    assert stats.delivered == stats.sent, f"missed {stats.missed}"
    assert len(stats.latencies) == stats.sent * PER_TEAM  # each agent of the team, once each


def test_a_message_held_behind_an_open_transaction_arrives_when_it_ends(
    pg_cluster: PgCluster,
) -> None:
    """Under load some transaction is nearly always open, so a commit's rows are often still
    hidden when its wake-up comes (the feed shows rows only below the oldest open transaction).
    The wake-up must then come again once they show — not after the slow fallback re-check
    (30 s here), and with no further commit to trigger it (the blocker rolls back)."""
    url = pg_cluster.new_database()
    [team] = seed(url, teams=1, per_team=1)
    with ServerSet(url, 1, recheck_s=30) as server_set:
        base = server_set.urls[0]
        agent = AgentClient(base, team.accounts[0], PASSWORD)
        visitor = VisitorClient(base, "压测顾客", company=team.domain)
        agent.pull_all()
        engine = create_engine(url)
        try:
            with engine.connect() as older:
                older.execute(text("SELECT pg_current_xact_id()"))  # holds the horizon back
                poll = InBackground(lambda: agent.pull(wait=25), settle=0.5)
                assert visitor.send("挡在旧事务后面的消息").status_code == 200
                time.sleep(1.0)  # the scenario: the blocker lasts a second beyond the commit
                older.rollback()
        finally:
            engine.dispose()
        body, seconds = poll.finish()
    texts = [c["data"]["text"] for c in body["changes"] if c["entity"] == "message"]
    assert texts == ["挡在旧事务后面的消息"]
    assert seconds < 10, "left to the fallback re-check"

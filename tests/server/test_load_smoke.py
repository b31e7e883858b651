"""The load generator at toy size against real servers: every customer message reaches every
agent of its team through the long-poll, with no failed request — on SQLite, and on PostgreSQL
with two server processes taking requests in turn (a wake-up must cross processes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.load_bench import drive
from bench.load_setup import ServerSet, seed
from tests.support.pg import PgCluster

TEAMS, PER_TEAM, RATE, SECONDS = 2, 10, 5.0, 5.0


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

"""Shared fixtures: a throwaway PostgreSQL cluster, real server processes on both databases."""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pg import PgCluster
from tests.support.server_proc import ServerProcess
from tests.support.world import World

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session", autouse=True)
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    """As the app does: Python's cycle collector must not destroy Qt objects on a worker thread
    (a QObject with timers destroyed there corrupts Qt), so it runs here, between tests."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(scope="session", autouse=True)
def _no_machine_policy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """This machine's /etc/kefudesk/deploy.toml (if any) must not steer the tests; tests that
    are about the policy write their own file and point KEFU_POLICY_FILE at it."""
    previous = os.environ.get("KEFU_POLICY_FILE")
    os.environ["KEFU_POLICY_FILE"] = str(tmp_path_factory.mktemp("policy") / "deploy.toml")
    yield
    if previous is None:
        os.environ.pop("KEFU_POLICY_FILE", None)
    else:
        os.environ["KEFU_POLICY_FILE"] = previous


@pytest.fixture(autouse=True)
def _collect_after_each_test() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        cluster = PgCluster()
        cluster.start()
    except Exception as exc:
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL not available here: {exc}")
    yield cluster
    cluster.stop()


def make_database_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        return cluster.new_database()
    directory = Path(tempfile.mkdtemp(prefix="kefu-sqlite-"))
    return f"sqlite:///{directory / 'server.db'}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    return make_database_url(backend, request)


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[ServerProcess]:
    proc = ServerProcess(database_url).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def world(server: ServerProcess) -> Iterator[World]:
    w = World(server.database_url)
    yield w
    w.close()

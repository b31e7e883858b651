"""The client killed mid-way loses nothing and duplicates nothing (issue 3 §6, issue 9): after a
kill -9 at each stage the cache opens undamaged and the reply reaches the customer once.
bench/kill_bench.py repeats each stage 50 times."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.client_proc import STAGES
from tests.support.kill_run import kill_and_restart
from tests.support.server_proc import ServerProcess
from tests.support.world import World


@pytest.mark.parametrize("stage", STAGES)
def test_killed_client_delivers_each_message_exactly_once_after_restart(
    server: ServerProcess, world: World, tmp_path: Path, stage: str
) -> None:
    outcome = kill_and_restart(server.url, world, tmp_path, stage)
    assert outcome.killed, "the client process did not die at the stage"
    assert outcome.opened_clean, "the killed client left a damaged cache"
    assert outcome.delivered == 1, f"the customer got the reply {outcome.delivered} times"
    assert outcome.local == ((outcome.text, "sent"),)

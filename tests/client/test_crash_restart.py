"""The client killed mid-way loses nothing and duplicates nothing (issue 3, §6)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.api import VisitorClient
from tests.support.client_side import KEYRING_FILE_ENV, Desk, MemoryKeyring, eventually
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


@pytest.mark.parametrize("stage", ["after-enqueue", "after-push"])
def test_killed_client_delivers_each_message_exactly_once_after_restart(
    server: ServerProcess, world: World, tmp_path: Path, stage: str
) -> None:
    company = world.company()
    agent = world.agent(company)
    visitor = VisitorClient(server.url, "崩溃测试", company=company.domain)
    visitor.send("在吗？")
    text = f"崩溃前发出的回复（{stage}）"
    keyring_file = tmp_path / "keyring.json"  # the OS keyring outlives the killed process
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.support.client_proc", server.url, agent.account, PASSWORD,
         str(tmp_path), visitor.conversation_id, text, stage],
        capture_output=True, text=True, timeout=90,
        env={**os.environ, KEYRING_FILE_ENV: str(keyring_file)},
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    desk = Desk(server.url, tmp_path, keyring_backend=MemoryKeyring(keyring_file))
    try:
        runtime = desk.sign_in(agent.account, PASSWORD)  # the same profile, same outbox
        eventually(lambda: runtime.engine.status.pending == 0, timeout=30)

        def delivered() -> list[str]:
            visitor.after = 0
            return [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "agent"]

        assert eventually(delivered) == [text]
        mine = [m for m in runtime.chat.messages(visitor.conversation_id) if m.sender == "agent"]
        assert [(m.text, m.delivery) for m in mine] == [(text, "sent")]
    finally:
        desk.close()

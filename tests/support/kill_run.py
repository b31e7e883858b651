"""One kill -9 run: a client process queues a reply and dies at a stage; a new desk reopens the
same profile. Shared by tests/client/test_crash_restart.py and bench/kill_bench.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.api import VisitorClient
from tests.support.client_side import KEYRING_FILE_ENV, Desk, MemoryKeyring, eventually
from tests.support.world import PASSWORD, World

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class KillOutcome:
    stage: str
    killed: bool
    """The client process really died of SIGKILL."""
    opened_clean: bool
    """The cache opened on restart with nothing set aside as damaged."""
    delivered: int
    """How many times the customer received the reply (1 = exactly once)."""
    local: tuple[tuple[str, str], ...]
    """The desk's own view of its replies after the restart: (text, delivery)."""
    text: str
    seconds: float
    flush_seconds: float
    """From the restarted desk signing in to its outbox being empty."""

    @property
    def intact(self) -> bool:
        return (self.killed and self.opened_clean and self.delivered == 1
                and self.local == ((self.text, "sent"),))


def kill_and_restart(server_url: str, world: World, root: Path, stage: str) -> KillOutcome:
    """Needs a server process and a World on its database; `root` is a fresh folder."""
    started = time.monotonic()
    company = world.company()
    agent = world.agent(company)
    visitor = VisitorClient(server_url, "崩溃测试", company=company.domain)
    visitor.send("在吗？")
    text = f"崩溃前发出的回复（{stage}）"
    keyring_file = root / "keyring.json"  # the OS keyring outlives the killed process
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.support.client_proc", server_url, agent.account, PASSWORD,
         str(root), visitor.conversation_id, text, stage],
        capture_output=True, text=True, timeout=90, cwd=ROOT,
        env={**os.environ, KEYRING_FILE_ENV: str(keyring_file)},
    )
    desk = Desk(server_url, root, keyring_backend=MemoryKeyring(keyring_file))
    try:
        restarted = time.monotonic()
        runtime = desk.sign_in(agent.account, PASSWORD)  # the same profile, same outbox
        opened_clean = runtime.store.recovery is None
        eventually(lambda: runtime.engine.status.pending == 0, timeout=30)
        flushed = time.monotonic() - restarted

        def delivered() -> list[str]:
            visitor.after = 0
            return [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "agent"]

        def mine() -> list[tuple[str, str]]:
            return [(m.text, m.delivery) for m in runtime.chat.messages(visitor.conversation_id)
                    if m.sender == "agent"]

        eventually(delivered)
        eventually(mine)  # the desk's own copy arrives with the feed
        return KillOutcome(stage, crashed.returncode == -signal.SIGKILL, opened_clean,
                           delivered().count(text), tuple(mine()),
                           text, time.monotonic() - started, flushed)
    finally:
        desk.close()

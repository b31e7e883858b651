"""A desk as its own process for the model-based sync test: a real Store and SyncEngine behind a
fault-injecting transport, driven by JSON lines on stdin, killable with SIGKILL.

    python -m tests.support.sync_model_client URL ACCOUNT PASSWORD DB_PATH SEED RATE [KINDS]

Commands (one JSON object a line; each answered with one JSON line): `send` {conversation_id,
id, text}, `kb_used` {entry_id}, `faults` {rate}, `snapshot`, `stop`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from app.models.store import open_store
from app.models.tables import Conflict, Conversation, Message, Outbox, Record
from app.services.auth import AuthService
from app.services.credentials import CredentialVault
from app.sync import outbox
from app.sync.apply import Applied
from app.sync.auth import TokenKeeper
from app.sync.client import ApiClient
from app.sync.engine import Backoff, SyncEngine
from app.workers import Workers
from kefu_protocol.wire import PullResponse
from tests.support.client_side import MemoryKeyring
from tests.support.fault_transport import FAULT_KINDS, FaultAdapter


class RecordingEngine(SyncEngine):
    """Remembers each committed page's cursor and size (the feed's order, as applied)."""

    pages: list[tuple[str, int]]

    def _apply_later(self, page: PullResponse) -> Future[Applied]:
        future = super()._apply_later(page)

        def committed(done: Future[Applied]) -> None:
            if done.exception() is None:
                self.pages.append((page.cursor, len(page.changes)))

        future.add_done_callback(committed)
        return future


class ModelDesk:
    def __init__(self, url: str, account: str, password: str, db_path: Path, seed: int,
                 rate: float, kinds: tuple[str, ...] = FAULT_KINDS) -> None:
        self.kinds = kinds
        self.counts: Counter[str] = Counter()
        self.adapters: list[FaultAdapter] = []
        self.seed, self.rate = seed, rate
        self.store = open_store(db_path)
        self.recovered = self.store.recovery is not None
        if self.store.recovery is not None and self.store.recovery.salvaged:
            with self.store.write() as session:  # as open_runtime does
                for intent in self.store.recovery.salvaged:
                    outbox.enqueue(session, intent.name, intent.args)
        auth = AuthService(url, ca_bundle=None, vault=CredentialVault(MemoryKeyring()),
                           device_id="model")
        signed_in = auth.login(account, password, remember=False)
        keeper = TokenKeeper(auth.client(), access_token=signed_in.access_token,
                             refresh_token=signed_in.refresh_token)
        self.workers = Workers()
        self.engine = RecordingEngine(
            store=self.store, run_db=self.workers.run_db, auth=keeper,
            make_client=lambda: ApiClient(url, read_timeout=10, adapter=self._adapter()),
            on_status=lambda _s: None, on_changes=lambda _a: None, wait=1.0,
            submit_db=self.workers.submit_db, backoff=lambda: Backoff(0.05, 0.5),
        )
        self.engine.pages = []
        self.engine.start()

    def _adapter(self) -> FaultAdapter:
        adapter = FaultAdapter(self.seed * 31 + len(self.adapters), self.rate, counts=self.counts,
                               kinds=self.kinds)
        self.adapters.append(adapter)
        return adapter

    def enqueue(self, name: str, args: dict[str, Any]) -> None:
        def work() -> None:
            with self.store.write() as session:
                outbox.enqueue(session, name, args)

        self.workers.run_db(work)
        self.engine.poke()

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        for adapter in self.adapters:
            adapter.rate = rate

    def snapshot(self) -> dict[str, Any]:
        status = self.engine.status
        with self.store.read() as s:
            return {
                "client_id": outbox.client_id(s) if outbox.get_state(s, "client_id") else "",
                "cursor": outbox.get_state(s, "cursor"),
                "state": status.state, "last_error": status.last_error,
                "outbox": [[r.mutation_id, r.name, r.args, r.state, r.code]
                           for r in s.scalars(select(Outbox).order_by(Outbox.seq))],
                "messages": {m.id: [m.conversation_id, m.seq, m.sender, m.text]
                             for m in s.scalars(select(Message))},
                "conversations": {c.id: [c.agent_id, c.state, c.version]
                                  for c in s.scalars(select(Conversation))},
                "kb": {r.id: r.data.get("use_count") for r in s.scalars(
                    select(Record).where(Record.entity == "kb_entry"))},
                "conflicts": [[c.kind, c.entity_id] for c in s.scalars(select(Conflict))],
                "pages": list(self.engine.pages), "recovered": self.recovered,
            }


def handle(desk: ModelDesk, command: dict[str, Any]) -> dict[str, Any]:
    op = command["op"]
    if op == "send":
        desk.enqueue("message.send", {"id": command["id"], "text": command["text"],
                                      "conversation_id": command["conversation_id"]})
    elif op == "kb_used":
        desk.enqueue("kb.used", {"id": command["entry_id"]})
    elif op == "faults":
        desk.set_rate(float(command["rate"]))
    elif op == "snapshot":
        return {"faults": dict(desk.counts), **desk.snapshot()}
    elif op == "stop":
        desk.engine.stop()
        desk.workers.shutdown()
        desk.store.close()
    return {"ok": True, "faults": dict(desk.counts)}


def main() -> None:
    url, account, password, db_path, seed, rate = sys.argv[1:7]
    kinds = tuple(sys.argv[7].split(",")) if len(sys.argv) > 7 else FAULT_KINDS
    desk = ModelDesk(url, account, password, Path(db_path), int(seed), float(rate), kinds)
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        print(json.dumps(handle(desk, command)), flush=True)
        if command["op"] == "stop":
            return


class DeskProcess:
    """The test's handle on one desk process: start, ask, kill -9, restart on the same file."""

    def __init__(self, url: str, account: str, password: str, db_path: Path, seed: int,
                 rate: float, kinds: tuple[str, ...] = FAULT_KINDS) -> None:
        self.argv = [sys.executable, "-m", "tests.support.sync_model_client", url, account,
                     password, str(db_path), str(seed), str(rate), ",".join(kinds)]
        self.seed = seed
        self.log_path = db_path.with_suffix(".log")
        self.faults: Counter[str] = Counter()
        self._seen: Counter[str] = Counter()
        self.proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def start(self) -> DeskProcess:
        self.argv[-3] = str(self.seed)
        with self.log_path.open("a") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, text=True,
                                         cwd=Path(__file__).resolve().parents[2])
        ready = self._read()
        assert ready.get("ready"), ready
        self._seen = Counter()
        return self

    def _read(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        line = _readline(self.proc.stdout)
        if not line:
            raise RuntimeError(f"desk process ended (exit {self.proc.poll()})")
        return json.loads(line)  # type: ignore[no-any-return]

    def ask(self, op: str, **args: Any) -> dict[str, Any]:
        with self._lock:
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
            self.proc.stdin.flush()
            answer = self._read()
        seen = Counter(answer.get("faults", {}))
        self.faults.update(seen - self._seen)  # per process lifetime, added as they grow
        self._seen = seen
        return answer

    def kill(self) -> None:
        """SIGKILL: no cleanup, the database file as the crash left it."""
        assert self.proc is not None
        self.ask("faults_seen")  # the count dies with the process
        self.proc.kill()
        self.proc.wait(10)
        self.seed += 1000  # the restarted desk draws other faults, still replayable

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.ask("stop")
            self.proc.wait(10)
        except (OSError, RuntimeError, AssertionError):
            self.proc.kill()
            self.proc.wait(10)


def _readline(stream: IO[str]) -> str:
    return stream.readline()


if __name__ == "__main__":
    main()

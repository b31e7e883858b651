"""A client process for crash tests: signs in, queues one reply, then kills itself at a stage.

    python -m tests.support.client_proc URL ACCOUNT PASSWORD DATA_ROOT CONVERSATION TEXT STAGE

STAGE (issue 3 §6, issue 9):
- `after-enqueue`: the reply is committed locally and never pushed;
- `after-push`: the server applied it, the client died before recording the answer;
- `mid-push`: killed at a random moment (0–40 ms) while the push request is in flight, so the
  server may or may not have committed it;
- `mid-apply`: killed inside the write transaction applying a pulled page (rows written and
  flushed to the database file, no commit).
The keyring is the file named by KEFU_TEST_KEYRING_FILE, so the cache key outlives the kill.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from app.services.auth import AuthService
from app.services.credentials import CredentialVault
from app.services.runtime import open_runtime
from app.sync import engine as engine_module
from app.sync.client import ApiClient
from app.workers import Workers
from tests.support.client_side import MemoryKeyring

STAGES = ("after-enqueue", "after-push", "mid-push", "mid-apply")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(stage: str, queued: threading.Event) -> None:
    """Patches the sync layer so the process dies at `stage` once the reply is queued."""
    if stage == "after-push":
        original = engine_module.SyncEngine._push_batch

        def push_then_die(self, client, cid, items):  # type: ignore[no-untyped-def]
            mutations = [{"id": i.mutation_id, "name": i.name, "args": i.args} for i in items]
            self.auth.call(lambda token: client.push(token, cid, mutations))
            _die()
            return original(self, client, cid, items)

        engine_module.SyncEngine._push_batch = push_then_die  # type: ignore[method-assign]
    elif stage == "mid-push":
        push = ApiClient.push

        def push_while_dying(self: ApiClient, *args: Any, **kw: Any) -> Any:
            threading.Timer(random.uniform(0.0, 0.04), _die).start()
            return push(self, *args, **kw)

        ApiClient.push = push_while_dying  # type: ignore[method-assign]
    elif stage == "mid-apply":
        apply_page = engine_module.apply_page

        def apply_then_die(session: Any, *args: Any, **kw: Any) -> Any:
            applied = apply_page(session, *args, **kw)
            if queued.is_set():
                session.flush()  # the page's rows reach the file; the commit never comes
                _die()
            return applied

        engine_module.apply_page = apply_then_die  # type: ignore[attr-defined]


def main() -> None:
    url, account, password, data_root, conversation_id, text, stage = sys.argv[1:8]
    if stage not in STAGES:
        raise SystemExit(f"unknown stage {stage!r}; one of {STAGES}")
    vault = CredentialVault(MemoryKeyring())  # file-backed: KEFU_TEST_KEYRING_FILE
    auth = AuthService(url, ca_bundle=None, vault=vault, device_id="crash")
    signed_in = auth.login(account, password, remember=False)
    workers = Workers()
    queued = threading.Event()
    _arm(stage, queued)
    runtime = open_runtime(signed_in, auth=auth, data_root=Path(data_root), workers=workers,
                           remember=False, on_status=lambda s: None, on_changes=lambda a: None)
    if stage == "after-enqueue":
        runtime.engine.stop()  # nothing may leave before the crash
        workers.run_db(runtime.chat.send, conversation_id, text)
        _die()
    workers.run_db(runtime.chat.send, conversation_id, text)
    queued.set()
    runtime.engine.poke()
    threading.Event().wait(30)  # a hook kills the process long before this
    sys.exit(3)


if __name__ == "__main__":
    main()

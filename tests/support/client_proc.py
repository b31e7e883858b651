"""A client process for crash tests: signs in, queues one reply, then kills itself at a stage.

    python -m tests.support.client_proc URL ACCOUNT PASSWORD DATA_ROOT CONVERSATION TEXT STAGE

STAGE: `after-enqueue` (committed locally, never pushed) or `after-push` (the server applied
it, the client died before recording the answer or seeing the ack).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from app.services.auth import AuthService
from app.services.credentials import CredentialVault
from app.services.runtime import open_runtime
from app.sync import engine as engine_module
from app.workers import Workers
from tests.support.client_side import MemoryKeyring


def main() -> None:
    url, account, password, data_root, conversation_id, text, stage = sys.argv[1:8]
    auth = AuthService(url, ca_bundle=None, vault=CredentialVault(MemoryKeyring()),
                       device_id="crash")
    signed_in = auth.login(account, password, remember=False)
    workers = Workers()
    if stage == "after-push":
        original = engine_module.SyncEngine._push_batch

        def push_then_die(self, client, cid, items):  # type: ignore[no-untyped-def]
            mutations = [{"id": i.mutation_id, "name": i.name, "args": i.args} for i in items]
            self.auth.call(lambda token: client.push(token, cid, mutations))
            os.kill(os.getpid(), signal.SIGKILL)
            return original(self, client, cid, items)

        engine_module.SyncEngine._push_batch = push_then_die  # type: ignore[method-assign]
    runtime = open_runtime(signed_in, auth=auth, data_root=Path(data_root), workers=workers,
                           remember=False, on_status=lambda s: None, on_changes=lambda a: None)
    if stage == "after-enqueue":
        runtime.engine.stop()  # nothing may leave before the crash
        workers.run_db(runtime.chat.send, conversation_id, text)
        os.kill(os.getpid(), signal.SIGKILL)
    workers.run_db(runtime.chat.send, conversation_id, text)
    threading.Event().wait(30)  # the push hook kills the process long before this
    sys.exit(3)


if __name__ == "__main__":
    main()

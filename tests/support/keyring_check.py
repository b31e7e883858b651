"""Run inside a D-Bus session with gnome-keyring: the token goes to the keyring, nowhere else.

    python -m tests.support.keyring_check URL ACCOUNT PASSWORD DATA_ROOT
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import keyring

from app.models import cipher
from app.services.credentials import CACHE_SERVICE, SERVICE
from tests.support.client_side import Desk, eventually


def _files_containing(root: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}" for needle in needles if needle in data]
    return hits


def main() -> int:
    url, account, password, data_root = sys.argv[1:5]
    root = Path(data_root)
    backend = keyring.get_keyring()
    print(f"backend: {type(backend).__module__}.{type(backend).__name__}")
    desk = Desk(url, root, keyring_backend=backend)
    assert desk.vault.state().usable, "Secret Service not usable"
    runtime = desk.sign_in(account, password, remember=True)
    eventually(lambda: runtime.engine.status.state == "online")
    token = runtime.keeper.refresh_token
    stored = backend.get_password(SERVICE, f"{url}|{account}")
    assert stored == token, "the refresh token is not in the keyring"
    runtime.engine.flush(3.0)
    runtime.stop()
    desk.runtime = None
    cache_key = backend.get_password(CACHE_SERVICE, f"{url}|{account}")
    assert cache_key and len(bytes.fromhex(cache_key)) == cipher.KEY_BYTES, "no cache key"
    assert cipher.opens(runtime.store.path, bytes.fromhex(cache_key)) == "ok"
    assert cipher.opens(runtime.store.path, None) == "unreadable", "the cache is not encrypted"
    needles = [token.encode(), password.encode(), runtime.keeper.access_token.encode()]
    leaks = _files_containing(root, needles) + _files_containing(Path(os.environ["HOME"]),
                                                                    needles[1:2])
    assert not leaks, f"secret found in files: {leaks}"
    resumed = desk.auth.resume(account)
    assert resumed is not None, "auto-login with the keyring's token failed"
    desk.auth.logout(account, resumed.refresh_token)
    assert backend.get_password(SERVICE, f"{url}|{account}") is None, "logout left the token"
    desk.close()
    print("KEYRING-CHECK-OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

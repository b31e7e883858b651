"""`kefudesk --self-test`: a checklist IT can run on a workstation; exit 0 only if all pass."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.config import Config
from app.models.store import integrity_ok, open_store
from app.services.credentials import CredentialVault
from app.sync.client import ApiClient, SyncError
from kefu_protocol.wire import PROTOCOL_VERSION


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _check(name: str, fn: Callable[[], str]) -> Check:
    try:
        return Check(name, True, fn())
    except Exception as exc:  # every failure becomes a line of the checklist
        return Check(name, False, f"{type(exc).__name__}: {exc}")


def _server(url: str, ca_bundle: str | None) -> str:
    if not url:
        raise RuntimeError("no server configured (settings or --server)")
    client = ApiClient(url, ca_bundle=ca_bundle)
    try:
        health = client.health()
    except SyncError as exc:
        raise RuntimeError(f"{url}: {type(exc).__name__}") from exc
    finally:
        client.close()
    if health.get("protocol_version") != PROTOCOL_VERSION:
        raise RuntimeError(f"server speaks protocol {health.get('protocol_version')}")
    scheme = "TLS verified" if url.startswith("https") else "loopback http"
    return f"{url} v{health.get('version')} ({health.get('database')}, {scheme})"


def _keyring() -> str:
    state = CredentialVault().state()
    if not state.usable:
        raise RuntimeError(f"no secure keyring backend ({state.backend}); auto-login off")
    return state.backend


def _data_dir(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".selftest-"):
        pass
    return str(data_dir)


def _databases(data_dir: Path) -> str:
    caches = sorted((data_dir / "profiles").glob("*/cache.db"))
    for path in caches:
        store = open_store(path, exclusive=False)
        try:
            if not integrity_ok(store):
                raise RuntimeError(f"{path} failed the integrity check")
        finally:
            store.close()
    if not caches:  # a fresh machine: prove a cache can be created and checked
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Path(tmp) / "probe.db")
            ok = integrity_ok(store)
            store.close()
            if not ok:
                raise RuntimeError("a new cache failed the integrity check")
        return "no cache yet; a new one opens and passes"
    return f"{len(caches)} cache(s) pass the integrity check"


def run_self_test(config: Config, *, server_override: str | None, data_dir: Path,
                  gui_check: Callable[[], str]) -> int:
    """Prints one line per check; `gui_check` (from app.ui) loads Qt and looks for a CJK font."""
    url = server_override or config.get("server_url")
    ca_bundle = config.get("ca_bundle") or None
    checks = [
        Check("configuration", not config.problems, "; ".join(config.problems) or "ok"),
        _check("server", lambda: _server(url, ca_bundle)),
        _check("keyring", _keyring),
        _check("data directory", lambda: _data_dir(data_dir)),
        _check("database", lambda: _databases(data_dir)),
        _check("Qt and CJK font", gui_check),
    ]
    for check in checks:
        print(f"[{' OK ' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    failed = [c.name for c in checks if not c.ok]
    print("self-test passed" if not failed else f"self-test FAILED: {', '.join(failed)}")
    return 0 if not failed else 1

"""`kefudesk --self-test [--json]`: a checklist for IT; exit 0 unless a check fails."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from app.config import Config
from app.i18n import Tr, problem_text
from app.models.cipher import CacheKey, is_plaintext, new_secret
from app.models.store import integrity_ok, open_store
from app.services.connection import ServerProbe, probe_server
from app.services.credentials import CredentialVault

Status = Literal["ok", "warn", "fail", "skip"]
GuiCheck = Callable[[], tuple[Status, str]]
"""Checks that need Qt are handed in by app.ui (this module imports no widgets)."""


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    status: Status
    detail: str


def _guarded(fn: Callable[[], tuple[Status, str]]) -> tuple[Status, str]:
    try:
        return fn()
    except Exception as exc:  # every failure becomes a line of the checklist
        return "fail", f"{type(exc).__name__}: {exc}"


def _configuration(tr: Tr, config: Config) -> tuple[Status, str]:
    if not config.problems:
        where = str(config.policy.path) if config.policy.exists else tr("selftest.no_policy")
        return "ok", tr("selftest.config_ok", policy=where, user=str(config.path))
    return "fail", "; ".join(problem_text(tr, p) for p in config.problems)


def _not_checked(tr: Tr) -> list[tuple[str, Status, str]]:
    reason = tr("selftest.skip_no_server")
    return [("tls", "skip", reason), ("protocol", "skip", reason)]


def _server_checks(tr: Tr, url: str, source: str, ca_bundle: str | None
                   ) -> list[tuple[str, Status, str]]:
    if not url:
        return [("server", "fail", tr("selftest.no_server")), *_not_checked(tr)]
    probe: ServerProbe = probe_server(url, ca_bundle)
    where = tr(f"selftest.from_{source}")
    if not probe.reached:
        return [("server", "fail", tr("selftest.with_source", problem=tr(
                    f"probe.{probe.outcome}", url=url), source=where)), *_not_checked(tr)]
    server = ("server", "ok", tr("selftest.with_source", problem=probe.url, source=where))
    if probe.outcome == "tls":
        untrusted = (tr("selftest.tls_untrusted_ca", problem=tr("probe.tls", url=url),
                        ca=ca_bundle) if ca_bundle else tr("probe.tls", url=url))
        return [server, ("tls", "fail", untrusted),
                ("protocol", "skip", tr("selftest.skip_untrusted"))]
    if not probe.tls:
        tls: tuple[str, Status, str] = ("tls", "ok", tr("selftest.tls_loopback"))
    else:
        tls = ("tls", "ok", tr("selftest.tls_ok", ca=ca_bundle or tr("selftest.system_ca")))
    if probe.outcome in ("protocol", "incompatible", "server"):
        return [server, tls, ("protocol", "fail", tr(
            "selftest.with_detail", problem=tr(f"probe.{probe.outcome}", url=url),
            detail=probe.detail))]
    return [server, tls, ("protocol", "ok", tr("selftest.protocol_ok", version=probe.version,
                                               protocol=str(probe.protocol),
                                               database=probe.database))]


def _keyring(tr: Tr, config: Config) -> tuple[Status, str]:
    state = CredentialVault().state()
    if state.usable:
        return "ok", state.backend
    needed = config.auto_login_permitted()
    return ("fail" if needed else "warn"), tr("selftest.no_keyring", backend=state.backend)


def _data_dir(data_dir: Path) -> tuple[Status, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".selftest-"):
        pass
    return "ok", str(data_dir)


def _databases(tr: Tr, data_dir: Path) -> tuple[Status, str]:
    caches = sorted((data_dir / "profiles").glob("*/cache.db"))
    plain = [path for path in caches if is_plaintext(path)]  # encrypted: checked at sign-in
    for path in plain:
        store = open_store(path, exclusive=False)
        try:
            if not integrity_ok(store):
                return "fail", tr("selftest.db_corrupt", path=str(path))
        finally:
            store.close()
    if len(plain) < len(caches):
        return "ok", tr("selftest.db_ok_encrypted", checked=len(plain),
                        encrypted=len(caches) - len(plain))
    if caches:
        return "ok", tr("selftest.db_ok", count=len(caches))
    with tempfile.TemporaryDirectory() as tmp:  # a fresh machine: an encrypted cache works
        store = open_store(Path(tmp) / "probe.db",
                           key=CacheKey(new_secret(), new=True, kept=True))
        ok = integrity_ok(store)
        store.close()
    return ("ok", tr("selftest.db_new")) if ok else ("fail", tr("selftest.db_new_failed"))


def collect(config: Config, *, server_override: str | None, data_dir: Path, tr: Tr,
            gui_checks: dict[str, GuiCheck]) -> list[Check]:
    """Runs every check; `gui_checks` are `qt_font` and `notifications` from app.ui."""
    url = server_override or config.get("server_url")
    source = "command_line" if server_override else config.source("server_url")
    results: list[tuple[str, Status, str]] = [
        ("configuration", *_guarded(lambda: _configuration(tr, config)))]
    try:
        results += _server_checks(tr, url, source, config.get("ca_bundle") or None)
    except Exception as exc:
        results.append(("server", "fail", f"{type(exc).__name__}: {exc}"))
    results += [
        ("keyring", *_guarded(lambda: _keyring(tr, config))),
        ("data_dir", *_guarded(lambda: _data_dir(data_dir))),
        ("database", *_guarded(lambda: _databases(tr, data_dir))),
    ]
    results += [(name, *_guarded(check)) for name, check in gui_checks.items()]
    return [Check(cid, tr(f"selftest.check.{cid}"), status, detail)
            for cid, status, detail in results]


def run_self_test(config: Config, *, server_override: str | None, data_dir: Path, tr: Tr,
                  gui_checks: dict[str, GuiCheck], as_json: bool, version: str) -> int:
    """Prints the checklist (or JSON); exit 0 when nothing failed (warnings do not fail)."""
    checks = collect(config, server_override=server_override, data_dir=data_dir, tr=tr,
                     gui_checks=gui_checks)
    failed = [c for c in checks if c.status == "fail"]
    if as_json:
        print(json.dumps({"version": version, "passed": not failed,
                          "checks": [asdict(c) for c in checks]}, ensure_ascii=False, indent=2))
    else:
        marks = {"ok": " OK ", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}
        for check in checks:
            print(f"[{marks[check.status]}] {check.name}: {check.detail}")
        print(tr("selftest.passed") if not failed else
              tr("selftest.failed", names=", ".join(c.name for c in failed)))
    return 0 if not failed else 1

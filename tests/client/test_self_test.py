"""`kefudesk --self-test [--json]`: every check named, IT's policy honoured, exit 0 only if none
fails (issue 4)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.support.pg import free_port
from tests.support.server_proc import ServerProcess
from tests.support.tls import TlsForwarder, make_ca_and_server_cert

ROOT = Path(__file__).parents[2]
HOLD_NAME = ROOT / "tests" / "support" / "hold_bus_name.py"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_RUNTIME"))}
    env.update(KEFU_DATA_DIR=str(tmp_path / "data"), KEFU_CONFIG_DIR=str(tmp_path / "config"),
               KEFU_POLICY_FILE=str(tmp_path / "etc" / "deploy.toml"),
               HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def _policy(env: dict[str, str], text: str) -> Path:
    path = Path(env["KEFU_POLICY_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _run(args: list[str], env: dict[str, str], *, secret_service: bool = False,
         notifications: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "app.main", "--self-test", *args]
    if notifications:  # something owns org.freedesktop.Notifications, as a desktop's daemon
        command = [sys.executable, str(HOLD_NAME), "org.freedesktop.Notifications", *command]
    if secret_service:
        env = {**env, "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}
        command = ["dbus-run-session", "--", "bash", "-c",
                   "echo -n unlock | gnome-keyring-daemon --unlock --components=secrets"
                   " >/dev/null && exec \"$0\" \"$@\"", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)


def _checks(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    report = json.loads(result.stdout)
    return {c["id"]: c for c in report["checks"]}


def _statuses(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {cid: c["status"] for cid, c in _checks(result).items()}


@pytest.fixture()
def secret_service() -> None:
    if shutil.which("dbus-run-session") is None or shutil.which("gnome-keyring-daemon") is None:
        if IN_CI:
            pytest.fail("gnome-keyring missing: scripts/bootstrap.sh test installs it")
        pytest.skip("no Secret Service here; ./test.sh installs gnome-keyring")


@pytest.fixture()
def tls_server(server: ServerProcess, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca, cert, key = make_ca_and_server_cert(tmp_path / "pki")
    forwarder = TlsForwarder(server.port, cert, key)
    yield forwarder.url, ca
    forwarder.stop()


def test_unreachable_server_and_missing_keyring_fail_by_name(tmp_path: Path) -> None:
    env = _env(tmp_path)
    result = _run(["--json", "--server", f"http://127.0.0.1:{free_port()}"], env)
    assert result.returncode == 1, result.stdout + result.stderr
    statuses = _statuses(result)
    assert statuses["server"] == "fail" and statuses["keyring"] == "fail"
    assert statuses["tls"] == statuses["protocol"] == "skip"
    assert statuses["data_dir"] == statuses["database"] == statuses["qt_font"] == "ok"
    assert json.loads(result.stdout)["passed"] is False
    human = _run(["--lang", "en", "--server", f"http://127.0.0.1:{free_port()}"], env)
    assert "[FAIL] server reachable: Cannot reach http://127.0.0.1:" in human.stdout
    assert "self-test FAILED: server reachable, keyring" in human.stdout
    chinese = _run(["--server", f"http://127.0.0.1:{free_port()}"], env)
    assert "[FAIL] 服务器连接: 无法连接 http://127.0.0.1:" in chinese.stdout


def test_a_bad_settings_file_is_named(tmp_path: Path, server: ServerProcess) -> None:
    env = _env(tmp_path)
    settings = Path(env["KEFU_CONFIG_DIR"]) / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"server_url": 42, "colour": "red"}', "utf-8")
    result = _run(["--json", "--lang", "en", "--server", server.url], env)
    assert result.returncode == 1
    configuration = _checks(result)["configuration"]
    assert configuration["status"] == "fail"
    assert f"server_url in {settings}: should be quoted text, is 42" in configuration["detail"]
    assert f"colour in {settings}: no such setting (a typo?)" in configuration["detail"]


def test_a_bad_machine_policy_names_the_file_and_each_key(tmp_path: Path) -> None:
    env = _env(tmp_path)
    policy = _policy(env, 'server_url = "https://kefu.invalid"\nidle_timeout_min = "30"\n'
                          'ca_bundle = "/nowhere/company-ca.pem"\nsharde_computer = true\n')
    result = _run(["--json", "--lang", "en"], env)
    assert result.returncode == 1
    detail = _checks(result)["configuration"]["detail"]
    assert f"idle_timeout_min in {policy}: should be a whole number, is '30'" in detail
    assert f"ca_bundle in {policy}: CA file /nowhere/company-ca.pem cannot be read" in detail
    assert f"sharde_computer in {policy}: no such setting (a typo?)" in detail
    server = _checks(result)["server"]  # the URL itself is valid, but nobody answers there
    assert server["status"] == "fail"
    assert "https://kefu.invalid" in server["detail"]
    assert "from the machine policy" in server["detail"]


def test_a_policy_that_cannot_be_parsed_says_where(tmp_path: Path) -> None:
    env = _env(tmp_path)
    policy = _policy(env, 'server_url = "https://kefu.example.com\n')
    result = _run(["--json", "--lang", "en", "--server", "http://127.0.0.1:1"], env)
    detail = _checks(result)["configuration"]["detail"]
    assert detail.startswith(f"{policy} cannot be parsed:") and "line 1" in detail


def test_everything_passes_with_the_server_from_the_machine_policy(
        tmp_path: Path, server: ServerProcess, secret_service: None) -> None:
    env = _env(tmp_path)
    _policy(env, f'server_url = "{server.url}"\nshared_computer = false\n')
    result = _run(["--json"], env, secret_service=True, notifications=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(_statuses(result).values()) == {"ok"}, result.stdout
    assert "来自机器策略" in _checks(result)["server"]["detail"]
    human = _run(["--lang", "en"], env, secret_service=True)
    assert human.returncode == 0, human.stdout
    assert "[WARN] notifications" in human.stdout, "no notification daemon: a warning only"
    assert human.stdout.rstrip().endswith("self-test passed")


def test_tls_is_verified_against_the_company_ca(
        tmp_path: Path, tls_server: tuple[str, Path]) -> None:
    url, ca = tls_server
    env = _env(tmp_path)
    untrusted = _run(["--json", "--lang", "en", "--server", url], env)
    statuses = _statuses(untrusted)
    assert (statuses["server"], statuses["tls"], statuses["protocol"]) == ("ok", "fail", "skip")
    assert "is not trusted" in _checks(untrusted)["tls"]["detail"]
    _policy(env, f'ca_bundle = "{ca}"\n')
    trusted = _run(["--json", "--lang", "en", "--server", url], env)
    checks = _checks(trusted)
    assert checks["tls"]["status"] == "ok", trusted.stdout
    assert str(ca) in checks["tls"]["detail"]
    assert checks["protocol"]["status"] == "ok"


def test_a_server_that_is_not_kefudesk_fails_the_protocol_check(tmp_path: Path) -> None:
    import http.server
    import threading

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        result = _run(["--json", "--server", f"http://127.0.0.1:{web.server_port}"],
                      _env(tmp_path))
    finally:
        web.shutdown()
    statuses = _statuses(result)
    assert (statuses["server"], statuses["protocol"]) == ("ok", "fail")
    assert result.returncode == 1

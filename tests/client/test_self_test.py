"""`kefudesk --self-test`: one line per check, exit 0 only when every check passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.support.pg import free_port
from tests.support.server_proc import ServerProcess


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_RUNTIME"))}
    env.update(KEFU_DATA_DIR=str(tmp_path / "data"), KEFU_CONFIG_DIR=str(tmp_path / "config"),
               HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def _self_test(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "app.main", "--self-test", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env,
                          cwd=Path(__file__).parents[2])


def test_unreachable_server_and_missing_keyring_fail_by_name(tmp_path: Path) -> None:
    result = _self_test(["--server", f"http://127.0.0.1:{free_port()}"], _env(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[FAIL] server" in result.stdout
    assert "[ OK ] data directory" in result.stdout
    assert "[ OK ] Qt and CJK font" in result.stdout
    assert "self-test FAILED" in result.stdout


def test_a_bad_settings_file_is_named(tmp_path: Path, server: ServerProcess) -> None:
    env = _env(tmp_path)
    config = Path(env["KEFU_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "settings.json").write_text('{"server_url": 42, "colour": "red"}', "utf-8")
    result = _self_test(["--server", server.url], env)
    assert result.returncode == 1
    assert "[FAIL] configuration" in result.stdout
    assert "server_url should be str" in result.stdout
    assert "unknown setting 'colour'" in result.stdout


def test_everything_passes_on_a_configured_workstation(tmp_path: Path,
                                                       server: ServerProcess) -> None:
    if shutil.which("dbus-run-session") is None or shutil.which("gnome-keyring-daemon") is None:
        if IN_CI:
            pytest.fail("gnome-keyring missing: scripts/bootstrap.sh test installs it")
        pytest.skip("no Secret Service here; ./test.sh installs gnome-keyring")
    env = _env(tmp_path)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    wrap = ["dbus-run-session", "--", "bash", "-c",
            "echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
            "exec \"$0\" \"$@\""]
    command = [*wrap, sys.executable, "-m", "app.main", "--self-test", "--server", server.url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env,
                            cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("[ OK ]") == 6
    assert "self-test passed" in result.stdout

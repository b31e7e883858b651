"""The refresh token lives in a real Secret Service (gnome-keyring), in no file (H1.2, H1.9)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

_TOOLS = ("dbus-run-session", "gnome-keyring-daemon")


def test_token_in_gnome_keyring_and_in_no_file(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        if IN_CI:
            pytest.fail(f"missing {missing}: scripts/bootstrap.sh test installs gnome-keyring")
        pytest.skip(f"no Secret Service here ({missing}); ./test.sh installs gnome-keyring")
    company = world.company()
    agent = world.agent(company)
    home = tmp_path / "home"
    home.mkdir()
    script = (
        'echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && '
        f'"{sys.executable}" -m tests.support.keyring_check "$@"'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_RUNTIME"))}
    env.update(HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring")
    result = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script, "keyring-check", server.url,
         agent.account, PASSWORD, str(tmp_path / "data")],
        capture_output=True, text=True, timeout=120, env=env, cwd=Path(__file__).parents[2],
    )
    assert "KEYRING-CHECK-OK" in result.stdout, result.stdout + result.stderr
    assert "SecretService" in result.stdout

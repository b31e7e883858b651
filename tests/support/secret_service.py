"""Runs a module inside its own D-Bus session with an unlocked gnome-keyring (a real Secret
Service), for the tests about what the keyring holds and what reaches the disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("dbus-run-session", "gnome-keyring-daemon", "secret-tool")


def require_secret_service() -> None:
    """Fails in CI (./test.sh installs them), skips on a developer machine without them."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        if IN_CI:
            pytest.fail(f"missing {missing}: scripts/bootstrap.sh test installs gnome-keyring")
        pytest.skip(f"no Secret Service here ({missing}); ./test.sh installs gnome-keyring")


def run_in_keyring_session(module: str, args: list[str], home: Path,
                           timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`python -m module *args` with HOME (and the XDG folders) under `home`."""
    home.mkdir(parents=True, exist_ok=True)
    script = (
        'echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && '
        f'"{sys.executable}" -m {module} "$@"'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_RUNTIME"))}
    env.update(HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring",
               QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"))
    return subprocess.run(["dbus-run-session", "--", "bash", "-c", script, module, *args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)

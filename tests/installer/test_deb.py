"""The .deb on this machine: install, self-test against a server, upgrade keeping user data,
remove, purge (issue 4). Needs root and dpkg, as CI has."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import SOUNDS
from tests.conftest import IN_CI
from tests.support.server_proc import ServerProcess

ROOT = Path(__file__).resolve().parents[2]


def _require_root_dpkg() -> None:
    problem = None
    if os.geteuid() != 0:
        problem = "installing a .deb needs root"
    elif shutil.which("dpkg") is None or shutil.which("dbus-run-session") is None:
        problem = "dpkg or dbus-run-session missing"
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)


def _build(version: str) -> Path:
    result = subprocess.run([sys.executable, "installer/build.py", "deb", "--version", version],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return Path(result.stdout.strip().splitlines()[-1])


def _installed_version() -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status} ${Version}", "kefudesk"],
                         capture_output=True, text=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def debs() -> Iterator[tuple[Path, Path]]:
    _require_root_dpkg()
    subprocess.run(["dpkg", "--purge", "kefudesk"], capture_output=True)
    bundle = subprocess.run([sys.executable, "installer/build.py", "bundle"], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    assert bundle.returncode == 0, bundle.stdout[-3000:] + bundle.stderr[-3000:]
    first = _build("0.1.0")
    second = _build("0.1.1")
    yield first, second
    subprocess.run(["dpkg", "--purge", "kefudesk"], capture_output=True)


@pytest.fixture(scope="module")
def deb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("deb-server")
    proc = ServerProcess(f"sqlite:///{directory / 'server.db'}").start()
    yield proc
    proc.stop()


def _self_test(home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DBUS_", "XDG_RUNTIME", "KEFU_"))}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen")
    script = ("echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
              " && /usr/bin/kefudesk --self-test --json")
    return subprocess.run(["dbus-run-session", "--", "bash", "-c", script], env=env,
                          capture_output=True, text=True, timeout=120, cwd="/")


def test_install_self_test_upgrade_remove_purge(
    debs: tuple[Path, Path], deb_server: ServerProcess, tmp_path: Path
) -> None:
    first, second = debs
    home = tmp_path / "home"
    home.mkdir()
    install = subprocess.run(["dpkg", "-i", str(first)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    assert _installed_version() == "install ok installed 0.1.0"
    assert Path("/opt/kefudesk/kefudesk").exists()
    # The alert sounds sit next to the executable, where app.ui.notifier looks (H10.1).
    sounds = {p.name for p in Path("/opt/kefudesk/sounds").glob("*.wav")}
    assert sounds == {f"{name}.wav" for name in SOUNDS}, sounds
    assert Path("/usr/share/applications/kefudesk.desktop").exists()
    assert Path("/usr/share/icons/hicolor/256x256/apps/kefudesk.png").exists()
    if shutil.which("desktop-file-validate"):
        valid = subprocess.run(["desktop-file-validate",
                                "/usr/share/applications/kefudesk.desktop"],
                               capture_output=True, text=True)
        assert valid.returncode == 0, valid.stdout + valid.stderr
    # IT pre-configures the machine with the installed app's own command, then checks it.
    written = subprocess.run(["/usr/bin/kefudesk", "--write-deploy-config",
                              f"server_url={deb_server.url}", "locked=server_url"],
                             capture_output=True, text=True, timeout=60,
                             env={k: v for k, v in os.environ.items() if not k.startswith("KEFU_")})
    assert written.returncode == 0, written.stderr
    assert Path("/etc/kefudesk/deploy.toml").exists()
    checked = _self_test(home)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["passed"] and report["version"] == "0.1.0"
    server = next(c for c in report["checks"] if c["id"] == "server")
    assert server["status"] == "ok" and deb_server.url in server["detail"]
    # The agent's data and settings, written by the installed app, survive an upgrade.
    data = home / ".local" / "share" / "KefuDesk"
    settings = home / ".config" / "KefuDesk" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('{"language": "en"}', encoding="utf-8")
    assert data.exists(), "the self-test created the data directory"
    marker = data / "profiles" / "keep-me.txt"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("agent data", encoding="utf-8")
    upgrade = subprocess.run(["dpkg", "-i", str(second)], capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    assert _installed_version() == "install ok installed 0.1.1"
    assert marker.read_text(encoding="utf-8") == "agent data"
    assert settings.read_text(encoding="utf-8") == '{"language": "en"}'
    assert _self_test(home).returncode == 0, "the machine policy survives the upgrade"
    version = subprocess.run(["/usr/bin/kefudesk", "--version"], capture_output=True, text=True)
    assert version.stdout.strip() == "KefuDesk 0.1.0", "the app reports the project version"
    removed = subprocess.run(["dpkg", "-r", "kefudesk"], capture_output=True, text=True)
    assert removed.returncode == 0, removed.stderr
    assert not Path("/opt/kefudesk").exists() and not Path("/usr/bin/kefudesk").exists()
    assert Path("/etc/kefudesk/deploy.toml").exists(), "remove keeps machine config"
    assert marker.exists(), "removing the package never touches user data"
    purged = subprocess.run(["dpkg", "--purge", "kefudesk"], capture_output=True, text=True)
    assert purged.returncode == 0, purged.stderr
    assert not Path("/etc/kefudesk").exists(), "purge removes machine config"

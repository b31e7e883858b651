"""Package figures: bundle and .deb size, build and install time, start installed vs source.

    sudo .venv/bin/python -m bench.package_bench [--runs 7] [--no-build]

Builds the PyInstaller bundle and the .deb (unless --no-build finds them), installs the .deb
with dpkg (root), then starts the app from the package (/usr/bin/kefudesk) and from the source
tree (.venv/bin/kefudesk), alternating, on a private Xvfb screen: "start" is process spawn until
the login window is mapped (xdotool), each run with an empty data and config dir. Prints one
table with medians and the installed/source ratio. Leaves the package installed as it found it
(purged if it was not installed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "bundle" / "kefudesk"
WINDOW_NAME = "客服台"  # the login window's title begins 登录 · 客服台


def _version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _timed(command: list[str], **kwargs: object) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - started


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


@contextmanager
def xvfb() -> Iterator[str]:
    """A private X screen; yields its DISPLAY."""
    for number in range(170, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            break
    display = f":{number}"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)
        yield display
    finally:
        proc.terminate()
        proc.wait(10)


def _window_up(display: str) -> bool:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", WINDOW_NAME],
                           capture_output=True, text=True, env={**os.environ, "DISPLAY": display})
    return found.returncode == 0 and bool(found.stdout.strip())


def start_time(executable: str, display: str) -> float:
    """Seconds from spawn to the login window on screen; the app is then terminated."""
    with tempfile.TemporaryDirectory(prefix="kefu-start-") as home:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("KEFU_", "DBUS_", "XDG_RUNTIME", "QT_QPA"))}
        env.update(HOME=home, DISPLAY=display, KEFU_POLICY_FILE=f"{home}/deploy.toml")
        started = time.perf_counter()
        proc = subprocess.Popen([executable, "--server", "http://127.0.0.1:9"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=home)
        try:
            while not _window_up(display):
                if proc.poll() is not None:
                    raise RuntimeError(f"{executable} exited with {proc.returncode}")
                if time.perf_counter() - started > 60:
                    raise RuntimeError(f"{executable}: no window within 60 s")
                time.sleep(0.01)
            return time.perf_counter() - started
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _installed() -> bool:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "kefudesk"], capture_output=True,
                         text=True)
    return "ok installed" in out.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="start-up runs per variant")
    parser.add_argument("--installs", type=int, default=3)
    parser.add_argument("--no-build", action="store_true", help="reuse dist/ if present")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("package_bench installs a .deb: run it as root")
    for tool in ("dpkg", "Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"package_bench needs {tool} (Debian: xvfb, xdotool)")
    version = _version()
    deb = ROOT / "dist" / f"kefudesk_{version}_amd64.deb"
    build = [sys.executable, "installer/build.py"]
    rows: list[tuple[str, str]] = []
    if not (args.no_build and BUNDLE.is_dir()):
        shutil.rmtree(BUNDLE, ignore_errors=True)
        rows.append(("bundle build (PyInstaller)", f"{_timed([*build, 'bundle'], cwd=ROOT):.1f} s"))
    if not (args.no_build and deb.is_file()):
        rows.append(("deb build (zstd)", f"{_timed([*build, 'deb'], cwd=ROOT):.1f} s"))
    rows.append(("bundle size (dist/bundle/kefudesk)", f"{_size(BUNDLE) / 2**20:.0f} MiB"))
    rows.append((".deb size", f"{deb.stat().st_size / 2**20:.1f} MiB"))
    was_installed = _installed()
    installs = []
    for _ in range(args.installs):
        subprocess.run(["dpkg", "--purge", "kefudesk"], capture_output=True, check=False)
        installs.append(_timed(["dpkg", "-i", str(deb)]))
    rows.append((f"dpkg -i, median of {len(installs)}", f"{statistics.median(installs):.2f} s"))
    installed_mib = _size(Path("/opt/kefudesk")) / 2**20
    rows.append(("installed size (/opt/kefudesk)", f"{installed_mib:.0f} MiB"))
    source = str(ROOT / ".venv" / "bin" / "kefudesk")
    times: dict[str, list[float]] = {"installed": [], "source": []}
    with xvfb() as display:
        start_time(source, display)  # warm the page cache for both before measuring
        start_time("/usr/bin/kefudesk", display)
        for _ in range(args.runs):
            times["installed"].append(start_time("/usr/bin/kefudesk", display))
            times["source"].append(start_time(source, display))
    medians = {k: statistics.median(v) for k, v in times.items()}
    for name in ("installed", "source"):
        spread = f"{min(times[name]):.2f}–{max(times[name]):.2f}"
        rows.append((f"start → login window, {name} (median of {args.runs}; range)",
                     f"{medians[name]:.2f} s ({spread})"))
    ratio = medians["installed"] / medians["source"]
    rows.append(("installed / source start ratio", f"{ratio:.2f}"))
    if not was_installed:
        subprocess.run(["dpkg", "--purge", "kefudesk"], capture_output=True, check=False)
    width = max(len(metric) for metric, _ in rows)
    print(f"{'metric':<{width}}  value   (KefuDesk {version})")
    for metric, value in rows:
        print(f"{metric:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Builds the desktop package: `python installer/build.py bundle | deb | nsis [--version V]`.

bundle → dist/bundle/kefudesk/ (PyInstaller one-folder, for the OS it runs on),
deb → dist/kefudesk_<version>_amd64.deb, nsis → dist/kefudesk-<version>-setup.exe (Windows
installer around the Windows bundle; `--placeholder` compiles it around a stand-in, e.g. in CI).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUNDLE = DIST / "bundle" / "kefudesk"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
NSIS_SCRIPT = ROOT / "installer" / "windows" / "kefudesk.nsi"
MAC_BUNDLE_ID = "com.example.kefudesk"

# What Qt's xcb platform plugin and the app need on a desktop, plus a Chinese font.
DEB_DEPENDS = (
    "libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-image0, libxcb-render-util0, "
    "libxkbcommon-x11-0, libegl1, libgl1, libfontconfig1, libdbus-1-3, "
    "fonts-noto-cjk | fonts-wqy-microhei | fonts-droid-fallback"
)


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def build_bundle() -> Path:
    """The PyInstaller one-folder bundle of the desktop app (demo server included)."""
    work = ROOT / "build" / "pyinstaller"
    args = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--onedir", "--name", "kefudesk",
        "--distpath", str(BUNDLE.parent), "--workpath", str(work), "--specpath", str(work),
        "--paths", str(ROOT),
        "--collect-submodules", "app", "--collect-submodules", "server",
        "--collect-submodules", "kefu_protocol", "--collect-submodules", "uvicorn",
        "--collect-data", "server",
        "--hidden-import", "sqlalchemy.dialects.sqlite",
        # The encrypted cache (H11.3): SQLCipher's extension module with its bundled SQLite.
        "--hidden-import", "sqlcipher3.dbapi2", "--collect-binaries", "sqlcipher3",
        "--hidden-import", "sqlalchemy.dialects.postgresql.psycopg",
        "--collect-submodules", "keyring", "--copy-metadata", "keyring",
        "--collect-submodules", "secretstorage", "--collect-submodules", "jeepney",
        "--copy-metadata", "kefudesk", "--exclude-module", "tkinter",
        *platform_options(),
        str(ROOT / "installer" / "kefudesk_entry.py"),
    ]
    subprocess.run(args, check=True, cwd=ROOT)
    shutil.copy2(ROOT / "resources" / "icons" / "kefudesk.svg", BUNDLE / "kefudesk.svg")
    # The alert sounds (H10.1): app.ui.notifier.resource_path looks for
    # <folder of the executable>/sounds/<name>.wav in a packaged app.
    shutil.copytree(ROOT / "resources" / "sounds", BUNDLE / "sounds", dirs_exist_ok=True)
    return BUNDLE


def platform_options() -> list[str]:
    """PyInstaller options for the OS it runs on (PyInstaller builds for that OS only)."""
    icons = ROOT / "build" / "icons"
    if sys.platform == "win32":  # started from the menu: no console; from cmd: IT sees output
        return ["--hide-console", "hide-early", "--icon", str(write_ico(icons / "kefudesk.ico"))]
    if sys.platform == "darwin":
        icns = icons / "kefudesk.icns"
        icns.parent.mkdir(parents=True, exist_ok=True)
        icns.write_bytes(rendered_icons((1024,), "ICNS")[1024])
        identity = os.environ.get("KEFU_CODESIGN_IDENTITY")  # signs with hardened runtime
        return ["--windowed", "--osx-bundle-identifier", MAC_BUNDLE_ID, "--icon", str(icns),
                *(["--codesign-identity", identity] if identity else [])]
    return []


def rendered_icons(sizes: Iterable[int], fmt: str = "PNG") -> dict[int, bytes]:
    """The project's SVG icon rendered at each size, as image files' bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(ROOT / "resources" / "icons" / "kefudesk.svg"))
    images: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, fmt):
            raise RuntimeError(f"Qt cannot write {fmt} images")
        images[size] = bytes(buffer.data())
    del app
    return images


def render_icons(target: Path) -> None:
    """hicolor PNGs rendered from the project's SVG icon."""
    for size, png in rendered_icons(ICON_SIZES).items():
        folder = target / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kefudesk.png").write_bytes(png)
    scalable = target / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "resources" / "icons" / "kefudesk.svg", scalable / "kefudesk.svg")


def write_ico(target: Path) -> Path:
    """A Windows .ico holding one PNG per size (Windows Vista and later read PNG entries)."""
    pngs = rendered_icons(ICON_SIZES)
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in pngs.items():  # width and height 0 mean 256
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png),
                               offset + len(blobs))
        blobs += png
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(struct.pack("<HHH", 0, 1, len(pngs)) + entries + blobs)
    return target


def build_deb(version: str) -> Path:
    """dist/kefudesk_<version>_amd64.deb around the bundle (built first if missing)."""
    if not (BUNDLE / "kefudesk").exists():
        build_bundle()
    stage = ROOT / "build" / "deb" / f"kefudesk_{version}"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "DEBIAN").mkdir(parents=True)
    shutil.copytree(BUNDLE, stage / "opt" / "kefudesk", symlinks=True)
    launcher = stage / "usr" / "bin" / "kefudesk"
    launcher.parent.mkdir(parents=True)
    launcher.write_text('#!/bin/sh\nexec /opt/kefudesk/kefudesk "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    applications = stage / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy2(ROOT / "installer" / "linux" / "kefudesk.desktop", applications)
    render_icons(stage / "usr" / "share" / "icons" / "hicolor")
    size_kb = sum(f.stat().st_size for f in stage.rglob("*") if f.is_file()) // 1024
    control = (
        f"Package: kefudesk\nVersion: {version}\nArchitecture: amd64\n"
        "Maintainer: KefuDesk team <kefudesk@example.com>\nSection: net\nPriority: optional\n"
        f"Installed-Size: {size_kb}\nDepends: {DEB_DEPENDS}\n"
        "Recommends: gnome-keyring\n"
        "Description: KefuDesk (客服台) customer-service workstation\n"
        " Desktop client for e-commerce customer-service agents: chat with customers,\n"
        " hand over shifts, keep working offline. Syncs with a KefuDesk server.\n"
    )
    (stage / "DEBIAN" / "control").write_text(control, encoding="utf-8")
    postrm = "#!/bin/sh\nset -e\nif [ \"$1\" = purge ]; then rm -rf /etc/kefudesk; fi\n"
    (stage / "DEBIAN" / "postrm").write_text(postrm, encoding="utf-8")
    (stage / "DEBIAN" / "postrm").chmod(0o755)
    DIST.mkdir(exist_ok=True)
    output = DIST / f"kefudesk_{version}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zzstd", "--build", str(stage),
                    str(output)], check=True, capture_output=True)
    return output


def placeholder_payload() -> Path:
    """A stand-in for the Windows bundle, so that the installer script compiles on Linux."""
    payload = ROOT / "build" / "nsis" / "placeholder" / "kefudesk"
    shutil.rmtree(payload, ignore_errors=True)
    (payload / "_internal").mkdir(parents=True)
    note = "PLACEHOLDER, not KefuDesk: build the real bundle on Windows (docs/install-windows.md)\n"
    for name in ("kefudesk.exe", "README.txt", "_internal/placeholder.txt"):
        (payload / name).write_text(note, encoding="utf-8")
    return payload


def nsis_payload_list(payload: Path, target: Path) -> Path:
    """NSIS lines removing the payload's top-level entries (so no `RMDir /r $INSTDIR`)."""
    entries = sorted(payload.iterdir()) if payload.is_dir() else []
    lines = [f'{"RMDir /r" if e.is_dir() else "Delete"} "$INSTDIR\\{e.name}"\n' for e in entries
             if "$" not in e.name and '"' not in e.name]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(lines), encoding="utf-8")
    return target


def windows_version(version: str) -> str:
    """A.B.C.D for Windows' version resource: 0.1.0 → 0.1.0.0, 1.2rc1 → 1.2.0.0."""
    match = re.match(r"\d+(?:\.\d+){0,3}", version)
    numbers = match.group().split(".") if match else []
    return ".".join((numbers + ["0"] * 4)[:4])


def find_makensis() -> str:
    """makensis on PATH (Debian: apt nsis), else where NSIS 3's Windows installer puts it."""
    found = shutil.which("makensis")
    default = Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"), "NSIS",
                   "makensis.exe")
    if found is None and sys.platform == "win32" and default.is_file():
        found = str(default)
    if found is None:
        raise SystemExit("build.py nsis: makensis not found; install NSIS 3 "
                         "(Debian: apt-get install nsis; Windows: https://nsis.sourceforge.io)")
    return found


def build_nsis(version: str, payload: Path, placeholder: bool = False,
               script: Path = NSIS_SCRIPT) -> Path:
    """dist/kefudesk-<version>-setup.exe: `script` compiled by makensis around `payload`."""
    work = ROOT / "build" / "nsis"
    output = DIST / f"kefudesk-{version}-setup.exe"
    defines = {"VERSION": version, "VIVERSION": windows_version(version),
               "PAYLOAD": payload.resolve(), "OUTFILE": output,
               "ICON": write_ico(work / "kefudesk.ico"),
               "PAYLOAD_LIST": nsis_payload_list(payload, work / "payload-files.nsh")}
    if placeholder:
        defines["PLACEHOLDER"] = "1"
    if os.environ.get("KEFU_SIGN"):  # signs the setup and the uninstaller inside it
        defines["SIGN"] = os.environ["KEFU_SIGN"]
    DIST.mkdir(exist_ok=True)
    output.unlink(missing_ok=True)
    args = [find_makensis(), "-V2", "-WX", "-INPUTCHARSET", "UTF8",
            *(f"-D{key}={value}" for key, value in defines.items()), str(script)]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"build.py nsis: makensis failed (exit {result.returncode}) on "
                         f"{script}:\n{(result.stdout + result.stderr).strip()[-3000:]}")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", choices=("bundle", "deb", "nsis"))
    parser.add_argument("--version", default=project_version())
    parser.add_argument("--placeholder", action="store_true",
                        help="nsis: around a stand-in payload (Linux CI has no Windows bundle)")
    parser.add_argument("--payload", type=Path, help="nsis: bundle folder (default dist/bundle/"
                        "kefudesk, or the stand-in with --placeholder)")
    args = parser.parse_args(argv)
    if args.target == "bundle":
        print(build_bundle())
    elif args.target == "deb":
        print(build_deb(args.version))
    else:
        payload = args.payload or (placeholder_payload() if args.placeholder else BUNDLE)
        print(build_nsis(args.version, payload, placeholder=args.placeholder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

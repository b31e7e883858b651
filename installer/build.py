"""Builds the desktop package: `python installer/build.py bundle | deb [--version V]`.

bundle → dist/bundle/kefudesk/ (PyInstaller one-folder), deb → dist/kefudesk_<version>_amd64.deb
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUNDLE = DIST / "bundle" / "kefudesk"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)

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
        "--hidden-import", "sqlalchemy.dialects.postgresql.psycopg",
        "--collect-submodules", "keyring", "--copy-metadata", "keyring",
        "--collect-submodules", "secretstorage", "--collect-submodules", "jeepney",
        "--copy-metadata", "kefudesk", "--exclude-module", "tkinter",
        str(ROOT / "installer" / "kefudesk_entry.py"),
    ]
    subprocess.run(args, check=True, cwd=ROOT)
    shutil.copy2(ROOT / "resources" / "icons" / "kefudesk.svg", BUNDLE / "kefudesk.svg")
    return BUNDLE


def render_icons(target: Path) -> None:
    """hicolor PNGs rendered from the project's SVG icon."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(ROOT / "resources" / "icons" / "kefudesk.svg"))
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        folder = target / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        image.save(str(folder / "kefudesk.png"))
    scalable = target / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "resources" / "icons" / "kefudesk.svg", scalable / "kefudesk.svg")
    del app


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", choices=("bundle", "deb"))
    parser.add_argument("--version", default=project_version())
    args = parser.parse_args(argv)
    if args.target == "bundle":
        print(build_bundle())
    else:
        print(build_deb(args.version))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The Windows installer (issue 4): installer/windows/kefudesk.nsi compiled by Debian's makensis
around a stand-in payload (a Windows bundle cannot be built on Linux), then opened with 7-Zip to
see what it would install. Running it needs Windows; docs/install-windows.md."""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
VERSION = "9.8.7"


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        problem = f"{tool} missing (Debian: apt-get install nsis p7zip-full)"
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)


def _build_py(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "installer/build.py", "nsis", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kefu_build", ROOT / "installer" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def setup_exe() -> Iterator[Path]:
    _require("makensis")
    result = _build_py("--placeholder", "--version", VERSION)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path == ROOT / "dist" / f"kefudesk-{VERSION}-setup.exe"
    yield path
    path.unlink(missing_ok=True)


def _contents(setup_exe: Path) -> dict[str, str]:
    """Path → size of each file 7-Zip finds in the installer (it reads NSIS's data block)."""
    _require("7z")
    listing = subprocess.run(["7z", "l", "-slt", str(setup_exe)], capture_output=True,
                             text=True, timeout=60)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "Type = Nsis" in listing.stdout, "7-Zip recognises an NSIS installer"
    files: dict[str, str] = {}
    for block in listing.stdout.split("\n\n"):
        fields = dict(line.split(" = ", 1) for line in block.splitlines() if " = " in line)
        if "Path" in fields and "Size" in fields:
            files[fields["Path"]] = fields["Size"]
    return files


def test_is_a_windows_executable_with_version_and_chinese_text(setup_exe: Path) -> None:
    data = setup_exe.read_bytes()
    assert data[:2] == b"MZ"
    pe_offset = struct.unpack_from("<I", data, 0x3C)[0]
    assert data[pe_offset:pe_offset + 4] == b"PE\0\0"
    machine = struct.unpack_from("<H", data, pe_offset + 4)[0]
    assert machine in (0x14C, 0x8664), "an x86 or x64 Windows program"
    # The version resource carries --version, and the UTF-8 script's Chinese survived.
    assert VERSION.encode("utf-16-le") in data
    assert "KefuDesk (客服台) setup".encode("utf-16-le") in data


def test_holds_the_payload_the_icon_and_an_uninstaller(setup_exe: Path) -> None:
    files = _contents(setup_exe)
    payload = ROOT / "build" / "nsis" / "placeholder" / "kefudesk"
    for name in ("kefudesk.exe", "README.txt", "_internal/placeholder.txt"):
        assert files.get(name) == str((payload / name).stat().st_size), (name, files)
    assert "kefudesk.ico" in files, "the shortcuts' icon is installed"
    assert "uninstall.exe" in files, "WriteUninstaller generated the uninstaller"
    # Plugins the script needs at run time: the deploy-config step, the admin check.
    assert {"$PLUGINSDIR/nsExec.dll", "$PLUGINSDIR/UserInfo.dll"} <= files.keys()
    extracted = subprocess.run(["7z", "e", "-so", str(setup_exe), "kefudesk.exe"],
                               capture_output=True, timeout=60)
    assert extracted.stdout == (payload / "kefudesk.exe").read_bytes()


def test_the_uninstaller_removes_only_the_payloads_own_entries(tmp_path: Path) -> None:
    payload = tmp_path / "bundle"
    (payload / "_internal" / "PySide6").mkdir(parents=True)
    (payload / "kefudesk.exe").write_bytes(b"MZ")
    lines = _build_module().nsis_payload_list(payload, tmp_path / "list.nsh").read_text()
    assert lines.splitlines() == ['RMDir /r "$INSTDIR\\_internal"',
                                  'Delete "$INSTDIR\\kefudesk.exe"']
    script = (ROOT / "installer" / "windows" / "kefudesk.nsi").read_text(encoding="utf-8")
    assert 'RMDir /r "$INSTDIR"' not in script, "/D=C:\\Tools must not lose C:\\Tools"


def test_kefu_sign_signs_the_setup_and_the_uninstaller_inside(tmp_path: Path) -> None:
    _require("makensis")
    signed = tmp_path / "signed.txt"
    signer = tmp_path / "sign.py"  # stands in for signtool: notes each file it is handed
    signer.write_text(
        "import sys\n"
        f"with open({str(signed)!r}, 'a') as log, open(sys.argv[1], 'rb') as exe:\n"
        "    log.write(f'{exe.read(2).decode()} {sys.argv[1]}\\n')\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "installer/build.py", "nsis", "--placeholder", "--version", "9.9.7"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "KEFU_SIGN": f'"{sys.executable}" "{signer}"'})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = signed.read_text().splitlines()
    setup = ROOT / "dist" / "kefudesk-9.9.7-setup.exe"
    assert len(lines) == 2 and all(line.startswith("MZ ") for line in lines), lines
    assert f"MZ {setup}" in lines, "the finished setup is signed"
    setup.unlink()


def test_a_missing_bundle_fails_the_build_naming_it(tmp_path: Path) -> None:
    _require("makensis")
    missing = tmp_path / "no-bundle-here"
    result = _build_py("--payload", str(missing), "--version", "9.9.9")
    assert result.returncode != 0
    assert "makensis failed" in result.stderr
    assert f"No Windows bundle at {missing}" in result.stderr, result.stderr
    assert not (ROOT / "dist" / "kefudesk-9.9.9-setup.exe").exists()


def test_a_script_error_is_reported_with_its_line(tmp_path: Path) -> None:
    _require("makensis")
    build = _build_module()
    broken = tmp_path / "broken.nsi"
    broken.write_text('Unicode true\nOutFile "${OUTFILE}"\nSection\n  NoSuchCommand "x"\n'
                      "SectionEnd\n", encoding="utf-8")
    with pytest.raises(SystemExit) as failed:
        build.build_nsis("9.9.8", build.placeholder_payload(), script=broken)
    message = str(failed.value)
    assert f"makensis failed (exit 1) on {broken}" in message
    assert "NoSuchCommand" in message and "line 4" in message, message

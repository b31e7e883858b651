"""`kefudesk`: the composition root — arguments, logging, Qt + qasync, demo mode, self-test."""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from app.config import Config, config_path, data_root


def app_version() -> str:
    try:
        return package_version("kefudesk")
    except PackageNotFoundError:
        return "0.0.0"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kefudesk", description="KefuDesk 客服台")
    parser.add_argument("--demo", action="store_true",
                        help="start an embedded server with demo data and simulated customers")
    parser.add_argument("--server", help="use this server for this run (overrides settings)")
    parser.add_argument("--self-test", action="store_true", help="check this workstation, exit")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--lang", choices=("zh", "en"), help="interface language for this run")
    return parser


def setup_logging(directory: Path) -> None:
    """Rotating log in the data dir; the code never logs passwords or tokens."""
    directory.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        directory / "kefudesk.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    for noisy in ("urllib3", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.version:
        print(f"KefuDesk {app_version()}")
        return 0
    root = data_root()
    setup_logging(root / "logs")
    config = Config(config_path())
    if args.self_test:
        from app.selftest import run_self_test
        from app.ui.app import qt_and_font_check

        return run_self_test(config, server_override=args.server, data_dir=root,
                             gui_check=qt_and_font_check)
    return _run_gui(args, config, root)


def _run_gui(args: argparse.Namespace, config: Config, root: Path) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.ui.app import build_application

    demo = None
    server_url = args.server or config.get("server_url")
    if args.demo:
        from app.demo import DemoBackend

        demo = DemoBackend(root / "demo")
        server_url = demo.start()
    qt_app = QApplication.instance() or QApplication(sys.argv)
    language = args.lang or config.get("language")
    try:
        flow = build_application(qt_app, config=config, server_url=server_url, data_dir=root,
                                 language=language, demo=demo is not None)
        if flow is None:
            return 2

        async def run() -> None:
            flow.start()
            done = asyncio.Event()
            qt_app.aboutToQuit.connect(done.set)
            await done.wait()

        qasync.run(run())
        flow.close()
        return 0
    finally:
        if demo is not None:
            demo.stop()


if __name__ == "__main__":
    raise SystemExit(main())

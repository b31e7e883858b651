"""`kefudesk`: the composition root — arguments, logging, Qt + qasync, demo mode, self-test."""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import sys
from pathlib import Path

from app import logs
from app.config import Config, config_path, data_root
from app.i18n import Tr, problem_text
from app.policy import default_policy_path, load_policy, write_policy
from app.services.session_rules import SessionLog
from app.version import app_version

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kefudesk", description="KefuDesk 客服台")
    parser.add_argument("--demo", action="store_true",
                        help="start an embedded server with demo data and simulated customers")
    parser.add_argument("--server", help="use this server for this run (overrides settings)")
    parser.add_argument("--self-test", action="store_true", help="check this workstation, exit")
    parser.add_argument("--json", action="store_true", help="with --self-test: print JSON")
    parser.add_argument("--write-deploy-config", nargs="+", metavar="KEY=VALUE",
                        help="(installers, IT) merge these values into the machine policy, exit")
    parser.add_argument("--policy-file", type=Path,
                        help="machine policy file to use instead of the system one")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--lang", choices=("zh", "en"), help="interface language for this run")
    return parser


def setup_logging(directory: Path, level: str, *, shared: bool = False) -> None:
    """The structured, redacted log of app.logs (H10.3). On a shared computer (H1.8) each
    session logs to its own file, deleted when the session ends."""
    logs.setup_logging(directory, level, handler=SessionLog(directory) if shared else None)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.version:
        print(f"KefuDesk {app_version()}")
        return 0
    policy_path = args.policy_file or default_policy_path()
    if args.write_deploy_config:
        return _write_deploy_config(policy_path, args.write_deploy_config, args.lang)
    config = Config(config_path(), load_policy(policy_path))
    root = data_root()
    setup_logging(root / "logs", config.get("log_level"),
                  shared=bool(config.get("shared_computer")))
    log.info("KefuDesk %s starting: Python %s on %s, policy %s (%s)", app_version(),
             platform.python_version(), platform.platform(), policy_path,
             "found" if config.policy.exists else "none")
    for problem in config.problems:
        log.warning("configuration problem: %s", problem)
    if args.self_test:
        from app.selftest import run_self_test
        from app.ui.app import gui_self_checks

        tr = Tr(args.lang or config.get("language"))
        return run_self_test(config, server_override=args.server, data_dir=root, tr=tr,
                             gui_checks=gui_self_checks(tr), as_json=args.json,
                             version=app_version())
    return _run_gui(args, config, root)


def _write_deploy_config(path: Path, pairs: list[str], language: str | None) -> int:
    """Exit 0 once written; 2 with each problem printed (the file is left as it was)."""
    tr = Tr(language or "zh")
    try:
        problems = write_policy(path, pairs)
    except OSError as exc:
        print(tr("config.unreadable", source=str(path), error=exc.strerror or str(exc)),
              file=sys.stderr)
        return 2
    for problem in problems:
        print(problem_text(tr, problem), file=sys.stderr)
    if not problems:
        print(path)
    return 2 if problems else 0


def _run_gui(args: argparse.Namespace, config: Config, root: Path) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.ui.app import build_application
    from app.ui.crash import loop_exception_handler

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

        async def run() -> None:
            # an asyncio task's unretrieved error reaches the crash handler (H1.13)
            asyncio.get_running_loop().set_exception_handler(loop_exception_handler)
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

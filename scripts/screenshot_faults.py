"""Issue 9 screenshots: a desk whose clock is a day ahead of the server; signing in without a
keyring. Needs libfaketime (scripts/bootstrap.sh test installs it).

    PYTHONPATH=. xvfb-run -a -s "-screen 0 1440x900x24" \
        .venv/bin/python scripts/screenshot_faults.py DIR
"""

from __future__ import annotations

import asyncio
import glob
import sys
import tempfile
from pathlib import Path

import keyring.backends.fail
import qasync
from PySide6.QtWidgets import QApplication

from tests.support.api import VisitorClient
from tests.support.qt_async import App, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


async def _shots(server: ServerProcess, world: World, out: Path) -> None:
    company = world.company()
    agent = world.agent(company, name="王晓敏")
    for nickname, text in (("小鱼儿", "请问今天能发货吗？"), ("阿青", "优惠券怎么用")):
        VisitorClient(server.url, nickname, company=company.domain).send(text)
    desk = App(server.url, Path(tempfile.mkdtemp(prefix="kefu-shot-")))
    window = await desk.sign_in(agent.account, PASSWORD)
    await until(lambda: window.list_model.rowCount() == 2)
    window.resize(1280, 800)
    window.show()
    await asyncio.sleep(1.0)
    window.grab().save(str(out / "clock-day-ahead.png"))
    desk.close()
    bare = App(server.url, Path(tempfile.mkdtemp(prefix="kefu-shot-")),
               keyring_backend=keyring.backends.fail.Keyring())
    bare.flow.start()
    await asyncio.sleep(0.8)
    bare.flow.login.grab().save(str(out / "login-no-keyring.png"))
    bare.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    faketime = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    if not faketime:
        print("libfaketime missing: scripts/bootstrap.sh test installs it", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="kefu-shot-server-"))
    server = ServerProcess(f"sqlite:///{folder / 'server.db'}", env={
        "LD_PRELOAD": faketime[0], "FAKETIME": "-1d", "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
    server.start()
    world = World(server.database_url)
    app = QApplication.instance() or QApplication(sys.argv)
    QApplication.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_shots(server, world, out))
    finally:
        world.close()
        server.stop()
    print(f"saved to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

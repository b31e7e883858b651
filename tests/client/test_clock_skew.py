"""A desk whose clock is a day off: the agent is told, and waiting times use the server's time.

Issue 9 (bad input): waiting times and response-time alerts (H8.1, H8.2) compare the server's
timestamps with "now"; with the desk's clock a day ahead every customer looked a day late.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from pytestqt.qtbot import QtBot

from app.i18n import Tr
from app.sync.clock import ServerClock
from app.ui.conversation_list import ROW_ROLE
from app.ui.status_area import clock_amount
from tests.conftest import IN_CI
from tests.support.api import VisitorClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

DAY = 24 * 3600.0


def _date(at: float) -> str:
    return email.utils.formatdate(at, usegmt=True)


def test_the_offset_comes_from_date_headers_and_ignores_rounding_and_garbage() -> None:
    clock = ServerClock()
    assert not clock.known and clock.off_by() is None
    clock.observe("not a date", 1000.0, 1000.2)
    clock.observe(None, 1000.0, 1000.2)
    assert not clock.known, "a malformed Date header teaches nothing"
    local = 1_800_000_000.0
    clock.observe(_date(local - DAY), local, local + 0.2)
    assert clock.skew == pytest.approx(-DAY, abs=1.5)
    first = clock.skew
    clock.observe(_date(local - DAY + 1), local + 0.4, local + 0.6)  # whole-second rounding
    assert clock.skew == first
    clock.observe(_date(local + 600), local, local + 0.1)  # IT fixed the clock: follow it
    assert clock.skew == pytest.approx(600, abs=1.5)
    tr = Tr("zh")
    assert clock_amount(tr, DAY + 2 * 3600) == "1 天 2 小时"
    assert clock_amount(tr, 3 * 3600 + 5 * 60) == "3 小时 5 分钟"
    assert clock_amount(Tr("en"), 12 * 60) == "12 min"


@pytest.fixture(scope="module")
def day_behind() -> Iterator[ServerProcess]:
    """A real server whose clock (timestamps, Date headers) runs a day behind this desk's."""
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    if not found:
        if IN_CI:
            pytest.fail("libfaketime missing: scripts/bootstrap.sh test installs it")
        pytest.skip("no libfaketime here; ./test.sh installs it")
    directory = Path(tempfile.mkdtemp(prefix="kefu-clock-"))
    proc = ServerProcess(f"sqlite:///{directory / 'server.db'}", env={
        "LD_PRELOAD": found[0], "FAKETIME": "-1d", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}).start()
    yield proc
    proc.stop()


def test_a_desk_clock_a_day_ahead_is_named_and_customers_are_not_shown_a_day_late(
    qtbot: QtBot, aloop: qasync.QEventLoop, day_behind: ServerProcess, tmp_path: Path
) -> None:
    world = World(day_behind.database_url)
    company = world.company()
    agent = world.agent(company)
    app = App(day_behind.url, tmp_path)

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        label = window.status.clock_label
        assert label.isVisible(), "the agent is not told the clock is off"
        assert label.text().startswith("本机时间比服务器快 1 天 0 小时"), label.text()
        assert "IT" in label.text()
        VisitorClient(day_behind.url, "时钟顾客", company=company.domain).send("在吗")
        await until(lambda: window.list_model.rowCount() == 1)
        # The row can show before the page that marks it awaiting a reply.
        row = await until(lambda: (lambda r: r if r.waiting_since else None)(
            window.list_model.data(window.list_model.index(0), ROW_ROLE)))
        assert row.urgency(dt.datetime.now(dt.UTC)) == "breach"  # by this desk's own clock
        now = window.list_view.itemDelegate().now()
        assert row.urgency(now) == "ok", "a customer who just wrote is shown as late"
        assert (now - row.waiting_since).total_seconds() < 120
        assert window.alerts.watcher.tick(window.clock.now()) == []  # no breach alert

    try:
        run(aloop, scenario(), timeout=90)
    finally:
        app.close()
        world.close()


def test_clocks_that_agree_show_no_warning(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_world: World
) -> None:
    agent = ui_world.agent(ui_world.company())

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        assert window.clock.known and abs(window.clock.skew) < 5
        assert not window.status.clock_label.isVisible()

    run(aloop, scenario(), timeout=60)

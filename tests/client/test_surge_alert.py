"""Surge (H11.4): when a lead declares a level-1 response, every agent of the team sees the red
banner at the top of the main window and one urgent alert; when it ends the banner goes."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import qasync
from pytestqt.qtbot import QtBot

from app.settings import DEFAULT_NOTIFY
from tests.support.api import AgentClient
from tests.support.qt_async import App, aloop, close_app, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


def _surge_popups(window: Any) -> int:
    return sum(1 for title in window.test_popups if title.startswith("一级响应"))


def _watch_popups(window: Any) -> None:
    """Records the title of every popup the window's notifier shows."""
    notifier = window.alerts.notifier
    window.test_popups = []
    show = notifier.popup

    def popup(title: str, body: str, urgent: bool = False) -> None:
        window.test_popups.append(title)
        show(title, body, urgent)

    notifier.popup = popup


def test_every_agent_sees_the_declared_surge_until_the_lead_ends_it(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess,
    ui_world: World, tmp_path: Path,
) -> None:
    company = ui_world.company()
    first = ui_world.agent(company, name="王晓敏")
    second = ui_world.agent(company, name="李娜")
    lead = AgentClient(ui_server.url, ui_world.agent(company, role="lead").account, PASSWORD)
    other_desk = App(ui_server.url, tmp_path / "second")

    async def scenario() -> None:
        windows = [await app.sign_in(first.account, PASSWORD),
                   await other_desk.sign_in(second.account, PASSWORD)]
        # the second agent saved their alert choices before surges existed: defaults apply
        other_desk.flow.prefs.set("notify", {
            event: channels for event, channels in DEFAULT_NOTIFY.items()
            if event not in ("surge", "handover_overdue")})
        for window in windows:
            await until(lambda w=window: w.alerts.watcher.primed)
            _watch_popups(window)
            assert not window.shift.banner.isVisible()
            assert not window.commands["shift.board"].isVisible(), "the board is for leads"
        surge_id = str(uuid.uuid4())
        declared = lead.do("surge.declare", id=surge_id, team_id=company.team_id,
                           note="大促开场")
        assert declared["status"] == "applied", declared
        for window in windows:
            banner = window.shift.banner
            await until(lambda b=banner: b.isVisible())
            assert banner.text().startswith("一级响应：进线量激增")
            assert "大促开场" in banner.text()
            assert banner.geometry().top() <= window.splitter.geometry().top(), "at the top"
            await until(lambda w=window: _surge_popups(w) == 1)
        assert lead.do("surge.end", id=surge_id)["status"] == "applied"
        for window in windows:
            await until(lambda w=window: not w.shift.banner.isVisible())
            assert _surge_popups(window) == 1, "one alert per surge"

    try:
        run(aloop, scenario(), timeout=90)
    finally:
        close_app(other_desk, aloop)


def test_a_lead_opens_the_shift_board_from_the_menu(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_world: World
) -> None:
    from app.ui.board_window import BoardWindow

    company = ui_world.company()
    lead = ui_world.agent(company, role="lead", name="周组长", manages=(company.team_id,))

    async def scenario() -> None:
        window = await app.sign_in(lead.account, PASSWORD)
        board = window.commands["shift.board"]
        assert board.isVisible() and board.isEnabled()
        assert board.shortcut().toString() == "Ctrl+Shift+K"
        board.trigger()
        shown = await until(lambda: window.findChild(BoardWindow))
        await until(shown.isVisible)
        shown.close()

    run(aloop, scenario(), timeout=60)

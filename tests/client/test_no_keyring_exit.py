"""Without a keyring the cache lives only as long as the app (issue 9): quitting with replies
still unsent asks first, as a shared computer does (H1.8), instead of losing them silently."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring.backends.fail
import pytest
import qasync
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from tests.support.api import VisitorClient
from tests.support.qt_async import App, aloop, dialog_button, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


@pytest.fixture()
def bare_app(ui_server: ServerProcess, tmp_path: Path) -> Iterator[App]:
    a = App(ui_server.url, tmp_path, keyring_backend=keyring.backends.fail.Keyring())
    a.flow.wait_more_s = 0.5
    yield a
    a.close()


def _customer_view(visitor: VisitorClient) -> list[str]:
    visitor.after = 0
    return [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "agent"]


def test_quitting_without_a_keyring_asks_before_unsent_replies_are_lost(
    qtbot: QtBot, aloop: qasync.QEventLoop, bare_app: App, ui_server: ServerProcess,
    ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    visitor = VisitorClient(ui_server.url, "无钥匙串顾客", company=company.domain)
    visitor.send("你好")
    flow = bare_app.flow
    ended: list[str] = []
    flow.session_ended.connect(ended.append)
    QApplication.setQuitOnLastWindowClosed(False)

    async def scenario() -> None:
        window = await bare_app.sign_in(agent.account, PASSWORD)
        runtime = flow.runtime
        assert runtime is not None and runtime.volatile
        await until(lambda: window.list_model.rowCount() == 1)
        window.list_view.setCurrentIndex(window.list_model.index(0))
        await until(lambda: window.current is not None)
        ui_server.stop()
        try:
            window.chat_panel.composer.setPlainText("断网时写的回复")
            window.chat_panel.send_button.click()
            await until(lambda: window.chat_panel.composer.toPlainText() == "")
            window.close()
            keep = await until(lambda: dialog_button("继续工作"), timeout=30)
            box = keep.window()
            assert isinstance(box, QMessageBox) and "没有安全的系统钥匙串" in box.text()
            assert "条消息或操作未发送" in box.text()  # the reply and going offline
            keep.click()  # 继续工作: nothing lost, still signed in
            await until(lambda: not box.isVisible())
            assert window.isVisible() and flow.runtime is runtime
        finally:
            ui_server.start()
        await until(lambda: _customer_view(visitor) == ["断网时写的回复"], timeout=45)
        await until(lambda: runtime.engine.status.pending == 0)
        window.close()  # everything is on the server: no question, the app exits
        await until(lambda: ended == ["exit"], timeout=30)
        assert dialog_button("继续工作") is None and flow.runtime is None

    try:
        run(aloop, scenario(), timeout=150)
    finally:
        QApplication.setQuitOnLastWindowClosed(True)

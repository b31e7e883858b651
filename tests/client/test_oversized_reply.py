"""A 1 MB paste into the reply box: a clear message, nothing sent, nothing of the draft lost.

Issue 9 (bad input). The limit is the wire format's (MAX_MESSAGE_CHARS); the server refuses
longer text too (tests/server/test_bad_input.py), so the desk must stop it before the outbox.
"""

from __future__ import annotations

import os

import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kefu_protocol.wire import MAX_MESSAGE_CHARS
from tests.support.api import VisitorClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

MEGABYTE_TEXT = ("订单已发货，请注意查收。" * 90_000)[: 1 << 20]  # 1,048,576 characters


def _agent_texts(visitor: VisitorClient) -> list[str]:
    visitor.after = 0
    return [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "agent"]


def test_a_megabyte_paste_is_refused_with_its_length_and_kept_for_trimming(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    visitor = VisitorClient(ui_server.url, "长文本顾客", company=company.domain)
    visitor.send("你好")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        runtime = app.flow.runtime
        await until(lambda: window.list_model.rowCount() == 1)
        window.list_view.setCurrentIndex(window.list_model.index(0))
        await until(lambda: window.current is not None)
        assert runtime is not None
        await until(lambda: runtime.engine.status.pending == 0)  # sign-in's own intents (presence)
        panel = window.chat_panel
        panel.composer.setPlainText(MEGABYTE_TEXT)
        assert panel.hint.text() == f"消息过长：{1 << 20} 字，上限 {MAX_MESSAGE_CHARS} 字。"
        assert not panel.send_button.isEnabled()
        qtbot.keyClick(panel.composer, Qt.Key.Key_Return)  # the send key does nothing either
        panel.send_current()  # nor the command palette's 发送
        assert panel.composer.toPlainText() == MEGABYTE_TEXT, "the draft was lost"
        assert runtime is not None and runtime.engine.status.pending == 0
        mine = [m for m in runtime.chat.messages(window.current or "") if m.sender == "agent"]
        assert mine == [], "an oversized reply reached the outbox"
        # The agent trims it to the limit: the hint goes and the reply goes out whole.
        panel.composer.setPlainText(MEGABYTE_TEXT[:MAX_MESSAGE_CHARS])
        assert panel.hint.text() == "" and panel.send_button.isEnabled()
        panel.send_button.click()
        await until(lambda: panel.composer.toPlainText() == "")
        await until(lambda: _agent_texts(visitor) == [MEGABYTE_TEXT[:MAX_MESSAGE_CHARS]],
                    timeout=30)

    run(aloop, scenario(), timeout=120)

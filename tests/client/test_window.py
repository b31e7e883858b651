"""The desktop window end to end (pytest-qt, offscreen) against a real server process."""

from __future__ import annotations

import os
from pathlib import Path

import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.conversation_list import ROW_ROLE
from tests.support.api import VisitorClient
from tests.support.pg import free_port
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


def _nicknames(window: object) -> list[str]:
    model = window.list_model  # type: ignore[attr-defined]
    return [model.data(model.index(i), ROW_ROLE).nickname for i in range(model.rowCount())]


def _customer_view(visitor: VisitorClient) -> list[str]:
    visitor.after = 0
    return [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "agent"]


def test_customer_message_appears_and_the_reply_reaches_the_customer(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="王晓敏")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        visitor = VisitorClient(ui_server.url, "小鱼儿", company=company.domain)
        visitor.send("请问今天能发货吗？")
        await until(lambda: "小鱼儿" in _nicknames(window))
        window.list_view.setCurrentIndex(window.list_model.index(0))

        def texts() -> list[str]:
            model = window.chat_panel.model
            return [model.row_at(i).text for i in range(model.rowCount())]

        # The queue's auto-reply and the assignment line may arrive before the message.
        await until(lambda: "请问今天能发货吗？" in texts())
        composer = window.chat_panel.composer
        composer.insertPlainText("今天下午发出")  # QTest types ASCII only; an IME commits text
        qtbot.keyClick(composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        composer.insertPlainText("请留意短信")
        qtbot.keyClick(composer, Qt.Key.Key_Return)
        await until(lambda: composer.toPlainText() == "")
        last = window.chat_panel.model.row_at(window.chat_panel.model.rowCount() - 1)
        assert last.text == "今天下午发出\n请留意短信" and last.sender == "agent"
        await until(lambda: _customer_view(visitor) == ["今天下午发出\n请留意短信"])
        await until(lambda: window.chat_panel.model.row_at(
            window.chat_panel.model.rowCount() - 1).delivery == "sent")
        await until(lambda: "已同步" in window.sync_label.text())

    run(aloop, scenario())


def test_login_failures_say_what_happened(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_world: World, tmp_path: Path
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    login = app.flow.login

    async def scenario() -> None:
        app.flow.start()
        login.fill("zhangsan", "x")
        login.submit.click()
        assert "工号@公司域名" in login.message.text()  # H1.1, nothing sent
        login.fill(agent.account, "wrong-password")
        login.submit.click()
        await until(lambda: "还可尝试 2 次" in login.message.text())
        login.submit.click()
        await until(lambda: "还可尝试 1 次" in login.message.text())
        login.submit.click()
        await until(lambda: "锁定至" in login.message.text())
        assert "组长" in login.message.text()

    run(aloop, scenario())
    dead = App(f"http://127.0.0.1:{free_port()}", tmp_path / "dead")
    try:
        async def unreachable() -> None:
            dead.flow.start()
            dead.flow.login.fill(agent.account, PASSWORD)
            dead.flow.login.submit.click()
            await until(lambda: "无法连接服务器" in dead.flow.login.message.text())
            assert dead.flow.login.submit.isEnabled()

        run(aloop, unreachable())
    finally:
        dead.close()


def test_initial_password_must_be_changed_first(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, changed=False)

    async def scenario() -> None:
        app.flow.start()
        app.flow.login.fill(agent.account, agent.password)
        app.flow.login.submit.click()
        from app.ui.login import PasswordChangeDialog

        dialog = await until(lambda: next(
            (w for w in app.flow.login.findChildren(PasswordChangeDialog) if w.isVisible()),
            None))
        dialog.new.setText("Short1")
        dialog.repeat.setText("Short1")
        dialog.accept()
        await until(lambda: "太简单" in dialog.message.text())
        dialog.new.setText("NewPassword2026")
        dialog.repeat.setText("NewPassword2026")
        dialog.accept()
        await until(lambda: app.flow.main_window)

    run(aloop, scenario())


def test_offline_the_agent_keeps_reading_and_sending(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    visitor = VisitorClient(ui_server.url, "断网顾客", company=company.domain)
    visitor.send("你好，在吗")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        await until(lambda: "断网顾客" in _nicknames(window))
        window.list_view.setCurrentIndex(window.list_model.index(0))
        ui_server.stop()
        try:
            for text in ("网络断了也能回复", "恢复后自动发出"):
                window.chat_panel.composer.setPlainText(text)
                window.chat_panel.send_button.click()
                await until(lambda: window.chat_panel.composer.toPlainText() == "")
            await until(lambda: window.banner.isVisible(), timeout=30)
            assert "离线" in window.sync_label.text()
            await until(lambda: "2 条待发送" in window.sync_label.text())
            rows = [window.chat_panel.model.row_at(i)
                    for i in range(window.chat_panel.model.rowCount())]
            assert "你好，在吗" in [r.text for r in rows]  # the cache stays readable
            assert [r.delivery for r in rows if r.sender == "agent"] == ["sending", "sending"]
        finally:
            ui_server.start()
        await until(lambda: _customer_view(visitor) == ["网络断了也能回复", "恢复后自动发出"],
                    timeout=60)
        await until(lambda: not window.banner.isVisible(), timeout=30)

    run(aloop, scenario(), timeout=150)


def test_a_paste_over_the_limit_is_refused_before_it_is_queued(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    VisitorClient(ui_server.url, "长文本顾客", company=company.domain).send("你好")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        await until(lambda: window.list_model.rowCount() == 1)
        window.list_view.setCurrentIndex(window.list_model.index(0))
        panel = window.chat_panel
        panel.composer.setPlainText("长" * 5001)
        assert not panel.send_button.isEnabled()
        assert "5000" in panel.hint.text()
        panel._on_send(panel.composer.toPlainText())
        conversation_id = window.current
        queued = [m for m in window.runtime.chat.messages(conversation_id) if m.sender == "agent"]
        assert queued == [], "nothing over the limit may enter the outbox"
        assert panel.composer.toPlainText() == "长" * 5001, "the agent's text is not lost"

    run(aloop, scenario())


def test_the_selection_stays_on_its_conversation_when_others_move(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    older = VisitorClient(ui_server.url, "先来的顾客", company=company.domain)
    older.send("第一个问题")
    newer = VisitorClient(ui_server.url, "后来的顾客", company=company.domain)
    newer.send("第二个问题")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        await until(lambda: _nicknames(window) == ["后来的顾客", "先来的顾客"])
        window.list_view.setCurrentIndex(window.list_model.index(0))
        await until(lambda: window.chat_panel.title.text() == "后来的顾客")
        older.send("我又来追问了")  # moves 先来的顾客 to the top
        await until(lambda: _nicknames(window) == ["先来的顾客", "后来的顾客"])
        await until(lambda: window.list_view.currentIndex().row() == 1)
        assert window.current == newer.conversation_id
        assert window.chat_panel.title.text() == "后来的顾客"

    run(aloop, scenario())

"""Away lock, idle timeout, auto-login switch, log-out (H1.6, H1.7, H1.9), real server."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.policy import Policy
from app.services.credentials import SERVICE
from app.services.session_rules import PasswordVerifier, Unlocker
from app.ui.lock_screen import LockScreen
from app.ui.session_flow import SessionFlow
from server import models as m
from tests.support.api import VisitorClient
from tests.support.client_side import MemoryKeyring
from tests.support.qt_async import App, aloop, close_app, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, AgentRef, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


@pytest.fixture()
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture()
def app(ui_server: ServerProcess, tmp_path: Path, keyring_backend: MemoryKeyring,
        aloop: qasync.QEventLoop) -> Iterator[App]:
    a = App(ui_server.url, tmp_path, keyring_backend=keyring_backend)
    yield a
    close_app(a, aloop)


def _presence(world: World, agent: AgentRef) -> str:
    with world.db.read() as session:
        return str(session.scalar(select(m.Agent.presence).where(m.Agent.id == agent.id)))


def _open_sessions(world: World, agent: AgentRef) -> int:
    with world.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(m.AuthSession).where(
            m.AuthSession.agent_id == agent.id, m.AuthSession.revoked_at.is_(None))) or 0)


def _stored(backend: MemoryKeyring, url: str, agent: AgentRef) -> str | None:
    return backend.get_password(SERVICE, f"{url}|{agent.account}")


def _visible_locks() -> list[LockScreen]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, LockScreen) and w.isVisible()]


async def _pause(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def _unlock_with(flow: SessionFlow, password: str) -> None:
    lock = flow.lock
    assert lock is not None
    lock.password.setText(password)
    lock.unlock.click()
    await until(lambda: flow.lock is not lock or lock.unlock.isEnabled())


def test_away_locks_the_desk_and_only_the_password_brings_it_back(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="李午休")
    for nickname in ("午休顾客甲", "午休顾客乙"):
        VisitorClient(ui_server.url, nickname, company=company.domain).send("在吗")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        await until(lambda: window.list_model.rowCount() == 2)
        window.list_view.setCurrentIndex(window.list_model.index(1))
        await until(lambda: window.current is not None)
        chosen, title = window.current, window.chat_panel.title.text()
        window.presence_requested.emit("busy")
        await until(lambda: _presence(ui_world, agent) == "busy")

        window.away_requested.emit()  # the agent picked 离开 in the status box
        lock = await until(lambda: app.flow.lock)
        assert lock.isVisible() and not window.isVisible() and not window.isEnabled()
        assert agent.name in lock.who.text() and agent.account in lock.who.text()
        assert "离开" in lock.reason.text()
        await until(lambda: _presence(ui_world, agent) == "away")
        composer = window.chat_panel.composer
        qtbot.keyClicks(composer, "abc")  # nobody can type into the covered window
        qtbot.mouseClick(window.chat_panel.send_button, Qt.MouseButton.LeftButton)
        assert composer.toPlainText() == "" and app.flow.desk_lock.cover is not None
        assert app.flow.desk_lock.cover.dropped > 0
        lock.close()  # the title bar's close button does not get rid of it
        assert lock.isVisible()

        await _unlock_with(app.flow, "not-my-password")
        assert "密码错误" in lock.message.text() and "4 次" in lock.message.text()
        assert app.flow.lock is lock and not window.isVisible()
        await _unlock_with(app.flow, PASSWORD)
        await until(lambda: app.flow.lock is None and window.isVisible())
        assert window.isEnabled() and not _visible_locks()
        assert window.current == chosen and window.chat_panel.title.text() == title
        assert window.list_model.id_at(window.list_view.currentIndex().row()) == chosen
        await until(lambda: _presence(ui_world, agent) == "busy")  # as before the break
        assert window.presence.currentData() == "busy"
        assert _open_sessions(ui_world, agent) == 1, "the unlock check left a session open"

        window.activateWindow()  # Ctrl+L locks too (H2.3: a key for every frequent action)
        await until(lambda: QApplication.activeWindow() is window)
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: app.flow.lock)
        await until(lambda: _presence(ui_world, agent) == "away")
        await _unlock_with(app.flow, PASSWORD)
        await until(lambda: _presence(ui_world, agent) == "busy")

    run(aloop, scenario())


def test_five_wrong_passwords_log_the_agent_out(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        window.away_requested.emit()
        lock = await until(lambda: app.flow.lock)
        for left in (4, 3, 2, 1):
            await _unlock_with(app.flow, f"guess-{left}")
            assert f"还可尝试 {left} 次" in lock.message.text()
        lock.password.setText("guess-0")
        lock.unlock.click()
        await until(lambda: app.flow.main_window is None and app.flow.login.isVisible())
        assert "5 次密码错误" in app.flow.login.message.text()
        assert not _visible_locks() and not window.isVisible()
        await until(lambda: _presence(ui_world, agent) == "offline")
        assert _open_sessions(ui_world, agent) == 0
        locked_until = None
        with ui_world.db.read() as session:
            locked_until = session.get(m.Agent, agent.id).locked_until  # type: ignore[union-attr]
        assert locked_until is None, "typos at the lock screen never reach the server's count"

    run(aloop, scenario())


def test_idle_sets_offline_and_locks_and_input_defers_it(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    clock = [1000.0]
    app.flow.desk_lock.idle_timeout_s = 60.0
    app.flow.desk_lock.idle_check_ms = 20
    app.flow.desk_lock.idle_clock = lambda: clock[0]

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        await until(lambda: app.flow.idle is not None)
        await until(lambda: _presence(ui_world, agent) == "online")
        clock[0] += 59
        await _pause(0.2)
        assert app.flow.lock is None
        monitor = app.flow.idle
        assert monitor is not None and monitor.events == 0
        qtbot.keyClicks(window.chat_panel.composer, "x")  # activity: the minute starts again
        assert monitor.events > 0
        clock[0] += 59
        await _pause(0.2)
        assert app.flow.lock is None
        clock[0] += 2
        lock = await until(lambda: app.flow.lock, timeout=5)
        assert "1 分钟无操作" in lock.reason.text() and not window.isVisible()
        await until(lambda: _presence(ui_world, agent) == "offline")
        await _unlock_with(app.flow, PASSWORD)
        await until(lambda: _presence(ui_world, agent) == "online")
        assert window.isVisible() and window.isEnabled()

    run(aloop, scenario())


def test_a_real_timer_of_a_few_hundred_ms_locks_the_desk(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    app.flow.desk_lock.idle_timeout_s = 0.4
    app.flow.desk_lock.idle_check_ms = 50

    async def scenario() -> None:
        await app.sign_in(agent.account, PASSWORD)
        await until(lambda: app.flow.lock, timeout=10)
        await until(lambda: _presence(ui_world, agent) == "offline")

    run(aloop, scenario())


def test_auto_login_switch_and_logout_clear_the_keyring(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World,
    keyring_backend: MemoryKeyring
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    url = ui_server.url

    async def scenario() -> None:
        app.flow.start()
        app.flow.login.fill(agent.account, PASSWORD)
        app.flow.login.remember.setChecked(True)
        app.flow.login.submit.click()
        window = await until(lambda: app.flow.main_window)
        assert _stored(keyring_backend, url, agent) and app.config.get("auto_login") is True

        window.auto_login_toggled.emit(False)  # H1.9: night shift turns it off
        await until(lambda: _stored(keyring_backend, url, agent) is None)
        await until(lambda: app.config.get("auto_login") is False)
        runtime = app.flow.runtime
        assert runtime is not None
        assert not app.vault.remembers(url, agent.account, True), "a rotated token stays out"

        window.auto_login_toggled.emit(True)
        await until(lambda: _stored(keyring_backend, url, agent) == runtime.keeper.refresh_token)
        assert app.config.get("auto_login") is True

        window.logout_requested.emit()  # 注销
        await until(lambda: app.flow.main_window is None and app.flow.login.isVisible())
        assert _stored(keyring_backend, url, agent) is None
        assert not window.isVisible() and app.flow.login.password.text() == ""
        await until(lambda: _presence(ui_world, agent) == "offline")
        assert _open_sessions(ui_world, agent) == 0

    run(aloop, scenario())


def test_auto_login_cannot_be_turned_on_where_it_or_the_desk_forbids(
    qtbot: QtBot, aloop: qasync.QEventLoop, ui_server: ServerProcess, ui_world: World,
    tmp_path: Path, keyring_backend: MemoryKeyring
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    policy = Policy(tmp_path / "deploy.toml", values={"auto_login_allowed": False}, exists=True)
    app = App(ui_server.url, tmp_path, keyring_backend=keyring_backend, policy=policy)
    try:
        async def scenario() -> None:
            window = await app.sign_in(agent.account, PASSWORD)
            window.auto_login_toggled.emit(True)
            box = await until(lambda: next((w for w in window.findChildren(QMessageBox)
                                            if w.isVisible()), None))
            assert "IT 已禁止" in box.text()
            box.accept()
            assert _stored(keyring_backend, ui_server.url, agent) is None

        run(aloop, scenario())
    finally:
        app.close()


def test_after_auto_login_the_lock_needs_the_server(
    qtbot: QtBot, aloop: qasync.QEventLoop, ui_server: ServerProcess, ui_world: World,
    tmp_path: Path, keyring_backend: MemoryKeyring
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    first = App(ui_server.url, tmp_path, keyring_backend=keyring_backend)
    try:
        async def remember() -> None:
            first.flow.start()
            first.flow.login.fill(agent.account, PASSWORD)
            first.flow.login.remember.setChecked(True)
            first.flow.login.submit.click()
            await until(lambda: first.flow.main_window)

        run(aloop, remember())
    finally:
        first.close()  # 退出 keeps the remembered login on a personal desk
    assert _stored(keyring_backend, ui_server.url, agent)
    resumed = App(ui_server.url, tmp_path, keyring_backend=keyring_backend)
    try:
        async def scenario() -> None:
            resumed.flow.start()  # auto-login: no password typed in this run
            window = await until(lambda: resumed.flow.main_window)
            assert resumed.flow.verifier is None
            window.away_requested.emit()
            lock = await until(lambda: resumed.flow.lock)
            ui_server.stop()
            try:
                await _unlock_with(resumed.flow, PASSWORD)
                assert "离线时无法验证密码" in lock.message.text()
                assert lock.logout.isEnabled() and not window.isVisible()
            finally:
                ui_server.start()
            await _unlock_with(resumed.flow, "wrong-password")  # the server answers: wrong
            assert "密码错误" in lock.message.text()
            await _unlock_with(resumed.flow, PASSWORD)
            await until(lambda: resumed.flow.lock is None and window.isVisible())

        run(aloop, scenario(), timeout=120)
    finally:
        resumed.close()


def test_the_unlock_rules_without_a_server() -> None:
    calls: list[str] = []

    def unreachable(password: str) -> None:
        from app.services.auth import LoginFailure

        calls.append(password)
        raise LoginFailure("network")

    verifier = PasswordVerifier("Kefu2024ok")
    assert "Kefu2024ok" not in repr(verifier) and verifier.matches("Kefu2024ok")
    offline = Unlocker(unreachable, verifier, limit=3)
    assert offline.check("typo").outcome == "wrong" and calls == []  # never sent
    assert offline.check("Kefu2024ok").outcome == "unlocked"  # offline: the memory decides
    assert [offline.check("typo").attempts_left for _ in range(2)] == [2, 1]
    assert offline.check("typo").outcome == "too_many"
    assert Unlocker(unreachable, None).check("Kefu2024ok").outcome == "unverifiable"

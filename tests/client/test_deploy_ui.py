"""What IT's configuration looks like to the agent (issue 4): the first-run wizard, locked
settings greyed with the reason, configuration problems explained, About, shared desks (H1.8)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.config import Config, SettingLocked
from app.i18n import Tr
from app.policy import load_policy
from app.ui.about import AboutDialog
from app.ui.app import AppShell, install_qt_translations
from app.ui.server_wizard import ServerWizard
from app.ui.session_flow import SessionFlow
from app.ui.settings_dialog import SettingsDialog
from app.version import app_version
from app.workers import Workers
from tests.support.pg import free_port
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "etc" / "deploy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _dialogs(kind: type[QDialog]) -> list[QDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def test_locked_settings_are_greyed_with_the_reason(qtbot: QtBot, tmp_path: Path) -> None:
    path = _policy(tmp_path, 'server_url = "https://kefu.example.com"\nlocked = ["language"]\n')
    config = Config(tmp_path / "settings.json", load_policy(path))
    dialog = SettingsDialog(config, Tr("zh"))
    qtbot.addWidget(dialog)
    for key in ("server_url", "language"):
        assert not dialog.editors[key].isEnabled()
        assert str(path) in dialog.lock_notes[key].text()
        assert "由 IT 统一设定" in dialog.lock_notes[key].text()
    assert dialog.editors["log_level"].isEnabled() and "log_level" not in dialog.lock_notes
    dialog.editors["log_level"].setCurrentIndex(0)  # 调试 (DEBUG)
    dialog.save()
    assert dialog.changed == {"log_level"}
    assert Config(config.path, config.policy).get("log_level") == "DEBUG"
    again = SettingsDialog(config, Tr("zh"))
    qtbot.addWidget(again)
    again.restore_defaults()
    assert again.editors["log_level"].currentData() == "INFO"
    assert Config(config.path, config.policy).get("log_level") == "INFO"


@pytest.mark.parametrize(("policy", "reason"), [
    ("shared_computer = true\n", "公用电脑不能自动登录"),
    ("auto_login_allowed = false\n", "IT 已禁止在本机自动登录"),
])
def test_auto_login_is_greyed_where_the_policy_rules_it_out(
        qtbot: QtBot, tmp_path: Path, policy: str, reason: str) -> None:
    path = _policy(tmp_path, policy)
    config = Config(tmp_path / "settings.json", load_policy(path))
    dialog = SettingsDialog(config, Tr("zh"))
    qtbot.addWidget(dialog)
    assert not dialog.editors["auto_login"].isEnabled()
    assert reason in dialog.lock_notes["auto_login"].text()
    assert str(path) in dialog.lock_notes["auto_login"].text()
    with pytest.raises(SettingLocked):
        config.set("auto_login", True)


def test_qt_own_buttons_speak_chinese(qtbot: QtBot) -> None:
    qt_app = QApplication.instance()
    assert isinstance(qt_app, QApplication)
    assert install_qt_translations(qt_app, "en") is None
    translator = install_qt_translations(qt_app, "zh")
    assert translator is not None, "PySide6 ships qtbase_zh_CN.qm"
    try:
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        qtbot.addWidget(buttons)
        texts = {buttons.button(b).text().replace("&", "") for b in (
            QDialogButtonBox.StandardButton.Save, QDialogButtonBox.StandardButton.Cancel)}
        assert texts == {"保存", "取消"}
    finally:
        qt_app.removeTranslator(translator)


def test_the_login_window_explains_bad_configuration_and_who_set_the_server(
        qtbot: QtBot, aloop: qasync.QEventLoop, tmp_path: Path, ui_server: ServerProcess) -> None:
    path = _policy(tmp_path, f'server_url = "{ui_server.url}"\nidle_timeout_min = "30"\n'
                             "shared_computer = true\n")
    app = App(ui_server.url, tmp_path, policy=load_policy(path))
    try:
        login = app.flow.login
        assert login.problems.isVisibleTo(login)
        assert f"{path} 中的 idle_timeout_min：应为整数" in login.problems.text()
        assert login.server.text() == f"{ui_server.url}（由 IT 设定）"
        assert not login.change_server.isVisibleTo(login)
        assert not login.remember.isEnabled(), "shared computer: no auto-login (H1.8)"
        assert "公用电脑" in login.keyring_note.text()
    finally:
        app.close()


@pytest.mark.parametrize("from_policy", [True, False])
def test_an_unreachable_server_is_named_with_where_its_address_came_from(
        qtbot: QtBot, aloop: qasync.QEventLoop, tmp_path: Path, from_policy: bool) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    path = _policy(tmp_path, f'server_url = "{dead}"\n' if from_policy else "")
    app = App(dead, tmp_path, policy=load_policy(path), language="en")
    try:
        app.flow.start()
        state = app.flow.login.server_state

        async def shown() -> str:
            return await until(lambda: state.isVisibleTo(app.flow.login) and state.text())

        text = run(aloop, shown())
        assert f"Cannot reach {dead}" in text
        if from_policy:
            assert f"IT set this address in {path}" in text
        else:
            assert "--server" in text
    finally:
        app.close()


@pytest.fixture()
def shells(tmp_path: Path) -> Iterator[Callable[[Config, str], tuple[AppShell, list[str]]]]:
    """Builds an AppShell as `kefudesk` does; records the servers it made a login flow for."""
    built: list[AppShell] = []

    def build(config: Config, server_url: str) -> tuple[AppShell, list[str]]:
        made: list[str] = []

        def make_flow(url: str) -> SessionFlow:
            made.append(url)
            return App(url, tmp_path / "flow", policy=config.policy).flow

        shell = AppShell(make_flow, Workers(), tr=Tr("en"), config=config, server_url=server_url)
        built.append(shell)
        return shell, made

    yield build
    for shell in built:
        shell.close()
        if shell.flow is not None:
            shell.flow.login.close()


def test_first_run_wizard_tests_the_address_before_saving_it(
        qtbot: QtBot, aloop: qasync.QEventLoop, tmp_path: Path, ui_server: ServerProcess,
        shells: Callable[[Config, str], tuple[AppShell, list[str]]]) -> None:
    config = Config(tmp_path / "settings.json", load_policy(tmp_path / "none.toml"))
    shell, made = shells(config, "")

    async def scenario() -> None:
        shell.start()
        wizard = await until(lambda: _dialogs(ServerWizard))
        wizard = wizard[0]
        assert isinstance(wizard, ServerWizard) and not wizard.save_button.isEnabled()
        wizard.url.setText("http://kefu.example.com")  # not encrypted, not this machine
        wizard.run_test()
        await until(lambda: "only https" in wizard.result.text())
        assert not wizard.save_button.isEnabled()
        wizard.url.setText(f"http://127.0.0.1:{free_port()}")
        wizard.run_test()
        await until(lambda: "Cannot reach" in wizard.result.text())
        assert not wizard.save_button.isEnabled()
        wizard.url.setText(ui_server.url + "/")
        wizard.run_test()
        await until(wizard.save_button.isEnabled)
        assert "KefuDesk server 0." in wizard.result.text()
        wizard.save_button.click()
        await until(lambda: made)

    run(aloop, scenario())
    assert made == [ui_server.url]
    assert Config(config.path, config.policy).get("server_url") == ui_server.url
    assert shell.flow is not None and shell.flow.login.isVisible()


def test_no_wizard_when_the_machine_policy_names_the_server(
        qtbot: QtBot, aloop: qasync.QEventLoop, tmp_path: Path, ui_server: ServerProcess,
        shells: Callable[[Config, str], tuple[AppShell, list[str]]]) -> None:
    path = _policy(tmp_path, f'server_url = "{ui_server.url}"\n')
    config = Config(tmp_path / "settings.json", load_policy(path))
    shell, made = shells(config, config.get("server_url"))
    shell.start()
    assert made == [ui_server.url] and not _dialogs(ServerWizard)
    assert shell.flow is not None and shell.flow.login.isVisible()


def test_about_shows_the_versions_of_app_qt_python_and_server(
        qtbot: QtBot, aloop: qasync.QEventLoop, tmp_path: Path, ui_server: ServerProcess) -> None:
    app = App(ui_server.url, tmp_path, language="en")
    try:
        app.flow.login.about_requested.emit()

        async def scenario() -> AboutDialog:
            dialog = (await until(lambda: _dialogs(AboutDialog)))[0]
            assert isinstance(dialog, AboutDialog)
            await until(lambda: "protocol v1" in dialog.server.text())
            return dialog

        dialog = run(aloop, scenario())
        text = dialog.text()
        assert f"KefuDesk version: {app_version()}" in text
        assert f"Qt version: {qVersion()}" in text
        assert "Python version: 3." in text
        assert "Server version: 0." in text and "sqlite" in text
        assert str(tmp_path / "logs" / "kefudesk.log") in text
        dialog.close()
    finally:
        app.close()


@pytest.mark.parametrize("shared", [True, False])
def test_a_shared_computer_clears_the_cache_at_logout(
        qtbot: QtBot, aloop: qasync.QEventLoop, tmp_path: Path, ui_server: ServerProcess,
        ui_world: World, shared: bool) -> None:
    path = _policy(tmp_path, f"shared_computer = {'true' if shared else 'false'}\n")
    app = App(ui_server.url, tmp_path, policy=load_policy(path))
    agent = ui_world.agent(ui_world.company())

    async def scenario() -> Path:
        window = await app.sign_in(agent.account, PASSWORD)
        cache = window.runtime.store.path
        await until(lambda: "已同步" in window.sync_label.text())
        window.logout_requested.emit()
        await until(lambda: app.flow.login.isVisible() and app.flow.runtime is None)
        return cache

    try:
        cache = run(aloop, scenario())
        assert cache.exists() is not shared
        assert (app.config.get("last_account") == agent.account) is not shared
    finally:
        app.close()

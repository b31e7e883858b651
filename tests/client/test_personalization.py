"""Personal settings (H2.2) apply live, roam with the agent between desks as `setting.set`,
reset to defaults, and yield to IT's machine policy (pytest-qt, offscreen, real server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication, QSpinBox, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from app.config import SettingLocked
from app.policy import load_policy
from app.ui.appearance import Appearance
from app.ui.settings_dialog import SettingsDialog
from app.ui.theme import DARK, LIGHT
from tests.support.api import AgentClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


@pytest.fixture()
def restore_qt_look(qapp: QApplication) -> Iterator[None]:
    """Appearance changes the whole application; later tests get it back as it was."""
    font, palette, sheet = QFont(qapp.font()), QPalette(qapp.palette()), qapp.styleSheet()
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)


def row_height_at(window: Any, font: QFont) -> int:
    option = QStyleOptionViewItem()
    option.font = font
    return window.list_view.itemDelegate().sizeHint(option, QModelIndex()).height()


def desk(ui_server: ServerProcess, root: Path, qapp: QApplication, **kwargs: Any) -> App:
    """One computer: its own settings file and cache, the app's live appearance."""
    root.mkdir(parents=True, exist_ok=True)
    a = App(ui_server.url, root, **kwargs)
    a.flow.appearance = Appearance(qapp, a.flow.prefs, None)
    return a


def test_theme_and_font_sizes_apply_at_once_and_zoom(
    qtbot: QtBot, aloop: qasync.QEventLoop, qapp: QApplication, ui_server: ServerProcess,
    ui_world: World, tmp_path: Path, restore_qt_look: None,
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    a = desk(ui_server, tmp_path / "a", qapp)
    try:
        async def scenario() -> None:
            window = await a.sign_in(agent.account, PASSWORD)
            prefs = a.flow.prefs
            prefs.set("theme", "light")
            assert qapp.font().pointSize() == 10
            assert window.list_view.itemDelegate().palette == LIGHT
            row_height = row_height_at(window, qapp.font())
            dialog = SettingsDialog(prefs, a.flow.tr_, window)
            qtbot.addWidget(dialog)
            dialog.editors["theme"].setCurrentIndex(dialog.editors["theme"].findData("dark"))
            size = dialog.editors["ui_font_pt"]
            assert isinstance(size, QSpinBox)
            size.setValue(13)
            assert dialog.apply(), dialog.message.text()
            # no restart: the window is dark and bigger while the dialog is still open
            assert window.list_view.itemDelegate().palette == DARK
            assert window.chat_panel.view.delegate.palette == DARK
            assert qapp.palette().color(QPalette.ColorRole.Window).name() == DARK.window
            assert DARK.window in qapp.styleSheet()
            assert qapp.font().pointSize() == 13
            assert row_height_at(window, qapp.font()) > row_height  # rows grow with the font
            dialog.close()
            # Ctrl+= / Ctrl+0 (H2.2): one point up, then back to the defaults
            a.flow.appearance.zoom(1)
            assert qapp.font().pointSize() == 14 and prefs.get("chat_font_pt") == 12
            a.flow.appearance.zoom(0)
            assert qapp.font().pointSize() == 10 and prefs.get("chat_font_pt") == 11

        run(aloop, scenario())
    finally:
        a.close()


def test_settings_roam_to_the_agents_other_desks(
    qtbot: QtBot, aloop: qasync.QEventLoop, qapp: QApplication, ui_server: ServerProcess,
    ui_world: World, tmp_path: Path, restore_qt_look: None,
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    first = desk(ui_server, tmp_path / "desk1", qapp)
    second = desk(ui_server, tmp_path / "desk2", qapp)
    later: App | None = None
    try:
        async def scenario() -> None:
            nonlocal later
            await first.sign_in(agent.account, PASSWORD)
            window2 = await second.sign_in(agent.account, PASSWORD)
            first.flow.prefs.set_many({"send_key": "ctrl_enter", "chat_font_pt": 15,
                                       "quiet_hours": True})
            # the other desk, signed in at the same time, takes them over from the feed
            other = second.flow.prefs
            await until(lambda: (other.get("send_key"), other.get("chat_font_pt"),
                                 other.get("quiet_hours")) == ("ctrl_enter", 15, True))
            await until(lambda: window2.chat_panel.view.font().pointSize() == 15)
            # on the server: one row per key, for this agent only
            api = AgentClient(ui_server.url, agent.account, PASSWORD)
            stored = {c["id"]: c["data"]["value"] for c in api.pull_all()
                      if c["entity"] == "setting" and c["data"]}
            assert stored[f"{agent.id}:send_key"] == "ctrl_enter"
            assert stored[f"{agent.id}:chat_font_pt"] == 15
            # a desk the agent has never used gets them at sign-in
            later = desk(ui_server, tmp_path / "desk3", qapp)
            assert later.flow.prefs.get("send_key") == "enter"  # before sign-in: this desk's
            await later.sign_in(agent.account, PASSWORD)
            await until(lambda: later.flow.prefs.get("chat_font_pt") == 15)
            assert later.flow.prefs.get("send_key") == "ctrl_enter"
            # and the settings file of a desk keeps its own values for the login window
            assert later.config.get("chat_font_pt") == 15

        run(aloop, scenario())
    finally:
        first.close()
        second.close()
        if later is not None:
            later.close()


def test_reset_to_defaults_roams_and_it_policy_wins(
    qtbot: QtBot, aloop: qasync.QEventLoop, qapp: QApplication, ui_server: ServerProcess,
    ui_world: World, tmp_path: Path, restore_qt_look: None,
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    policy_file = tmp_path / "deploy.toml"
    policy_file.write_text('theme = "light"\nlocked = ["send_key"]\n', encoding="utf-8")
    locked_desk = desk(ui_server, tmp_path / "locked", qapp, policy=load_policy(policy_file))
    free_desk = desk(ui_server, tmp_path / "free", qapp)
    try:
        async def scenario() -> None:
            await free_desk.sign_in(agent.account, PASSWORD)
            free = free_desk.flow.prefs
            free.set_many({"theme": "dark", "ui_font_pt": 12})
            window = await locked_desk.sign_in(agent.account, PASSWORD)
            locked = locked_desk.flow.prefs
            await until(lambda: locked.get("ui_font_pt") == 12)
            assert locked.get("theme") == "light", "IT's value wins over the roaming one"
            assert window.list_view.itemDelegate().palette == LIGHT
            with pytest.raises(SettingLocked):
                locked.set("send_key", "ctrl_enter")
            dialog = SettingsDialog(locked, locked_desk.flow.tr_, window)
            qtbot.addWidget(dialog)
            for key in ("theme", "send_key"):
                assert not dialog.editors[key].isEnabled()
                assert str(policy_file) in dialog.lock_notes[key].text()
            assert dialog.editors["ui_font_pt"].isEnabled()
            # 全部恢复默认 on the locked desk: reset here and on the other desk
            dialog.restore_defaults()
            assert locked.get("ui_font_pt") == 10
            await until(lambda: free.get("ui_font_pt") == 10)
            assert free.get("theme") == "dark", "a setting IT locks there is not reset there"
            assert qapp.font().pointSize() == 10

        run(aloop, scenario())
    finally:
        locked_desk.close()
        free_desk.close()


def test_a_setting_changed_offline_is_queued_and_wins_over_the_synced_value(
    tmp_path: Path,
) -> None:
    """No server needed: the intent waits in the outbox, and a synced older value arriving
    meanwhile does not undo what the agent just chose."""
    from concurrent.futures import Future

    from app.config import Config
    from app.models.store import open_store
    from app.models.tables import Outbox, Record
    from app.policy import Policy
    from app.services.preferences import Preferences, RoamingProfile

    store = open_store(tmp_path / "cache.db")
    pokes: list[int] = []

    def submit(fn: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn())
        return future

    prefs = Preferences(Config(tmp_path / "settings.json", Policy(tmp_path / "none.toml")))
    seen: list[frozenset[str]] = []
    prefs.subscribe(seen.append)
    agent = "a1"
    with store.write() as session:
        session.add(Record(entity="setting", id=f"{agent}:theme", version=1,
                           data={"key": "theme", "value": "dark"}))
        session.add(Record(entity="setting", id="someone-else:ui_font_pt", version=1,
                           data={"key": "ui_font_pt", "value": 18}))
    prefs.attach(RoamingProfile(store, agent, submit, lambda: pokes.append(1)))
    assert prefs.get("theme") == "dark" and prefs.get("ui_font_pt") == 10
    assert seen == [frozenset({"theme"})]
    prefs.set("theme", "light")
    with store.read() as session:
        queued = [(o.name, o.args) for o in session.query(Outbox).all()]
    assert queued == [("setting.set", {"key": "theme", "value": "light"})] and pokes
    assert prefs.absorb([f"{agent}:theme"]) == frozenset()  # the old "dark" stays below
    assert prefs.get("theme") == "light"
    prefs.detach()
    assert prefs.get("theme") == "light", "this desk's file remembers the last choice"
    store.close()

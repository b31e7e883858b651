"""Shortcuts (H2.3): one registry, the keymap's conflicts and reserved keys, the shortcut editor,
live key changes on the QActions, the command palette (Ctrl+K) and the cheat sheet (Ctrl+/)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QStyle, QToolBar
from pytestqt.qtbot import QtBot

from app.commands import BY_ID, COMMANDS, composer_keys
from app.i18n import CATALOG, Tr
from app.keymap import check_assignment, conflicts, effective_keys, normalize, reserved
from app.ui.cheat_sheet import CheatSheet
from app.ui.command_actions import apply_keymap, is_runnable, key_text, make_actions
from app.ui.command_palette import CommandPalette
from app.ui.shortcut_editor import ShortcutEditor

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
TR = Tr("zh")


class Host:
    """A shown window holding the registry's actions; `ran` records each handler call."""

    def __init__(self, qtbot: QtBot) -> None:
        self.window = QMainWindow()
        self.toolbar = QToolBar()
        self.window.addToolBar(self.toolbar)
        self.ran: list[str] = []
        self.run_calls: list[str] = []
        handlers: dict[str, Callable[[], object]] = {
            cid: (lambda c=cid: self.ran.append(c))
            for cid in ("conversation.transfer", "palette.open", "view.zoom_in")}
        self.actions = make_actions(self.window, TR, run=self.run_calls.append,
                                    handlers=handlers, toolbar=self.toolbar)
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.window.activateWindow()
        qtbot.waitUntil(self.window.isActiveWindow)


@pytest.fixture()
def host(qtbot: QtBot) -> Iterator[Host]:
    yield Host(qtbot)


# ---- the registry and the keymap ---------------------------------------------------------


def test_registry_names_icons_and_required_commands() -> None:
    required = {"composer.send", "composer.newline", "conversation.next", "conversation.previous",
                "conversation.next_unread", "conversation.accept", "conversation.transfer",
                "conversation.close", "conversation.note", "conversation.tag", "search.open",
                "presence.toggle_busy", "session.lock", "phrase.palette", "palette.open",
                "help.cheat_sheet", "view.zoom_in", "view.zoom_out", "view.zoom_reset",
                "settings.open", "app.quit", "diagnostics.logs", "diagnostics.export",
                "security.report", "phrase.manage",
                *(f"phrase.insert_{n}" for n in range(1, 10))}
    assert required <= set(BY_ID) and len(BY_ID) == len(COMMANDS)
    assert all(c.text in CATALOG for c in COMMANDS)
    assert all(hasattr(QStyle.StandardPixmap, c.icon) for c in COMMANDS if c.icon)
    assert all(normalize(k) == k for c in COMMANDS for k in c.keys), "defaults in one spelling"
    keys = effective_keys({}, "enter")
    assert keys["palette.open"] == ("Ctrl+K",) and keys["help.cheat_sheet"] == ("Ctrl+/",)
    assert keys["view.zoom_in"] == ("Ctrl+=", "Ctrl++") and keys["session.lock"] == ("Ctrl+L",)


@pytest.mark.parametrize("send_key", ["enter", "ctrl_enter"])
def test_defaults_have_no_conflicts_and_follow_the_send_key(send_key: str) -> None:
    keymap = effective_keys({}, send_key)
    assert conflicts(keymap) == []
    sends = "Return" if send_key == "enter" else "Ctrl+Return"
    assert keymap["composer.send"][0] == sends
    assert keymap["composer.send"][0] not in keymap["composer.newline"]
    assert keymap["composer.send"] == composer_keys(send_key)["composer.send"]


def test_conflicts_and_reserved_keys_are_found() -> None:
    clash = dict(effective_keys({}, "enter"), **{"conversation.transfer": ("Ctrl+Shift+A",)})
    found = conflicts(clash)
    assert [(c.command_id, c.other_id, c.key) for c in found] == [
        ("conversation.transfer", "conversation.accept", "Ctrl+Shift+A")]
    found = conflicts(dict(effective_keys({}, "enter"), **{"search.open": ("Ctrl+V",)}))
    assert [(c.command_id, c.reason) for c in found] == [("search.open", "reserved")]


def test_a_key_taken_in_an_overlapping_context_is_refused_naming_the_other() -> None:
    keymap = effective_keys({}, "enter")
    taken = check_assignment(keymap, "conversation.transfer", ["ctrl+shift+a"])
    assert taken is not None and taken.reason == "taken"
    assert (taken.other_id, taken.other_context, taken.key) == (
        "conversation.accept", "conversation", "Ctrl+Shift+A")
    window = check_assignment(keymap, "conversation.transfer", ["Ctrl+K"])  # window vs conversation
    assert window is not None and (window.other_id, window.other_context) == (
        "palette.open", "window")
    composer = check_assignment(keymap, "search.open", ["Ctrl+Return"])  # composer's new line
    assert composer is not None and composer.other_id == "composer.newline"
    prefix = check_assignment(keymap, "conversation.transfer", ["Ctrl+K, Ctrl+T"])
    assert prefix is not None and prefix.other_id == "palette.open"
    assert check_assignment(keymap, "conversation.transfer", ["Ctrl+Shift+T"]) is None  # its own
    assert check_assignment(keymap, "conversation.transfer", ["Ctrl+Shift+X", "F6"]) is None


def test_no_two_contexts_are_disjoint_so_the_same_key_is_refused_across_them() -> None:
    # Window and conversation keys are live in the whole window and also while typing, so this
    # model has no pair of contexts that may share a key: each direction is refused.
    keymap = effective_keys({}, "enter")
    assert check_assignment(keymap, "phrase.insert_1", ["Ctrl+0"]).other_id == "view.zoom_reset"
    assert check_assignment(keymap, "view.zoom_reset", ["Ctrl+1"]).other_id == "phrase.insert_1"
    assert check_assignment(keymap, "composer.send", ["F5"]).reason == "read_only"


@pytest.mark.parametrize("key", ["Ctrl+C", "ctrl+v", "Ctrl+X", "Ctrl+Z", "Ctrl+Y", "Ctrl+A",
                                 "A", "Shift+A", "7", "Esc", "Tab", "Space", "Shift+Left",
                                 "Ctrl+Left", "Ctrl+C, K"])
def test_reserved_editing_keys_are_refused(key: str) -> None:
    found = check_assignment(effective_keys({}, "enter"), "search.open", [key])
    assert found is not None and found.reason == "reserved"
    assert reserved(normalize(key) or "")


def test_normalising_key_text() -> None:
    assert normalize("shift+ctrl+k") == "Ctrl+Shift+K"
    assert normalize("Ctrl++") == "Ctrl++" and normalize("ctrl+,") == "Ctrl+,"
    assert normalize("ctrl+k,ctrl+s") == "Ctrl+K, Ctrl+S" and normalize("escape") == "Esc"
    assert normalize("Hyper+K") is None and normalize("Ctrl+") is None and normalize("") is None
    assert not reserved("F5") and not reserved("Alt+Shift+F")


def test_effective_keys_take_overrides_and_ignore_what_this_version_cannot_use() -> None:
    keymap = effective_keys({"conversation.transfer": ["ctrl+shift+a"], "future.cmd": ["F9"],
                             "composer.send": ["F5"], "search.open": ["Ctrl+C", "F7"],
                             "list.filter": "Ctrl+F", "conversation.note": []}, "enter")
    assert keymap["conversation.transfer"] == ("Ctrl+Shift+A",)
    assert keymap["conversation.accept"] == ()  # the agent's choice wins over a default
    assert "future.cmd" not in keymap and keymap["composer.send"] == ("Return", "Enter")
    assert keymap["search.open"] == ("F7",) and keymap["list.filter"] == ("Ctrl+F",)
    assert keymap["conversation.note"] == ()
    assert conflicts(keymap) == []


# ---- the QActions ------------------------------------------------------------------------


def test_actions_show_keys_and_icons_and_unwired_ones_bind_nothing(host: Host) -> None:
    transfer = host.actions["conversation.transfer"]
    assert transfer.toolTip() == "转接（Ctrl+Shift+T）" and not transfer.icon().isNull()
    assert [s.toString() for s in host.actions["view.zoom_in"].shortcuts()] == [
        "Ctrl+=", "Ctrl++"]
    quit_action = host.actions["app.quit"]  # no handler given: disabled, Ctrl+Q stays free
    assert not quit_action.isEnabled() and quit_action.shortcuts() == []
    assert host.actions["composer.send"].shortcuts() == []  # the composer reads the send key
    host.actions["conversation.accept"].trigger()  # a bar command without handler goes to run
    assert host.run_calls == ["conversation.accept"]


def test_apply_keymap_moves_a_key_live(qtbot: QtBot, host: Host) -> None:
    qtbot.keyClick(host.window, Qt.Key.Key_T, CTRL_SHIFT)
    assert host.ran == ["conversation.transfer"]
    apply_keymap(host.actions, effective_keys({"conversation.transfer": ["Ctrl+Shift+X"]},
                                              "enter"), TR)
    qtbot.keyClick(host.window, Qt.Key.Key_T, CTRL_SHIFT)
    assert host.ran == ["conversation.transfer"], "the old key no longer triggers it"
    qtbot.keyClick(host.window, Qt.Key.Key_X, CTRL_SHIFT)
    qtbot.waitUntil(lambda: host.ran == ["conversation.transfer"] * 2)
    assert host.actions["conversation.transfer"].toolTip() == "转接（Ctrl+Shift+X）"


# ---- the shortcut editor -----------------------------------------------------------------


def editor_for(qtbot: QtBot, overrides: dict[str, list[str]] | None = None,
               locked: str | None = None) -> ShortcutEditor:
    editor = ShortcutEditor(TR, overrides or {}, "enter", locked_reason=locked)
    qtbot.addWidget(editor)
    editor.show()
    return editor


def test_editor_refuses_a_taken_key_naming_the_other_command(qtbot: QtBot) -> None:
    editor = editor_for(qtbot)
    editor.select("conversation.transfer")
    editor.capture.setFocus()
    qtbot.keyClick(editor.capture, Qt.Key.Key_A, CTRL_SHIFT)
    qtbot.waitUntil(lambda: "接入" in editor.message.text())
    assert "打开会话时" in editor.message.text() and "Ctrl+Shift+A" in editor.message.text()
    assert editor.overrides() == {}
    qtbot.keyClick(editor.capture, Qt.Key.Key_C, CTRL)
    qtbot.waitUntil(lambda: "复制" in editor.message.text())
    assert editor.overrides() == {}


def test_editor_captures_resets_one_and_all(qtbot: QtBot) -> None:
    editor = editor_for(qtbot)
    editor.select("conversation.transfer")
    with qtbot.waitSignal(editor.changed):
        qtbot.keyClick(editor.capture, Qt.Key.Key_X, CTRL_SHIFT)
    assert editor.overrides() == {"conversation.transfer": ["Ctrl+Shift+X"]}
    assert editor.keymap()["conversation.transfer"] == ("Ctrl+Shift+X",)
    editor.select("search.open")
    editor.clear_button.click()
    assert editor.overrides() == {"conversation.transfer": ["Ctrl+Shift+X"], "search.open": []}
    editor.reset_button.click()
    assert editor.overrides() == {"conversation.transfer": ["Ctrl+Shift+X"]}
    editor.reset_all_button.click()
    assert editor.overrides() == {} and editor.keymap() == effective_keys({}, "enter")


def test_editor_overrides_round_trip_only_changes(qtbot: QtBot) -> None:
    given = {"conversation.transfer": ["shift+ctrl+x"], "conversation.accept": ["Ctrl+Shift+A"],
             "future.command": ["F9"], "composer.send": ["F5"]}
    editor = editor_for(qtbot, given)
    assert editor.overrides() == {"conversation.transfer": ["Ctrl+Shift+X"],
                                  "future.command": ["F9"]}
    again = editor_for(qtbot, editor.overrides())
    assert again.overrides() == editor.overrides()
    editor.set_value({})  # the settings dialog's page protocol
    assert editor.value() == editor.overrides() == {}


def test_editor_shows_send_and_new_line_read_only(qtbot: QtBot) -> None:
    editor = editor_for(qtbot)
    editor.select("composer.send")
    assert not editor.capture.isEnabled() and "发送键" in editor.note.text()
    assert editor.assign("composer.send", ["F5"]).reason == "read_only"
    row = [c.id for c in COMMANDS].index("composer.send")
    editor.set_send_key("ctrl_enter")
    assert editor.table.item(row, 2).text().startswith("Ctrl+Return")
    editor.select("conversation.note")
    assert editor.capture.isEnabled()


def test_editor_search_and_policy_lock(qtbot: QtBot) -> None:
    editor = editor_for(qtbot)
    editor.search.setText("transfer")
    shown = [c.id for i, c in enumerate(COMMANDS) if not editor.table.isRowHidden(i)]
    assert shown == ["conversation.transfer"]
    locked = editor_for(qtbot, locked="/etc/kefudesk/deploy.toml")
    assert locked.locked_label.isVisible() and "deploy.toml" in locked.locked_label.text()
    assert not locked.table.isEnabled() and not locked.capture.isEnabled()
    assert not locked.reset_all_button.isEnabled()


# ---- the command palette and the cheat sheet ---------------------------------------------


@pytest.mark.parametrize("query", ["转接", "transfer", "TRANSFER"])
def test_palette_finds_transfer_and_enter_runs_it(qtbot: QtBot, host: Host, query: str) -> None:
    palette = CommandPalette(host.actions, TR, host.window)
    palette.open_palette()
    qtbot.waitUntil(palette.isVisible)
    palette.filter_box.setText(query)
    assert palette.visible_ids() == ["conversation.transfer"]
    assert palette.current_id() == "conversation.transfer"
    qtbot.keyClick(palette.filter_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not palette.isVisible())
    assert host.ran == ["conversation.transfer"]


def test_palette_greys_and_never_runs_disabled_actions(qtbot: QtBot, host: Host) -> None:
    host.actions["conversation.transfer"].setEnabled(False)
    palette = CommandPalette(host.actions, TR, host.window)
    palette.open_palette()
    palette.filter_box.setText("transfer")
    assert palette.visible_ids() == ["conversation.transfer"]
    qtbot.keyClick(palette.filter_box, Qt.Key.Key_Return)
    assert palette.isVisible() and host.ran == []
    palette.filter_box.setText("toggle busy")  # no handler given: greyed as well
    assert not is_runnable(host.actions["presence.toggle_busy"])
    qtbot.keyClick(palette.filter_box, Qt.Key.Key_Return)
    assert palette.isVisible() and host.ran == []
    qtbot.keyClick(palette.filter_box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not palette.isVisible())


def test_palette_moves_with_arrows(qtbot: QtBot, host: Host) -> None:
    palette = CommandPalette(host.actions, TR, host.window)
    palette.open_palette()
    palette.filter_box.setText("zoom")  # only zoom in has a handler here
    assert palette.current_id() == "view.zoom_in"
    qtbot.keyClick(palette.filter_box, Qt.Key.Key_Down)
    assert palette.current_id() == "view.zoom_in"
    palette.filter_box.setText("")
    assert palette.current_id() == "conversation.accept"  # the first one that can run
    qtbot.keyClick(palette.filter_box, Qt.Key.Key_Down)
    assert palette.current_id() == "conversation.greet"
    qtbot.keyClick(palette.filter_box, Qt.Key.Key_Up)
    assert palette.current_id() == "conversation.accept"


def test_cheat_sheet_lists_every_command_with_its_current_keys(qtbot: QtBot,
                                                               host: Host) -> None:
    keymap = effective_keys({"conversation.transfer": ["Ctrl+Shift+X"]}, "ctrl_enter")
    apply_keymap(host.actions, keymap, TR)
    sheet = CheatSheet(host.actions, TR, host.window)
    sheet.show_sheet()
    qtbot.waitUntil(sheet.isVisible)
    shown = sheet.keys_shown()
    assert set(shown) == {c.id for c in COMMANDS}
    assert all(shown[c.id] == key_text(keymap[c.id], TR) for c in COMMANDS)
    assert shown["conversation.transfer"] == "Ctrl+Shift+X"
    assert shown["composer.send"].startswith("Ctrl+Return")
    groups = [sheet.tree.topLevelItem(i).text(0) for i in range(sheet.tree.topLevelItemCount())]
    assert groups == ["主窗口", "打开会话时", "输入框"]
    qtbot.keyClick(sheet.filter_box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not sheet.isVisible())


def test_english_names_and_tooltips(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    actions: dict[str, QAction] = make_actions(window, Tr("en"), run=lambda _i: None,
                                               handlers={}, toolbar=QToolBar())
    assert actions["help.cheat_sheet"].text() == "Keyboard shortcuts"
    assert actions["conversation.transfer"].toolTip() == "Transfer (Ctrl+Shift+T)"

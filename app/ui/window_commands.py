"""The main window's actions and menus, all from the one registry, and what each one does (H2.3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from qasync import asyncSlot

from app.keymap import effective_keys
from app.ui.appearance import zoom_fonts
from app.ui.cheat_sheet import CheatSheet
from app.ui.command_actions import apply_keymap, make_actions
from app.ui.command_palette import CommandPalette
from app.ui.modal import finished
from app.ui.phrase_manager import PhraseManager
from app.ui.window_shift import board_available
from kefu_protocol.wire import has_permission

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class WindowCommands:
    """Builds every QAction, the menu bar and the keyboard-only tools (palette, cheat sheet)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.tr_ = window.tr_
        self.palette: CommandPalette | None = None
        self.cheat_sheet: CheatSheet | None = None
        self.phrase_manager: PhraseManager | None = None
        w = window
        handlers: dict[str, Callable[[], object]] = {
            "conversation.next": lambda: self.step(1),
            "conversation.previous": lambda: self.step(-1),
            "conversation.next_unread": self.next_unread,
            "list.filter": w.list_header.filter.setFocus,
            "search.open": w.open_search,
            "presence.toggle_busy": self.toggle_busy,
            "session.lock": w.away_requested.emit,
            "palette.open": self.open_palette,
            "help.cheat_sheet": self.open_cheat_sheet,
            "view.zoom_in": lambda: self._zoom(1),
            "view.zoom_out": lambda: self._zoom(-1),
            "view.zoom_reset": lambda: self._zoom(0),
            "phrase.palette": self._phrase_popup,
            "phrase.manage": self.open_phrase_manager,
            "shift.handover": w.shift.open_handover,
            "shift.history": w.shift.open_history,
            "shift.problem_log": w.shift.open_problem_log,
            "shift.board": w.open_board,
            "kb.search": w.kb_desk.focus_search,
            "orders.lookup": w.order_desk.focus_lookup,
            "orders.send_card": lambda: w.order_desk.send_card(),
            "products.search": w.product_desk.focus_search,
            "admin.grants": lambda: w.admin_desk.open_grants(),
            "admin.tags": lambda: w.admin_desk.open_tags(),
            "settings.open": w.settings_requested.emit,
            "app.quit": w.close,
            "diagnostics.logs": lambda: w.tool_requested.emit("logs"),
            "diagnostics.export": lambda: w.tool_requested.emit("diagnostics"),
            "security.report": lambda: w.tool_requested.emit("security"),
            "composer.send": w.chat_panel.send_current,
            "composer.newline": lambda: w.chat_panel.composer.insertPlainText("\n"),
        }
        for n in range(1, 10):
            handlers[f"phrase.insert_{n}"] = lambda n=n: w.chat_panel.insert_phrase_number(n)
        self.actions: dict[str, QAction] = make_actions(
            w, self.tr_, run=w.actions.run, handlers=handlers, toolbar=w.action_bar,
            keymap=self.keymap())

    def keymap(self) -> dict[str, tuple[str, ...]]:
        prefs = self.window.prefs
        if prefs is None:
            return effective_keys({}, "enter")
        return effective_keys(prefs.get("shortcuts"), str(prefs.get("send_key")))

    def apply_keymap(self) -> None:
        """The `shortcuts` or `send_key` setting changed: every action takes its keys now."""
        apply_keymap(self.actions, self.keymap(), self.tr_)
        if self.cheat_sheet is not None:
            self.cheat_sheet.refresh()

    def build_menu(self) -> QAction:
        """客服台 / 工具 / 帮助; returns the auto-login switch (the session flow drives it)."""
        w, tr, a = self.window, self.tr_, self.actions
        menu = w.menuBar().addMenu(tr("app.title"))
        auto_login = QAction(tr("menu.auto_login"), w)
        auto_login.setCheckable(True)
        if w.config is not None:
            auto_login.setChecked(bool(w.config.get("auto_login")))
            auto_login.setEnabled(not w.config.locked("auto_login"))
        auto_login.toggled.connect(w.auto_login_toggled.emit)
        team_settings = QAction(tr("menu.team_settings"), w)
        team_settings.triggered.connect(w.actions.team_settings)
        me = w.ws.colleagues.me()
        team_settings.setVisible(has_permission(w.ws.role, me.grants if me else (),
                                                "team.configure"))
        w.team_settings = team_settings
        logout = QAction(tr("menu.logout"), w)
        logout.triggered.connect(w.logout_requested.emit)
        for item in (a["settings.open"], auto_login, team_settings, a["phrase.manage"],
                     a["admin.grants"], a["admin.tags"]):
            menu.addAction(item)
        w.admin_desk.show_allowed(a["admin.grants"], a["admin.tags"])
        menu.addSeparator()
        for command_id in ("shift.handover", "shift.history", "shift.problem_log", "shift.board"):
            menu.addAction(a[command_id])
        board = a["shift.board"]  # leads and above; greyed while the board is not installed
        board.setVisible(w.shift.may_see_board())
        board.setEnabled(w.shift.may_see_board() and board_available())
        menu.addSeparator()
        menu.addAction(a["session.lock"])
        menu.addAction(logout)
        menu.addAction(a["app.quit"])
        tools = w.menuBar().addMenu(tr("menu.tools"))
        for command_id in ("palette.open", "search.open", "kb.search", "orders.lookup",
                           "orders.send_card", "products.search", "view.zoom_in",
                           "view.zoom_out", "view.zoom_reset"):
            tools.addAction(a[command_id])
        tools.addSeparator()
        for command_id in ("diagnostics.logs", "diagnostics.export", "security.report"):
            tools.addAction(a[command_id])
        help_menu = w.menuBar().addMenu(tr("menu.help"))
        help_menu.addAction(a["help.cheat_sheet"])
        about = QAction(tr("menu.about"), w)
        about.triggered.connect(w.about_requested.emit)
        help_menu.addAction(about)
        return auto_login

    def step(self, delta: int) -> None:
        """Ctrl+Down / Ctrl+Up: the next or previous conversation in the list."""
        view, model = self.window.list_view, self.window.list_model
        rows = model.rowCount()
        if not rows:
            return
        position = view.currentIndex().row()
        target = 0 if position < 0 else max(0, min(rows - 1, position + delta))
        view.setCurrentIndex(model.index(target))

    def next_unread(self) -> None:
        """The next conversation below the current one with unread customer messages."""
        w = self.window
        rows = w.list_model.rowCount()
        start = w.list_view.currentIndex().row()
        for offset in range(1, rows + 1):
            position = (start + offset) % rows
            row = w.list_model.row_at(position)
            if row is not None and row.unread and row.id != w.current:
                w.list_view.setCurrentIndex(w.list_model.index(position))
                return

    def toggle_busy(self) -> None:
        """H2.3: 忙碌 and back to 在线 with one key."""
        w = self.window
        w.presence_requested.emit("online" if w.presence_status == "busy" else "busy")

    def _zoom(self, step: int) -> None:
        if self.window.prefs is not None:
            zoom_fonts(self.window.prefs, step)

    def _phrase_popup(self) -> None:
        panel = self.window.chat_panel
        panel.composer.setFocus()
        panel.open_phrase_popup()

    def open_palette(self) -> None:
        """Ctrl+K: every action by name (Chinese or English) or id; Enter runs it."""
        if self.palette is None:
            self.palette = CommandPalette(self.actions, self.tr_, self.window)
        self.palette.open_palette()

    def open_cheat_sheet(self) -> None:
        """Ctrl+/: every shortcut in force, grouped by where it works."""
        if self.cheat_sheet is None:
            self.cheat_sheet = CheatSheet(self.actions, self.tr_, self.window)
        self.cheat_sheet.refresh()
        self.cheat_sheet.show_sheet()

    @asyncSlot()
    async def open_phrase_manager(self) -> None:
        if self.phrase_manager is not None and self.phrase_manager.isVisible():
            self.phrase_manager.raise_()
            return
        w = self.window
        self.phrase_manager = PhraseManager(w.ws.phrases, w.workers, self.tr_, w)
        await finished(self.phrase_manager)
        self.phrase_manager = None

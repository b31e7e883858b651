"""Puts the agent's settings into the main window's parts as they change (H2.2, H2.3)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from app.services.preferences import Preferences
from app.ui.appearance import Appearance
from app.ui.conversation_list import ConversationDelegate
from app.ui.notification_page import NotificationPage
from app.ui.settings_dialog import PageFactory
from app.ui.shortcut_editor import ShortcutEditor
from app.ui.theme import Palette

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class WindowPreferences:
    """Subscribed while the window lives; each setting touches only its own part."""

    def __init__(self, window: MainWindow, prefs: Preferences,
                 appearance: Appearance | None) -> None:
        self.window = window
        self.prefs = prefs
        self.appearance = appearance
        self._unsubscribe: Callable[[], None] | None = prefs.subscribe(self.apply)
        if appearance is not None:
            appearance.palette_changed.connect(self.set_palette)
        self.apply(frozenset({"chat_font_pt", "send_key", "shortcuts"}))

    def apply(self, keys: frozenset[str]) -> None:
        window = self.window
        if window.closed:
            return
        panel = window.chat_panel
        if "chat_font_pt" in keys:
            panel.set_chat_font_pt(int(self.prefs.get("chat_font_pt")))
        if "send_key" in keys:
            panel.set_send_key(str(self.prefs.get("send_key")))
        if "shortcuts" in keys or "send_key" in keys:
            window.apply_shortcuts()
        if "auto_pin_vip_level" in keys:
            window.query = replace(window.query,
                                   auto_pin_vip=int(self.prefs.get("auto_pin_vip_level")))
            window.list_model.reload()

    def setting_pages(self) -> dict[str, PageFactory]:
        """Editors for the settings that need more than a field: alerts and shortcuts."""
        window, tr = self.window, self.window.tr_
        send_key = str(self.prefs.get("send_key"))
        pages: dict[str, PageFactory] = {
            "shortcuts": lambda value, note: ShortcutEditor(tr, value, send_key,
                                                            locked_reason=note)}
        if window.alerts is not None:
            notifier = window.alerts.notifier
            pages["notify"] = lambda value, note: NotificationPage(tr, value, notifier.test,
                                                                   note)
        return pages

    def set_palette(self, palette: Palette) -> None:
        """Another theme: the painted views take its colours at once."""
        window = self.window
        if window.closed:
            return
        delegate = window.list_view.itemDelegate()
        assert isinstance(delegate, ConversationDelegate)
        delegate.set_palette(palette)
        window.chat_panel.view.delegate.set_palette(palette)
        window.list_view.viewport().update()
        window.chat_panel.view.scheduleDelayedItemsLayout()
        window.chat_panel.view.viewport().update()

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.appearance is not None:
            with contextlib.suppress(RuntimeError, TypeError):  # already gone with the app
                self.appearance.palette_changed.disconnect(self.set_palette)

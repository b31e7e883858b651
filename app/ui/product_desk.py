"""The product tab beside the chat (H6): search, specs, stock, promotions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from app.services.runtime import Applied
from app.ui.product_panel import ProductPanel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

CLOCK_MS = 60_000
"""Promotions start and end on the clock, with no sync: the views are re-read this often."""


class ProductDesk:
    """Adds the 商品 tab to the window's side tabs and keeps it in step with synced product and
    promotion rows; 插入 puts a product's (or a promotion's) text into the composer."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.service = window.ws.products
        self.seen = self._signature()  # before the panel reads: a row landing between is seen
        self.panel = ProductPanel(window.tr_, self.service)
        self.search = self.panel.search
        self.panel.insert_requested.connect(self.insert)
        self.tab_index = window.side_tabs.addTab(self.panel, window.tr_("products.tab"))
        window.pages_applied.connect(self._after_page)
        window.conversation_opened.connect(lambda _cid: self._catch_up())
        window.side_tabs.currentChanged.connect(self._tab_shown)
        self.clock = QTimer(self.panel)
        self.clock.setInterval(CLOCK_MS)
        self.clock.timeout.connect(self._tick)
        self.clock.start()
        # The session's first snapshot can be applied, and its summary emitted, while the window
        # is still being built, before anything listens for it: look again once the event loop
        # runs, by when the window is connected and every later page is reported to it.
        QTimer.singleShot(0, self.panel, self._catch_up)

    def insert(self, text: str) -> None:
        """The summary goes into the composer for the agent to edit, and the composer has focus."""
        self.window.chat_panel.insert_text(text)
        self.window.chat_panel.composer.setFocus()

    def focus_search(self) -> None:
        """Shows the tab with the search box focused (the 'products.search' command)."""
        self.window.side_tabs.setCurrentIndex(self.tab_index)
        self.panel.focus_search()

    def _after_page(self, applied: Applied) -> None:
        """Reloads when the page named a product or promotion."""
        try:
            changed = bool(applied.records) and self.service.touched(set(applied.records))
        except Exception:
            log.exception("products touched")
            return
        if changed:
            self._reload()

    def _tab_shown(self, index: int) -> None:
        if index == self.tab_index:
            self._catch_up()

    def _catch_up(self) -> None:
        """Reloads when the rows changed unseen (a snapshot applied while the window was being
        built): a count/rowid/version signature, compared once the window is connected, on
        opening a conversation or the tab, and on the clock."""
        if self._signature() != self.seen:
            self._reload()

    def _reload(self) -> None:
        self.seen = self._signature()
        self.panel.reload_categories()
        self.panel.refresh_promotions()

    def _tick(self) -> None:
        """The promotions in force (and the shown product's offers) as of now."""
        if self._signature() != self.seen:
            self._reload()
            return
        self.panel.refresh_promotions()
        self.panel.show_current()

    def _signature(self) -> tuple[int, int, int] | None:
        try:
            return self.service.signature()
        except Exception:
            log.exception("products signature")
            return None

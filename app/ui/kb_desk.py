"""The knowledge-base tab beside the chat (H9): search, insert into the composer, suggestions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.services.runtime import Applied
from app.ui.kb_panel import KbPanel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class KbDesk:
    """Adds the 知识库 tab to the window's side tabs and keeps it in step with the chat:
    suggestions follow the customer's last message, the lists follow synced kb_entry rows."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.knowledge = window.ws.knowledge
        self.panel = KbPanel(window.tr_, self.knowledge)
        self.panel.insert_requested.connect(self.insert)
        self.tab_index = window.side_tabs.addTab(self.panel, window.tr_("kb.tab"))
        self.last_customer_text = ""
        window.conversation_opened.connect(self._opened)
        window.pages_applied.connect(self._after_page)

    def insert(self, body: str) -> None:
        """The answer goes into the composer for the agent to check, and the composer has focus."""
        self.window.chat_panel.insert_text(body)
        self.window.chat_panel.composer.setFocus()

    def focus_search(self) -> None:
        """Shows the tab with the search box focused (for a 'kb.search' command, H2.3)."""
        self.window.side_tabs.setCurrentIndex(self.tab_index)
        self.panel.focus_search()

    def _opened(self, conversation_id: str) -> None:
        self._catch_up(set())
        self._suggest(conversation_id, force=True)

    def _after_page(self, applied: Applied) -> None:
        self._catch_up(set(applied.records))
        current = self.window.current
        if current is not None and (current in applied.message_conversations
                                    or not self.last_customer_text):
            self._suggest(current, force=False)

    def _catch_up(self, record_ids: set[str]) -> None:
        """Reloads the lists when a page named a kb entry (`touched`) or the entries' count per
        category moved (a snapshot applied while the window was being built)."""
        try:
            changed = bool(record_ids) and self.knowledge.touched(record_ids)
            changed = changed or self.knowledge.categories() != self.panel.shown_categories
        except Exception:
            log.exception("kb catch up")
            return
        if changed:
            self.panel.reload_categories()
            self.last_customer_text = ""  # the same message may match other entries now

    def _suggest(self, conversation_id: str, *, force: bool) -> None:
        try:
            rows = self.window.runtime.chat.messages(conversation_id)
        except Exception:
            log.exception("kb last message")
            rows = []
        text = next((r.text for r in reversed(rows) if r.sender == "customer"), "")
        if force or text != self.last_customer_text:
            self.last_customer_text = text
            self.panel.suggest_for(text)
            self._label_tab()

    def _label_tab(self) -> None:
        """The tab's title counts the suggestions, so they are noticed from the customer tab."""
        count = len(self.panel.suggestions.hits)
        self.window.side_tabs.setTabText(
            self.tab_index, self.window.tr_("kb.tab_suggested", count=count) if count
            else self.window.tr_("kb.tab"))

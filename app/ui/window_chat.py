"""The open conversation's traffic: sending (sensitive check), drafts, retries, older pages."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox
from qasync import asyncSlot

from app.services.chat import MessageTooLong
from app.services.phrases import Phrase
from app.services.sensitive import find_sensitive
from app.ui.action_dialogs import sensitive_question
from app.ui.modal import finished

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class ChatController:
    """Connects the chat panel and the customer panel to the workstation's services."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.oldest_seq: int | None = None
        """The oldest message shown (H3.1): older pages are asked before it."""
        panel = window.chat_panel
        panel.send_requested.connect(self.send)
        panel.retry_requested.connect(self.retry)
        panel.draft_changed.connect(self.save_draft)
        panel.older_requested.connect(self.load_older)
        window.customer_panel.reveal_requested.connect(self.reveal)

    def wire_phrases(self) -> None:
        """快捷短语 (H2.2): `/` in the composer and Ctrl+1…9, filled in for the open customer."""
        w = self.window
        phrases = w.ws.phrases

        def render(phrase: Phrase) -> str:
            row = w.current_row
            return phrases.render(phrase, customer=row.nickname if row else "",
                                  agent=w.ws.agent_name, order_no=row.order_no if row else "")

        w.chat_panel.set_phrase_source(phrases.phrases, render)
        w.chat_panel.manage_phrases_requested.connect(w.window_commands.open_phrase_manager)

    def save_draft(self, text: str) -> None:
        """Queued on the DB thread at once (also while the window closes), never awaited."""
        w = self.window
        if w.current is None:
            return
        conversation_id = w.current  # now: the agent may be switching conversations
        future = w.workers.submit_db(lambda: w.ws.actions.save_draft(conversation_id, text))
        future.add_done_callback(lambda f: f.exception() and log.warning(
            "draft not kept: %s", type(f.exception()).__name__))

    def send(self, text: str) -> None:
        if self.window.current is not None:
            self.send_to(self.window.current, text)

    @asyncSlot(str, str)
    async def send_to(self, conversation_id: str, text: str) -> None:
        """H11.3: phone, ID, card and address numbers are questioned before they leave."""
        w = self.window
        findings = find_sensitive(text)
        if findings:
            w.sensitive_box = sensitive_question(w.tr_, findings, w)  # tests answer it
            if await finished(w.sensitive_box) != QMessageBox.StandardButton.Ok.value:
                return
        try:
            await w.workers.in_db(w.runtime.chat.send, conversation_id, text)
        except MessageTooLong as exc:
            w.chat_panel.hint.setText(
                w.tr_("composer.too_long", length=exc.length, limit=exc.limit))
            return
        if w.current != conversation_id:
            return
        w.chat_panel.clear_composer()
        w.refresh_current()
        w.chat_panel.view.scrollToBottom()

    @asyncSlot(int)
    async def retry(self, outbox_seq: int) -> None:
        await self.window.workers.in_db(self.window.runtime.chat.retry, outbox_seq)
        self.window.refresh_current()

    @asyncSlot()
    async def load_older(self) -> None:
        """H3.1: the page before the oldest shown, from the cache, else from the server."""
        w = self.window
        conversation_id, before = w.current, self.oldest_seq
        if conversation_id is None or before is None:
            w.chat_panel.loading_older = False
            return
        page = await w.workers.in_net(w.ws.history.page, conversation_id, before)
        if w.current != conversation_id:
            return
        if page.oldest_seq is not None:
            self.oldest_seq = page.oldest_seq
        w.chat_panel.show_older(list(page.rows), has_more=page.has_more,
                                offline=page.remote_unavailable)

    @asyncSlot(str)
    async def reveal(self, field: str) -> None:
        """H11.3: the full value, asked of the server (which checks the permission, audits)."""
        w = self.window
        row = w.current_row
        if row is None:
            return
        try:
            value = await w.workers.in_net(w.ws.customers.reveal, row.customer_id, field,
                                           w.tr_("customer.reveal_reason"))
        except Exception as exc:  # any failure is told, never raised at the agent
            log.info("reveal refused: %s", type(exc).__name__)
            denied = getattr(exc, "code", "") == "permission_denied"
            key = "customer.reveal_denied" if denied else "customer.reveal_failed"
            w.chat_panel.hint.setText(w.tr_(key))
            return
        card = w.customer_panel.card
        if card is not None and card.id == row.customer_id:
            w.customer_panel.show_revealed(field, value)

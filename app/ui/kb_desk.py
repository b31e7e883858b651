"""The knowledge-base tab beside the chat (H9): search, insert, suggestions, editing and review."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox
from qasync import asyncSlot

from app.services.kb_editing import EntryDraft, KbEditService, KbRefusal, KbRefused
from app.services.runtime import Applied
from app.ui.kb_editor import KbEditorDialog, Mode
from app.ui.kb_panel import KbPanel
from app.ui.kb_review import KbReviewDialog, ReviewMode
from app.ui.modal import finished

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
_REASONS: dict[str, str] = {"no_permission": "kb.reason_no_permission",
                            "invalid": "kb.reason_invalid"}


class KbDesk:
    """Adds the 知识库 tab to the window's side tabs and keeps it in step with the chat:
    suggestions follow the customer's last message, the lists follow synced kb_entry rows and
    the agent's queued edits; inserting an answer counts a use (H9.1)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.knowledge = window.ws.knowledge
        self.editing = KbEditService(window.runtime.store, agent_id=window.ws.agent_id,
                                     role=window.ws.role, poke=window.runtime.engine.poke)
        self.panel = KbPanel(window.tr_, self.knowledge, self._person)
        self.panel.insert_requested.connect(self.insert)
        self.panel.entry_used.connect(self._used)
        tools = self.panel.tools
        buttons = tools.buttons
        buttons["kb.new"].clicked.connect(lambda: self.open_editor("new"))
        buttons["kb.edit"].clicked.connect(lambda: self.open_editor("edit"))
        buttons["kb.suggest_new"].clicked.connect(lambda: self.open_editor("suggest_new"))
        buttons["kb.suggest_change"].clicked.connect(lambda: self.open_editor("suggest_change"))
        buttons["kb.delete"].clicked.connect(self.delete_current)
        tools.review.clicked.connect(lambda: self.open_review("review"))
        tools.mine.clicked.connect(lambda: self.open_review("mine"))
        self.panel.refusals.reedit_requested.connect(self._reedit)
        self.panel.refusals.dismiss_requested.connect(self._dismiss)
        self.review_dialog: KbReviewDialog | None = None
        self.tab_index = window.side_tabs.addTab(self.panel, window.tr_("kb.tab"))
        self.last_customer_text = ""
        window.conversation_opened.connect(self._opened)
        window.pages_applied.connect(self._after_page)
        self.refresh_editing()

    def insert(self, body: str) -> None:
        """The answer goes into the composer for the agent to check, and the composer has focus."""
        self.window.chat_panel.insert_text(body)
        self.window.chat_panel.composer.setFocus()

    def focus_search(self) -> None:
        """Shows the tab with the search box focused (for a 'kb.search' command, H2.3)."""
        self.window.side_tabs.setCurrentIndex(self.tab_index)
        self.panel.focus_search()

    # ---- editing, suggesting, reviewing (H9.2) ------------------------------------------------

    def refresh_editing(self) -> None:
        """Buttons by permission (the grant follows the synced agent row), the 待审核 count,
        refusals, and an open review list."""
        try:
            may_edit = self.editing.may_edit()
            to_review = self.editing.to_review() if may_edit else ()
            self.panel.tools.set_permissions(may_edit, len(to_review))
            self.panel.refusals.show_refusals(self.editing.refusals())
            if self.review_dialog is not None:
                self.review_dialog.set_items(to_review if self.review_dialog.mode == "review"
                                             else self.editing.mine())
        except Exception:  # the agent sees the last state, the log says why
            log.exception("kb editing state")

    @asyncSlot()
    async def open_editor(self, mode: Mode, refusal: KbRefusal | None = None) -> None:
        hit = self.panel.current_hit() if mode in ("edit", "suggest_change") else None
        if refusal is not None:
            hit = self.knowledge.entry(refusal.target_id)
            mode = "edit" if refusal.name == "kb.upsert" and hit is not None else (
                "new" if refusal.name == "kb.upsert" else
                "suggest_change" if hit is not None else "suggest_new")
        elif mode in ("edit", "suggest_change") and hit is None:
            return
        draft = refusal.draft if refusal is not None else (
            EntryDraft(hit.category, hit.title, hit.body, hit.keywords) if hit else None)
        categories = tuple(name for name, _n in self.knowledge.categories())
        dialog = KbEditorDialog(self.window.tr_, mode, categories, draft, self.window)
        accepted = await finished(dialog)
        draft, reason = dialog.draft(), dialog.reason_text()
        dialog.deleteLater()
        if not accepted or self.window.closed:
            return
        entry_id = hit.id if hit is not None else None
        if mode in ("new", "edit"):  # based on the version the editor saw when it opened
            done = await self._queue(partial(self.editing.save, draft, entry_id,
                                             hit.version if hit is not None else None),
                                     "kb.queued")
        else:
            done = await self._queue(partial(self.editing.suggest, draft, entry_id, reason),
                                     "kb.suggestion_queued")
        if done and refusal is not None:
            await self.window.workers.in_db(self.editing.dismiss, refusal.seq)
        self._after_queue()

    @asyncSlot()
    async def delete_current(self) -> None:
        hit = self.panel.current_hit()
        if hit is None:
            return
        tr = self.window.tr_
        box = QMessageBox(QMessageBox.Icon.Question, tr("kb.delete_title"),
                          tr("kb.delete_confirm", title=hit.title), parent=self.window)
        yes = box.addButton(tr("kb.delete"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(tr("kb.cancel"), QMessageBox.ButtonRole.RejectRole)
        await finished(box)
        box.deleteLater()
        if box.clickedButton() is yes and not self.window.closed:
            await self._queue(partial(self.editing.delete, hit.id), "kb.queued")
            self._after_queue()

    @asyncSlot()
    async def open_review(self, mode: ReviewMode) -> None:
        if self.review_dialog is not None:
            self.review_dialog.raise_()
            return
        dialog = KbReviewDialog(self.window.tr_, mode, self._person, self.window)
        dialog.decided.connect(self._decide)
        self.review_dialog = dialog
        self.refresh_editing()
        try:
            await finished(dialog)
        finally:
            self.review_dialog = None
            dialog.deleteLater()

    @asyncSlot(str, bool, str)
    async def _decide(self, suggestion_id: str, approve: bool, comment: str) -> None:
        await self._queue(partial(self.editing.review, suggestion_id, approve, comment),
                          "kb.queued")
        self._after_queue()

    def _reedit(self, refusal: KbRefusal) -> None:
        self.open_editor("edit", refusal)

    @asyncSlot(int)
    async def _dismiss(self, seq: int) -> None:
        await self.window.workers.in_db(self.editing.dismiss, seq)
        if not self.window.closed:
            self.refresh_editing()

    @asyncSlot(str)
    async def _used(self, entry_id: str) -> None:
        """Counts the use on the server (queued, so offline too); the count shows after sync."""
        try:
            await self.window.workers.in_db(self.editing.used, entry_id)
        except Exception:  # a use count never stops the reply
            log.exception("kb.used not queued")

    async def _queue(self, call: Callable[[], Any], done_key: str) -> bool:
        tr = self.window.tr_
        try:
            await self.window.workers.in_db(call)
        except KbRefused as exc:
            self.panel.tools.note.setText(tr("kb.not_queued", reason=tr(
                _REASONS.get(exc.reason, "kb.reason_invalid"))))
            return False
        except Exception:  # the agent sees a sentence, the log the traceback
            log.exception("kb intent not queued")
            self.panel.tools.note.setText(tr("kb.not_queued", reason=tr("kb.reason_error")))
            return False
        self.panel.tools.note.setText(tr(done_key))
        return True

    def _after_queue(self) -> None:
        if not self.window.closed:
            self.panel.reload_categories()
            self.refresh_editing()

    def _person(self, employee_id: str) -> str:
        name = self.editing.name_of(employee_id)
        return self.window.tr_("kb.person", name=name, employee_id=employee_id) \
            if name and name != employee_id else employee_id

    # ---- following the chat and the feed ------------------------------------------------------

    def _opened(self, conversation_id: str) -> None:
        self._catch_up(set())
        self._suggest(conversation_id, force=True)

    def _after_page(self, applied: Applied) -> None:
        self._catch_up(set(applied.records), settled=bool(applied.acked or applied.rejected))
        current = self.window.current
        if current is not None and (current in applied.message_conversations
                                    or not self.last_customer_text):
            self._suggest(current, force=False)
        if applied.rejected:
            self._drop_refused_uses()
        if applied.records or applied.acked or applied.rejected:
            self.refresh_editing()

    @asyncSlot()
    async def _drop_refused_uses(self) -> None:
        await self.window.workers.in_db(self.editing.drop_refused_uses)

    def _catch_up(self, record_ids: set[str], *, settled: bool = False) -> None:
        """Reloads the lists when a page named a kb entry (`touched`), settled a queued edit,
        or the entries' count per category moved (a snapshot applied while the window was
        being built)."""
        try:
            changed = bool(record_ids) and self.knowledge.touched(record_ids)
            changed = changed or settled or \
                self.knowledge.categories() != self.panel.shown_categories
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


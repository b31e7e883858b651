"""Runs the quick-action bar's commands on the open conversation (H2.1, H3.4, H3.6, H11.2)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QMessageBox, QWidget
from qasync import asyncSlot

from app.i18n import Tr
from app.services.actions import ActionRefused
from app.services.listing import ConversationRow
from app.services.problems import ProblemRefused
from app.services.scripts import ScriptKind
from app.services.workstation import Workstation
from app.ui.action_dialogs import TagPicker, TextPrompt, TransferDialog
from app.ui.chat_panel import ChatPanel
from app.ui.modal import finished
from app.ui.team_settings_dialog import TeamSettingsDialog
from app.workers import Workers

log = logging.getLogger(__name__)
_ACCEPTED = QDialog.DialogCode.Accepted.value


class ConversationActions(QObject):
    """Each command queues mutations on the DB worker; dialogs are awaited, never nested."""

    changed = Signal(object)
    """Set of conversation ids whose rows and chat should be refreshed."""
    customer_changed = Signal(str)
    """A customer's tags or notes changed locally."""
    transferred = Signal(str, str)
    """(conversation id, colleague's name): the agent may pull it back for a while (H3.4)."""

    def __init__(self, ws: Workstation, workers: Workers, tr: Tr, parent: QWidget,
                 chat_panel: ChatPanel, current: Callable[[], ConversationRow | None]) -> None:
        super().__init__(parent)
        self.ws = ws
        self.workers = workers
        self.tr_ = tr
        self.parent_widget = parent
        self.chat_panel = chat_panel
        self.current = current
        self.handlers: dict[str, Callable[[ConversationRow], object]] = {
            "conversation.accept": self.accept, "conversation.greet": self.greet,
            "conversation.note": self.note, "conversation.escalate": self.escalate,
            "conversation.transfer": self.transfer, "conversation.return": self.give_back,
            "conversation.tag": self.tag, "conversation.pin": self.pin,
            "conversation.closing": self.closing, "conversation.rating": self.rating,
            "conversation.close": self.close, "conversation.convert": self.convert,
        }

    @asyncSlot(str)
    async def run(self, command_id: str) -> None:
        row = self.current()
        handler = self.handlers.get(command_id)
        if row is None or handler is None:
            return
        try:
            await handler(row)  # type: ignore[misc]
        except ActionRefused as exc:
            self.chat_panel.hint.setText(self.tr_("action.refused", detail=exc.detail))
        except ProblemRefused as exc:
            self.chat_panel.hint.setText(self.tr_("action.refused", detail=str(exc)))

    async def _queue(self, row: ConversationRow, fn: Callable[..., object], *args: object,
                     **kwargs: object) -> None:
        await self.workers.in_db(fn, *args, **kwargs)
        self.changed.emit({row.id})

    def _script(self, kind: ScriptKind, row: ConversationRow) -> str:
        return self.ws.scripts.text(kind, team_id=row.team_id, agent=self.ws.agent_name,
                                    customer=row.nickname)

    async def accept(self, row: ConversationRow) -> None:
        """H3.6: accepting offers the team's greeting in the composer."""
        if row.mine:
            return
        await self._queue(row, self.ws.actions.accept, row.id)
        self.chat_panel.insert_text(self._script("greeting", row))

    async def greet(self, row: ConversationRow) -> None:
        self.chat_panel.insert_text(self._script("greeting", row))

    async def closing(self, row: ConversationRow) -> None:
        self.chat_panel.insert_text(self._script("closing_check", row))

    async def note(self, row: ConversationRow) -> None:
        dialog = TextPrompt(self.tr_, title=self.tr_("note.title"), label=self.tr_("note.label"),
                            ok_key="note.ok", parent=self.parent_widget, max_chars=10000)
        if await finished(dialog) != _ACCEPTED:
            return
        await self._queue(row, self.ws.actions.add_note, dialog.value(),
                          conversation_id=row.id, customer_id=row.customer_id)
        self.customer_changed.emit(row.customer_id)

    async def escalate(self, row: ConversationRow) -> None:
        """H11.2: a complaint for a supervisor; the complaint standard applies from now."""
        dialog = TextPrompt(self.tr_, title=self.tr_("escalate.title"),
                            label=self.tr_("escalate.label"), ok_key="escalate.ok",
                            parent=self.parent_widget, max_chars=200)
        if await finished(dialog) != _ACCEPTED:
            return
        await self._queue(row, self.ws.actions.escalate, row.id, dialog.value())
        self.customer_changed.emit(row.customer_id)

    async def transfer(self, row: ConversationRow) -> None:
        colleagues = self.ws.colleagues.all()
        dialog = TransferDialog(self.tr_, colleagues, self.parent_widget)
        if await finished(dialog) != _ACCEPTED:
            return
        to_agent, reason, note = dialog.choice()
        if to_agent:
            await self._queue(row, self.ws.actions.transfer, row.id, to_agent, note=note,
                              reason=reason)
            name = next((c.name for c in colleagues if c.id == to_agent), "")
            self.transferred.emit(row.id, name)

    @asyncSlot(str)
    async def undo_transfer(self, conversation_id: str) -> None:
        """H3.4: a wrong transfer comes back; the server refuses it after the undo window."""
        await self.workers.in_db(self.ws.actions.undo_transfer, conversation_id,
                                 self.tr_("transfer.undo_reason"))
        self.changed.emit({conversation_id})

    @asyncSlot()
    async def team_settings(self) -> None:
        """Leads: the team's response standards and scripts (H8.1, H3.6)."""
        team_id = self.ws.team_id
        name, first_s, complaint_s = self.ws.scripts.standards(team_id)
        dialog = TeamSettingsDialog(self.tr_, team_name=name, first_s=first_s,
                                    complaint_s=complaint_s,
                                    scripts=self.ws.scripts.templates(team_id),
                                    parent=self.parent_widget,
                                    rules=self.ws.scripts.shift_rules(team_id))
        self.team_dialog = dialog  # tests fill it in
        if await finished(dialog) != _ACCEPTED:
            return
        values = dialog.changes()
        try:
            await self.workers.in_db(self.ws.actions.configure_team, team_id, **values)
        except ActionRefused as exc:
            self.chat_panel.hint.setText(self.tr_("action.refused", detail=exc.detail))

    async def give_back(self, row: ConversationRow) -> None:
        """H3.4: a misrouted conversation goes back to who sent it, in one step."""
        if not row.transferred_from_id or row.transferred_from_id == self.ws.agent_id:
            self.chat_panel.hint.setText(self.tr_("action.nothing_to_return"))
            return
        await self._queue(row, self.ws.actions.transfer, row.id, row.transferred_from_id,
                          reason=self.tr_("transfer.reason.misrouted"))

    async def tag(self, row: ConversationRow) -> None:
        card = self.ws.customers.card(row.customer_id, agent_names={})
        if card is None:
            return
        before = {t.id for t in card.tags}
        dialog = TagPicker(self.tr_, self.ws.customers.tag_library(), before,
                           self.parent_widget)
        if await finished(dialog) != _ACCEPTED:
            return
        after = dialog.chosen()
        for tag_id in sorted(after - before):
            await self.workers.in_db(self.ws.actions.tag, row.customer_id, tag_id, on=True)
        for tag_id in sorted(before - after):
            await self.workers.in_db(self.ws.actions.tag, row.customer_id, tag_id, on=False)
        self.customer_changed.emit(row.customer_id)

    async def pin(self, row: ConversationRow) -> None:
        await self._queue(row, self.ws.actions.pin, row.id, not row.pinned)

    async def rating(self, row: ConversationRow) -> None:
        """H14.4: the customer's page asks for a rating."""
        await self._queue(row, self.ws.actions.request_rating, row.id)
        self.chat_panel.hint.setText(self.tr_("action.rating_sent"))

    async def convert(self, row: ConversationRow) -> None:
        """H12.1 标记成交: the conversation ended in a sale (again: the mark is taken back)."""
        converted = not self.ws.problems.converted(row.id)
        await self._queue(row, self.ws.problems.convert, row.id, converted)
        self.chat_panel.hint.setText(self.tr_("convert.done" if converted else "convert.undone"))

    async def close(self, row: ConversationRow) -> None:
        """H3.6/H14.4: thanks and a rating request go out before the conversation closes."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr_("close.title"),
                          self.tr_("close.question", name=row.nickname),
                          QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
                          self.parent_widget)
        box.button(QMessageBox.StandardButton.Ok).setText(self.tr_("close.ok"))
        box.button(QMessageBox.StandardButton.Cancel).setText(self.tr_("dialog.cancel"))
        polite = QCheckBox(self.tr_("close.polite"))
        polite.setChecked(True)
        box.setCheckBox(polite)
        if await finished(box) != QMessageBox.StandardButton.Ok.value:
            return
        if polite.isChecked():
            await self.workers.in_db(self.ws.chat.send, row.id, self._script("thanks", row))
            await self.workers.in_db(self.ws.actions.request_rating, row.id)
        await self._queue(row, self.ws.actions.close, row.id)

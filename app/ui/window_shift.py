"""The main window's shift tools: handover (H13.2), problem log (H13.4), surge banner (H11.4)."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import TYPE_CHECKING

from qasync import asyncSlot

from app.services.handover import HandoverRefused
from app.services.problems import ProblemRefused
from app.services.runtime import Applied
from app.ui.handover_dialog import HandoverDialog
from app.ui.incoming_handover import IncomingHandoverDialog
from app.ui.modal import finished
from app.ui.problem_log import ProblemLogDialog
from app.ui.surge_banner import SurgeBanner
from kefu_protocol.wire import ROLE_RANK

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
BOARD_MODULE = "app.ui.board_window"
BOARD_ROLES = ("lead", "supervisor", "admin")


def board_available() -> bool:
    """The lead's board (another module) is installed; found without importing it."""
    try:
        return importlib.util.find_spec(BOARD_MODULE) is not None
    except (ImportError, ValueError):
        return False


class ShiftDesk:
    """Owns the shift dialogs of one main window; the workstation's services do the work."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.tr_ = window.tr_
        self.ws = window.ws
        self.banner = SurgeBanner(window.tr_)
        self.handover_dialog: HandoverDialog | None = None
        self.incoming_dialog: IncomingHandoverDialog | None = None
        self.problem_dialog: ProblemLogDialog | None = None
        self.presented: set[str] = set()
        """Handovers to me already put in front of the agent this session."""

    def may_see_board(self) -> bool:
        return ROLE_RANK.get(self.ws.role, 0) >= ROLE_RANK["lead"]

    # ---- sync -----------------------------------------------------------------------------

    def refresh(self) -> None:
        self.banner.show_surge(self.ws.problems.active_surge())

    def after_page(self, applied: Applied) -> None:
        if not (applied.acked or applied.rejected or (
                applied.records and self.ws.handovers.touched(applied.records))):
            return
        self.refresh()
        for dialog in (self.incoming_dialog, self.problem_dialog):
            if dialog is not None and dialog.isVisible():
                dialog.refresh()
        self.show_incoming_if_new()

    def show_incoming_if_new(self) -> bool:
        """After login and after each page: handovers to me with items to acknowledge that
        the agent has not been shown yet open the incoming view (H13.2)."""
        waiting = {h.id for h in self.ws.handovers.incoming(unacked_only=True)}
        if not waiting - self.presented:
            return False
        self.presented |= waiting
        self.open_incoming()
        return True

    # ---- the outgoing agent ---------------------------------------------------------------

    @asyncSlot()
    async def open_handover(self) -> None:
        """交接: the form pre-filled with my open conversations; submit queues one
        handover.create (offline too) and, when asked, logs out after it (H1.9)."""
        if self.handover_dialog is not None:
            self.handover_dialog.raise_()
            return
        w = self.window
        draft = self.ws.handovers.draft()
        dialog = HandoverDialog(self.tr_, draft, self.ws.handovers.customers(), w)
        self.handover_dialog = dialog
        try:
            if await finished(dialog) != dialog.DialogCode.Accepted.value:
                return
            items = dialog.items()
            await w.workers.in_db(self.ws.handovers.submit, items,
                                  to_agent_id=dialog.main_colleague(),
                                  shift_id=draft.shift.id if draft.shift else None)
        except HandoverRefused as exc:
            w.chat_panel.hint.setText(self.tr_("action.refused", detail=str(exc)))
            return
        finally:
            self.handover_dialog = None
        w.statusBar().showMessage(self.tr_("handover.submitted", count=len(items)), 10000)
        w.list_model.reload()
        if dialog.log_out.isChecked():
            w.logout_requested.emit()

    # ---- the incoming agent ---------------------------------------------------------------

    def open_incoming(self, *, history: bool = False) -> IncomingHandoverDialog:
        current = self.incoming_dialog
        if current is not None and current.isVisible() and current.history == history:
            current.refresh()
            current.raise_()
            return current
        if current is not None:
            current.close()
        dialog = IncomingHandoverDialog(self.tr_, self.ws.handovers, history=history,
                                        parent=self.window)
        dialog.ack_requested.connect(self._ack)
        dialog.conversation_requested.connect(self.window.show_conversation)
        dialog.customer_requested.connect(self.show_customer)
        self.incoming_dialog = dialog
        dialog.show()
        return dialog

    def show_customer(self, customer_id: str) -> None:
        """The customer's newest conversation, else the search limited to the customer."""
        w = self.window
        conversation_id = self.ws.handovers.latest_conversation(customer_id)
        if conversation_id is not None:
            w.show_conversation(conversation_id)
            return
        w.open_search()
        if w.search_dialog is not None:
            nickname = dict(self.ws.handovers.customers()).get(customer_id, "")
            w.search_dialog.limit_to_customer(customer_id, nickname)

    def open_history(self) -> None:
        self.open_incoming(history=True)

    @asyncSlot(str, int)
    async def _ack(self, handover_id: str, item: int) -> None:
        await self.window.workers.in_db(self.ws.handovers.ack, handover_id, item)
        if self.incoming_dialog is not None:
            self.incoming_dialog.refresh()

    # ---- the problem log and the board ----------------------------------------------------

    def open_problem_log(self) -> ProblemLogDialog:
        if self.problem_dialog is not None and self.problem_dialog.isVisible():
            self.problem_dialog.raise_()
            return self.problem_dialog
        row = self.window.current_row
        dialog = ProblemLogDialog(self.tr_, self.ws.problems,
                                  conversation_id=row.id if row is not None else None,
                                  conversation_name=row.nickname if row is not None else "",
                                  parent=self.window)
        dialog.add_requested.connect(self._add_problem)
        self.problem_dialog = dialog
        dialog.show()
        return dialog

    @asyncSlot(str, str, object)
    async def _add_problem(self, text: str, category: str, conversation_id: object) -> None:
        shift = self.ws.handovers.current_shift()
        try:
            await self.window.workers.in_db(
                self.ws.problems.add, text, category=category,
                conversation_id=str(conversation_id) if conversation_id else None,
                shift_id=shift.id if shift else None)
        except ProblemRefused as exc:
            log.info("problem entry refused: %s", exc)
        if self.problem_dialog is not None:
            self.problem_dialog.refresh()

    def open_board(self) -> bool:
        """The lead's board, built by app.ui.board_window (imported only when asked); if it
        cannot be imported its command is disabled. False when nothing opened."""
        if not self.may_see_board():
            return False
        try:
            module = importlib.import_module(BOARD_MODULE)
            opener = module.open_board
        except (ImportError, AttributeError):
            log.exception("the lead's board cannot be opened")
            self.window.commands["shift.board"].setEnabled(False)
            return False
        opener(self.window)
        return True

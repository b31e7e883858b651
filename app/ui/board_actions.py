"""The board's actions (H13.3, H1.3, H1.10, H1.11, H11.4, H13.4), each with a readable outcome."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QTableView
from qasync import asyncSlot

from app.i18n import Tr
from app.services.board import BoardFailed, BoardService
from app.services.board_rows import AgentLine, BoardView
from app.ui.board_dialogs import CommentDialog, ReassignDialog
from app.ui.board_models import AgentModel, ProblemModel, ResetModel
from app.ui.modal import finished
from app.ui.theme import Palette
from app.ui.timeline_view import TimelineDialog
from app.workers import Workers


class BoardActions:
    """Mixed into BoardWindow (which provides these attributes and `refresh_snapshot`)."""

    service: BoardService
    workers: Workers
    tr_: Tr
    palette_: Palette
    team_id: str
    view: BoardView | None
    week: dt.date
    message: QLabel
    agents: AgentModel
    resets: ResetModel
    problems: ProblemModel
    reset_view: QTableView
    problem_view: QTableView
    week_label: QLabel
    review_button: QPushButton

    def selected_agents(self) -> list[AgentLine]:
        raise NotImplementedError

    async def refresh_snapshot(self) -> None:
        raise NotImplementedError

    def _fail_text(self, exc: BoardFailed) -> str:
        if exc.code in ("forbidden", "not_found", "network"):
            return self.tr_(f"board.fail.{exc.code}")
        return self.tr_("board.fail.other", message=exc.message or exc.code)

    async def _rest_each(self, call: Callable[[str], None], items: list[tuple[str, str]],
                         done_key: str) -> None:
        for item_id, name in items:
            try:
                await self.workers.in_net(call, item_id)
            except BoardFailed as exc:
                self.message.setText(self._fail_text(exc))
                break
            self.message.setText(self.tr_(done_key, name=name))
        await self.refresh_snapshot()

    @asyncSlot()
    async def unlock_selected(self) -> None:
        await self._rest_each(self.service.unlock, [(a.id, a.name) for a in
                                                    self.selected_agents() if a.locked],
                              "board.done.unlock")

    @asyncSlot()
    async def force_selected(self) -> None:
        agents = [a for a in self.selected_agents() if a.connection != "offline"]
        if not agents:
            return
        ask = QMessageBox(QMessageBox.Icon.Question, self.tr_("board.force_offline"),
                          self.tr_("board.confirm.force",
                                   names=self.tr_("board.names_sep").join(a.name for a in agents)),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        ask.button(QMessageBox.StandardButton.Yes).setText(self.tr_("board.force_offline"))
        ask.button(QMessageBox.StandardButton.Cancel).setText(self.tr_("dialog.cancel"))
        if await finished(ask) != QMessageBox.StandardButton.Yes.value:
            return
        await self._rest_each(self.service.force_offline, [(a.id, a.name) for a in agents],
                              "board.done.force")

    @asyncSlot()
    async def approve_selected(self) -> None:
        rows = [self.resets.row_at(i.row()) for i in
                self.reset_view.selectionModel().selectedRows()]
        await self._rest_each(self.service.approve_reset,
                              [(r.id, r.name) for r in rows if r is not None],
                              "board.done.approve")

    @asyncSlot()
    async def show_timeline(self) -> None:
        agents = self.selected_agents()
        if len(agents) != 1 or self.view is None:
            return
        agent, shift = agents[0], self.view.shift
        dialog = TimelineDialog(self.tr_, self.palette_, agent_name=agent.name, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        try:
            page = await self.workers.in_net(self.service.timeline, self.team_id, agent.id,
                                             shift.start, min(time.time(), shift.end))
        except BoardFailed as exc:
            dialog.show_error(self._fail_text(exc))
            return
        dialog.show_page(page, self.service.customer_names(
            e.conversation_id for e in page.events if e.conversation_id))

    @asyncSlot()
    async def reassign_selected(self) -> None:
        agents = self.selected_agents()
        if len(agents) != 1:
            return
        source = agents[0]
        targets = sorted((a for a in self.agents.rows if a.id != source.id),
                         key=lambda a: (a.connection == "offline", a.load, a.name))
        dialog = ReassignDialog(self.tr_, self.palette_, source=source,
                                conversations=self.service.open_of(source.id), targets=targets,
                                parent=self)
        if await finished(dialog) != ReassignDialog.DialogCode.Accepted.value:
            return
        count = dialog.count()
        await self.workers.in_db(self.service.reassign, source.id, dialog.target_ids(),
                                 dialog.conversation_ids(), dialog.notify.isChecked())
        self.message.setText(self.tr_("board.done.reassign", count=count))

    @asyncSlot()
    async def declare_surge(self) -> None:
        dialog = CommentDialog(self.tr_, title=self.tr_("board.surge.declare"),
                               label=self.tr_("board.surge.note"),
                               ok_text=self.tr_("board.surge.declare"), parent=self)
        if await finished(dialog) == CommentDialog.DialogCode.Accepted.value:
            await self.workers.in_db(self.service.declare_surge, self.team_id, dialog.value())
            self.message.setText(self.tr_("board.done.surge"))

    @asyncSlot()
    async def end_surge(self) -> None:
        if self.view is not None and self.view.surge is not None:
            await self.workers.in_db(self.service.end_surge, self.view.surge.id)
            self.message.setText(self.tr_("board.done.surge"))

    # ---- the problem log ---------------------------------------------------------------------

    def _move_week(self, days: int) -> None:
        self.week += dt.timedelta(days=days)
        self._load_problems()

    def _load_problems(self) -> None:
        end = self.week + dt.timedelta(days=6)
        self.week_label.setText(self.tr_("problems.week", start=self.week.isoformat(),
                                         end=end.isoformat()))
        self.problems.set_rows(self.service.problems(self.team_id, self.week))

    @asyncSlot()
    async def review_selected(self) -> None:
        rows = self.problem_view.selectionModel().selectedRows()
        problem = self.problems.row_at(rows[0].row()) if rows else None
        if problem is None:
            return
        dialog = CommentDialog(self.tr_, title=self.tr_("problems.review"),
                               label=self.tr_("problems.comment"),
                               ok_text=self.tr_("problems.review"), parent=self)
        if await finished(dialog) == CommentDialog.DialogCode.Accepted.value:
            await self.workers.in_db(self.service.review_problem, problem.id, dialog.value())

"""The shift lead's board window (交接班看板, H13.3): the floor live, problems and metrics tabs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import Tr
from app.services.board import BoardFailed, BoardService, board_team_ids
from app.services.board_rows import AgentLine, BoardView
from app.services.metrics import MetricsService
from app.services.runtime import Applied
from app.ui.board_actions import BoardActions
from app.ui.board_models import (
    AgentModel,
    HandoverModel,
    ProblemModel,
    QueueModel,
    ResetModel,
    RowsModel,
    clock_time,
)
from app.ui.metrics_view import MetricsView
from app.ui.theme import LIGHT, Palette
from app.workers import Workers


def table(model: RowsModel[Any], *, multi: bool = False) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    view.setWordWrap(False)
    return view


def group(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box


def button_row(*buttons: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for b in buttons:
        layout.addWidget(b)
    layout.addStretch(1)
    return row


class BoardWindow(BoardActions, QMainWindow):
    """Recomputes from the cache only when a page concerns the board (`apply_changes`);
    waiting times tick every second; the server's snapshot every `snapshot_every_s`."""

    def __init__(self, service: BoardService, workers: Workers, tr: Tr, palette: Palette, *,
                 metrics: MetricsService | None = None, snapshot_every_s: float = 15.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if parent is not None:
            self.setWindowFlag(Qt.WindowType.Window)
        self.service, self.workers, self.tr_, self.palette_ = service, workers, tr, palette
        self.metrics_service = metrics
        self.team_id = service.team_ids[0] if service.team_ids else ""
        self.view: BoardView | None = None
        self.week = _monday(dt.date.today())
        self._build_header()
        self._build_floor()
        self._build_problems()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.floor, tr("board.tab.floor"))
        self.tabs.addTab(self.problems_page, tr("board.tab.problems"))
        self.metrics_view: MetricsView | None = None
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs)
        self.setCentralWidget(central)
        self.resize(1360, 820)
        self.refresh_live()
        self._set_metrics_tab()
        self.tick = QTimer(self)
        self.tick.timeout.connect(self._tick)
        self.tick.start(1000)
        self.snapshot_timer = QTimer(self)
        self.snapshot_timer.timeout.connect(self.refresh_snapshot)
        self.snapshot_every_s = snapshot_every_s
        if snapshot_every_s > 0:
            self.snapshot_timer.start(int(snapshot_every_s * 1000))
            QTimer.singleShot(0, self.refresh_snapshot)

    # ---- assembly ----------------------------------------------------------------------------

    def _build_header(self) -> None:
        tr = self.tr_
        self.team = QComboBox()
        for team_id, name in self.service.teams():
            self.team.addItem(name, team_id)
        self.team.setVisible(self.team.count() > 1)
        self.team.currentIndexChanged.connect(self._team_changed)
        self.shift_label, self.surge_label, self.updated = QLabel(), QLabel(), QLabel()
        self.surge_label.setObjectName("banner")
        self.declare = QPushButton(tr("board.surge.declare"))
        self.end_surge_button = QPushButton(tr("board.surge.end"))
        self.refresh_button = QPushButton(tr("board.refresh"))
        self.message = QLabel("")
        self.message.setObjectName("hint")
        self.header = QWidget()
        layout = QHBoxLayout(self.header)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.team, self.shift_label, self.surge_label, self.declare,
                       self.end_surge_button):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addWidget(self.updated)
        layout.addWidget(self.refresh_button)
        self.declare.clicked.connect(self.declare_surge)
        self.end_surge_button.clicked.connect(self.end_surge)
        self.refresh_button.clicked.connect(self.refresh_snapshot)

    def _build_floor(self) -> None:
        tr = self.tr_
        self.agents = AgentModel(tr, self.palette_)
        self.queue = QueueModel(tr, self.palette_)
        self.handovers = HandoverModel(tr, self.palette_)
        self.resets = ResetModel(tr, self.palette_)
        self.agent_view = table(self.agents, multi=True)
        self.agent_view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.agent_view.setSortingEnabled(True)  # by breaches, wait, load … (kept live)
        header = self.agent_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.unlock_button = QPushButton(tr("board.unlock"))
        self.force_button = QPushButton(tr("board.force_offline"))
        self.timeline_button = QPushButton(tr("board.timeline"))
        self.reassign_button = QPushButton(tr("board.reassign"))
        self.approve_button = QPushButton(tr("board.approve"))
        self.agent_box = group("", self.agent_view, button_row(
            self.unlock_button, self.force_button, self.timeline_button, self.reassign_button))
        self.queue_view, self.handover_view = table(self.queue), table(self.handovers)
        self.queue_box = group("", self.queue_view)
        self.handover_box = group("", self.handover_view)
        self.reset_view = table(self.resets)
        self.reset_box = group("", self.reset_view, button_row(self.approve_button))
        side = QSplitter(Qt.Orientation.Vertical)
        for box in (self.queue_box, self.handover_box, self.reset_box):
            side.addWidget(box)
        self.floor = QSplitter(Qt.Orientation.Horizontal)
        self.floor.addWidget(self.agent_box)
        self.floor.addWidget(side)
        self.floor.setSizes([820, 520])
        self.unlock_button.clicked.connect(self.unlock_selected)
        self.force_button.clicked.connect(self.force_selected)
        self.timeline_button.clicked.connect(self.show_timeline)
        self.reassign_button.clicked.connect(self.reassign_selected)
        self.approve_button.clicked.connect(self.approve_selected)
        self.agent_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.reset_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.agent_view.doubleClicked.connect(lambda _i: self.show_timeline())

    def _build_problems(self) -> None:
        tr = self.tr_
        self.problems = ProblemModel(tr, self.palette_)
        self.problem_view = table(self.problems)
        self.week_label = QLabel()
        prev, nxt = QPushButton(tr("problems.prev")), QPushButton(tr("problems.next"))
        self.review_button = QPushButton(tr("problems.review"))
        prev.clicked.connect(lambda: self._move_week(-7))
        nxt.clicked.connect(lambda: self._move_week(7))
        self.review_button.clicked.connect(self.review_selected)
        bar = button_row(prev, nxt, self.review_button)
        bar.layout().insertWidget(0, self.week_label)  # type: ignore[union-attr]
        self.problem_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.problems_page = QWidget()
        layout = QVBoxLayout(self.problems_page)
        layout.addWidget(bar)
        layout.addWidget(self.problem_view)

    def _set_metrics_tab(self) -> None:
        if self.metrics_service is None:
            return
        if self.metrics_view is not None:
            self.tabs.removeTab(self.tabs.indexOf(self.metrics_view))
            self.metrics_view.deleteLater()
        view = self.view
        self.metrics_view = MetricsView(
            self.metrics_service, self.workers, self.tr_, self.palette_, team_id=self.team_id,
            team_name=view.team_name if view else "", shifts=self.service.shifts(self.team_id),
            standard_s=view.standard_s if view else None)
        self.tabs.addTab(self.metrics_view, self.tr_("board.tab.metrics"))

    # ---- live refresh ------------------------------------------------------------------------

    def apply_changes(self, applied: Applied) -> None:
        """A pulled page (Qt thread): recompute only when it concerns the board."""
        if self.isVisible() and self.service.applies_to(applied):
            self.refresh_live()

    def refresh_live(self) -> None:
        if not self.team_id:
            return
        view = self.view = self.service.live(self.team_id)
        selected = self.selected_agent_ids()
        self.agents.set_rows(view.agents)
        self.queue.set_rows(view.queue)
        self.handovers.set_rows(view.handovers)
        self.resets.set_rows(view.resets)
        if selected and selected != self.selected_agent_ids():
            self._select_agents(selected)
        tr = self.tr_
        self.setWindowTitle(tr("board.title", team=view.team_name))
        self.agent_box.setTitle(tr("board.agents", count=len(view.agents)))
        self.queue_box.setTitle(tr("board.queue", count=len(view.queue)))
        self.handover_box.setTitle(tr("board.handovers", count=len(view.handovers),
                                      overdue=sum(h.overdue for h in view.handovers)))
        self.reset_box.setTitle(tr("board.resets", count=len(view.resets)))
        shift = view.shift
        self.shift_label.setText(tr("board.shift", name=shift.name, start=shift.starts,
                                    end=shift.ends) if shift.id
                                 else tr("board.shift.none"))
        surge = view.surge
        self.surge_label.setText(tr("board.surge.on", time=clock_time(surge.started),
                                    source=tr("board.surge.lead" if surge.source == "lead"
                                              else "board.surge.auto")) if surge
                                 else tr("board.surge.off"))
        self.surge_label.setObjectName("banner" if surge else "")
        self.declare.setVisible(surge is None)
        self.end_surge_button.setVisible(surge is not None)
        self._show_updated()
        self._update_buttons()
        self._load_problems()

    def _show_updated(self) -> None:
        view, tr = self.view, self.tr_
        if view is None:
            return
        at = clock_time(view.snapshot_at) if view.snapshot_at else ""
        if view.offline:
            self.updated.setText(tr("board.offline", time=at) if at
                                 else tr("board.offline.never"))
        else:
            self.updated.setText(tr("board.updated", time=at) if at
                                 else tr("board.updated.never"))

    def _tick(self) -> None:
        """Waiting times and ages are read from the clock at paint time."""
        for view in (self.agent_view, self.queue_view, self.handover_view):
            view.viewport().update()

    @asyncSlot()
    async def refresh_snapshot(self) -> None:
        team = self.team_id
        try:
            await self.workers.in_net(self.service.refresh_snapshot, team)
        except BoardFailed as exc:
            self.message.setText(self._fail_text(exc))
        if team == self.team_id and not self._closed():
            self.refresh_live()

    def _closed(self) -> bool:
        return not self.isVisible()

    def _team_changed(self, _index: int) -> None:
        self.team_id = str(self.team.currentData())
        self.refresh_live()
        self._set_metrics_tab()
        self.refresh_snapshot()

    # ---- selection ---------------------------------------------------------------------------

    def selected_agents(self) -> list[AgentLine]:
        rows = sorted({i.row() for i in self.agent_view.selectionModel().selectedRows()})
        return [a for a in (self.agents.row_at(r) for r in rows) if a is not None]

    def selected_agent_ids(self) -> list[str]:
        return [a.id for a in self.selected_agents()]

    def _select_agents(self, ids: list[str]) -> None:
        selection = self.agent_view.selectionModel()
        selection.clearSelection()
        for agent_id in ids:
            row = self.agents.position_of(agent_id)
            if row >= 0:
                selection.select(self.agents.index(row, 0), selection.SelectionFlag.Select
                                 | selection.SelectionFlag.Rows)

    def select_agent(self, agent_id: str) -> None:
        self._select_agents([agent_id])

    def _update_buttons(self, *_: Any) -> None:
        agents = self.selected_agents()
        self.unlock_button.setEnabled(any(a.locked for a in agents))
        self.force_button.setEnabled(any(a.connection != "offline" for a in agents))
        self.timeline_button.setEnabled(len(agents) == 1)
        self.reassign_button.setEnabled(len(agents) == 1 and agents[0].load > 0)
        self.approve_button.setEnabled(self.reset_view.selectionModel().hasSelection())
        self.review_button.setEnabled(self.problem_view.selectionModel().hasSelection())

    # ---- window ------------------------------------------------------------------------------

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.tick.start(1000)
        if self.snapshot_every_s > 0 and not self.snapshot_timer.isActive():
            self.snapshot_timer.start(int(self.snapshot_every_s * 1000))

    def closeEvent(self, event: QCloseEvent) -> None:
        """Hidden, not destroyed: the main window keeps one board and reopens it; closed, it
        asks the server nothing."""
        self.tick.stop()
        self.snapshot_timer.stop()
        super().closeEvent(event)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def open_board(window: Any) -> None:
    """Opens (or raises) the board of this main window's signed-in lead (H13.3)."""
    existing = window.findChild(BoardWindow)
    if existing is not None:
        existing.show()
        existing.raise_()
        existing.activateWindow()
        existing.refresh_live()
        existing.refresh_snapshot()
        return
    runtime, ws = window.runtime, window.ws
    service = BoardService(
        runtime.store, run_db=runtime.engine.run_db, agent_id=ws.agent_id, role=ws.role,
        team_ids=board_team_ids(runtime.store, ws.team_id, ws.role), keeper=runtime.keeper,
        make_client=runtime.engine.make_client, poke=runtime.engine.poke, zone=ws.timezone)
    if not service.allowed:
        box = QMessageBox(QMessageBox.Icon.Information, window.tr_("app.title"),
                          window.tr_("board.not_lead"), QMessageBox.StandardButton.Ok, window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return
    palette = window.appearance.palette if window.appearance is not None else LIGHT
    board = BoardWindow(service, window.workers, window.tr_, palette,
                        metrics=MetricsService(keeper=runtime.keeper,
                                               make_client=runtime.engine.make_client),
                        parent=window)
    window.pages_applied.connect(board.apply_changes)
    board.show()



"""Table models of the lead's board: agents with state dots, queue, handover items, resets."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from app.i18n import Tr
from app.services.board_rows import AgentLine, HandoverLine, ProblemLine, QueueLine, iso_epoch
from app.ui.theme import Palette
from kefu_protocol.board import ResetRequestRow

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
CONNECTION_COLOURS = {"online": "#2e9d5b", "busy": "#d08a16", "away": "#8e99a6",
                      "offline": "#c4cad1", "degraded": "#d9534f"}
LOCK_KEYS = {"late_login": "board.lock.late_login", "failed_logins": "board.lock.failed_logins"}


def duration(tr: Tr, seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return tr("board.duration.s", s=s)
    if s < 3600:
        return tr("board.duration.m", m=s // 60, s=s % 60)
    return tr("board.duration.h", h=s // 3600, m=s % 3600 // 60)


def clock_time(epoch: float | None) -> str:
    return time.strftime("%H:%M", time.localtime(epoch)) if epoch else ""


def dot(colour: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


class RowsModel(QAbstractTableModel, Generic[T]):
    """Rows keyed by id; `set_rows` with the same keys in the same order emits dataChanged for
    the rows that differ (the selection stays), otherwise resets. Time columns read the clock
    at paint time, so a 1 s repaint moves them without touching the model."""

    headers: tuple[str, ...] = ()

    def __init__(self, tr: Tr, palette: Palette, *, clock: Callable[[], float] = time.time,
                 ) -> None:
        super().__init__()
        self.tr_ = tr
        self.palette_ = palette
        self.clock = clock
        self.rows: list[T] = []
        self.sorted_by: tuple[int, bool] | None = None
        """(column, descending) the lead clicked; None: the service's order."""

    def key(self, row: T) -> str:
        raise NotImplementedError

    def text(self, row: T, column: int) -> str:
        raise NotImplementedError

    def decoration(self, row: T, column: int) -> Any:
        return None

    def foreground(self, row: T, column: int) -> Any:
        return None

    def background(self, row: T, column: int) -> Any:
        return None

    def sort_value(self, row: T, column: int) -> Any:
        return self.text(row, column)

    def _ordered(self, rows: list[T]) -> list[T]:
        if self.sorted_by is None:
            return rows
        column, descending = self.sorted_by
        return sorted(rows, key=lambda r: self.sort_value(r, column), reverse=descending)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A header click: the rows stay in that order across refreshes."""
        if not 0 <= column < len(self.headers):
            return
        self.sorted_by = (column, order == Qt.SortOrder.DescendingOrder)
        self.layoutAboutToBeChanged.emit()
        before = [self.key(r) for r in self.rows]
        self.rows = self._ordered(self.rows)
        after = {self.key(r): i for i, r in enumerate(self.rows)}
        for index in self.persistentIndexList():  # the selection follows its rows
            if 0 <= index.row() < len(before):
                self.changePersistentIndex(
                    index, self.index(after[before[index.row()]], index.column()))
        self.layoutChanged.emit()

    def set_rows(self, rows: Sequence[T]) -> None:
        new = self._ordered(list(rows))
        if [self.key(r) for r in new] != [self.key(r) for r in self.rows]:
            self.beginResetModel()
            self.rows = new
            self.endResetModel()
            return
        changed = [i for i, (a, b) in enumerate(zip(self.rows, new, strict=True)) if a != b]
        self.rows = new
        last = self.columnCount() - 1
        for i in changed:
            self.dataChanged.emit(self.index(i, 0), self.index(i, last))

    def row_at(self, row: int) -> T | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def position_of(self, key: str) -> int:
        return next((i for i, r in enumerate(self.rows) if self.key(r) == key), -1)

    # ---- Qt overrides ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(row, column)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.decoration(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = self.foreground(row, column)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = self.background(row, column)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.UserRole:
            return self.key(row)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.headers)):
            return self.tr_(self.headers[section])
        return None


class AgentModel(RowsModel[AgentLine]):
    headers = ("board.col.agent", "board.col.state", "board.col.load", "board.col.wait",
               "board.col.breaches", "board.col.activity", "board.col.lock")

    def __init__(self, tr: Tr, palette: Palette, **kw: Any) -> None:
        super().__init__(tr, palette, **kw)
        self._dots: dict[str, QIcon] = {}

    def key(self, row: AgentLine) -> str:
        return row.id

    def text(self, row: AgentLine, column: int) -> str:
        tr = self.tr_
        if column == 0:
            return row.name
        if column == 1:
            return tr(f"board.conn.{row.connection}")
        if column == 2:
            return str(row.load)
        if column == 3:
            return duration(tr, self.clock() - row.waiting_since) if row.waiting_since else ""
        if column == 4:
            return str(row.breaches)
        if column == 5:
            return clock_time(row.last_activity)
        if not row.locked:
            return tr("board.lock.none")
        return tr(LOCK_KEYS.get(row.lock_reason, "board.lock.other"))

    def decoration(self, row: AgentLine, column: int) -> Any:
        if column != 1:
            return None
        colour = CONNECTION_COLOURS.get(row.connection, CONNECTION_COLOURS["offline"])
        if colour not in self._dots:
            self._dots[colour] = dot(colour)
        return self._dots[colour]

    def sort_value(self, row: AgentLine, column: int) -> Any:
        """Numbers as numbers; the longest wait by how long (no wait last when descending)."""
        values = (row.name, row.connection, row.load, -(row.waiting_since or self.clock()),
                  row.breaches, row.last_activity or 0.0, row.locked)
        return values[column]

    def foreground(self, row: AgentLine, column: int) -> Any:
        if (column == 4 and row.breaches) or (column == 6 and row.locked):
            return self.palette_.danger
        if column == 3 and row.waiting_since and self.clock() - row.waiting_since > 60:
            return self.palette_.warning
        return None


class QueueModel(RowsModel[QueueLine]):
    headers = ("board.col.customer", "board.col.waiting")

    def key(self, row: QueueLine) -> str:
        return row.conversation_id

    def text(self, row: QueueLine, column: int) -> str:
        if column == 0:
            return row.customer or self.tr_("board.customer.anon")
        return duration(self.tr_, self.clock() - row.since)

    def foreground(self, row: QueueLine, column: int) -> Any:
        return self.palette_.danger if row.complaint and column == 0 else None


class HandoverModel(RowsModel[HandoverLine]):
    headers = ("board.col.kind", "board.col.item", "board.col.from", "board.col.to",
               "board.col.age")

    def key(self, row: HandoverLine) -> str:
        return f"{row.handover_id}:{row.item}"

    def text(self, row: HandoverLine, column: int) -> str:
        values = (self.tr_(f"board.kind.{row.kind}"), row.text, row.from_name,
                  row.to_name or self.tr_("board.nobody"))
        return values[column] if column < 4 else duration(self.tr_, self.clock() - row.created)

    def background(self, row: HandoverLine, column: int) -> Any:
        return "#fbe3e2" if row.overdue and self.palette_.name == "light" else (
            "#4a2a2a" if row.overdue else None)


class ResetModel(RowsModel[ResetRequestRow]):
    headers = ("board.col.agent", "board.col.account", "board.col.requested")

    def key(self, row: ResetRequestRow) -> str:
        return row.id

    def text(self, row: ResetRequestRow, column: int) -> str:
        return (row.name, row.account, clock_time(iso_epoch(row.requested_at)))[column]


class ProblemModel(RowsModel[ProblemLine]):
    headers = ("problems.col.time", "problems.col.agent", "problems.col.category",
               "problems.col.text", "problems.col.review")

    def key(self, row: ProblemLine) -> str:
        return row.id

    def text(self, row: ProblemLine, column: int) -> str:
        if column == 0:
            return time.strftime("%m-%d %H:%M", time.localtime(row.created))
        if column == 4:
            return self.tr_("problems.reviewed", comment=row.comment) if row.reviewed \
                else self.tr_("problems.open")
        return (row.agent_name, row.category, row.text)[column - 1]

    def foreground(self, row: ProblemLine, column: int) -> Any:
        return self.palette_.warning if column == 4 and not row.reviewed else None

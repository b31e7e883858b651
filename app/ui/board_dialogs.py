"""The board's dialogs: bulk reassignment (H13.3) and an optional comment (reviews, surges)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.board_rows import AgentLine, OpenLine
from app.ui.board_models import RowsModel, duration
from app.ui.theme import Palette


class OpenModel(RowsModel[OpenLine]):
    headers = ("board.col.customer", "board.col.waiting")

    def key(self, row: OpenLine) -> str:
        return row.conversation_id

    def text(self, row: OpenLine, column: int) -> str:
        if column == 0:
            return row.customer or row.conversation_id[:8]
        return duration(self.tr_, self.clock() - row.waiting_since) if row.waiting_since else ""


class ReassignDialog(QDialog):
    """From one agent: all open conversations or the picked ones, to the checked agents
    (the server spreads them by load), customers told unless unchecked; OK says how many."""

    def __init__(self, tr: Tr, palette: Palette, *, source: AgentLine,
                 conversations: list[OpenLine], targets: list[AgentLine],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.setWindowTitle(tr("reassign.title", name=source.name))
        self.all = QRadioButton(tr("reassign.all", count=len(conversations)))
        self.picked = QRadioButton(tr("reassign.picked"))
        self.all.setChecked(True)
        self.model = OpenModel(tr, palette)
        self.model.set_rows(conversations)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.targets = QListWidget()
        for agent in targets:
            item = QListWidgetItem(tr("reassign.agent", name=agent.name,
                                      state=tr(f"board.conn.{agent.connection}"),
                                      load=agent.load))
            item.setData(Qt.ItemDataRole.UserRole, agent.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.targets.addItem(item)
        self.notify = QCheckBox(tr("reassign.notify"))
        self.notify.setChecked(True)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        self.ok = box.button(QDialogButtonBox.StandardButton.Ok)
        box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("dialog.cancel"))
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.all, self.picked, self.table, QLabel(tr("reassign.targets")),
                       self.targets, self.notify, box):
            layout.addWidget(widget)
        self.all.toggled.connect(self._update)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.targets.itemChanged.connect(lambda _item: self._update())
        self._update()
        self.resize(520, 640)

    def target_ids(self) -> list[str]:
        return [str(self.targets.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.targets.count())
                if self.targets.item(i).checkState() == Qt.CheckState.Checked]

    def conversation_ids(self) -> list[str] | None:
        """None: all of the agent's open conversations (the server picks them at apply)."""
        if self.all.isChecked():
            return None
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.rows[r].conversation_id for r in rows]

    def count(self) -> int:
        ids = self.conversation_ids()
        return self.model.rowCount() if ids is None else len(ids)

    def _update(self) -> None:
        self.table.setEnabled(self.picked.isChecked())
        count = self.count()
        self.ok.setText(self.tr_("reassign.ok", count=count))
        self.ok.setEnabled(count > 0 and bool(self.target_ids()))


class CommentDialog(QDialog):
    """A free text that may stay empty (a review comment, a surge note)."""

    def __init__(self, tr: Tr, *, title: str, label: str, ok_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.text = QPlainTextEdit()
        self.text.setFixedHeight(90)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        self.ok = box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok_text)
        box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("dialog.cancel"))
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(label))
        layout.addWidget(self.text)
        layout.addWidget(box)
        self.resize(420, 220)

    def value(self) -> str:
        return self.text.toPlainText().strip()[:500]

"""The log viewer (H10.3): filter by level, time, module and text, follow new lines, copy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.logs import LEVELS, LogFilter, LogRecordView, LogTail

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("logview.col.time", "logview.col.level", "logview.col.module", "logview.col.message")
MAX_SHOWN = 20_000


class LogTableModel(QAbstractTableModel):
    """The records that pass the filter, oldest first; new ones are appended at the end."""

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.records: list[LogRecordView] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.records):
            return None
        record = self.records[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            when = record.ts.strftime("%Y-%m-%d %H:%M:%S") if record.ts else ""
            message = record.message + (" …" if record.exc else "")
            return (when, record.level, record.logger, message)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return record.as_text()
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(COLUMNS)):
            return self.tr_(COLUMNS[section])
        return None

    def set_records(self, records: list[LogRecordView]) -> None:
        self.beginResetModel()
        self.records = records[-MAX_SHOWN:]
        self.endResetModel()

    def append(self, records: list[LogRecordView]) -> None:
        if not records:
            return
        records = records[-MAX_SHOWN:]
        overflow = len(self.records) + len(records) - MAX_SHOWN
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self.records[:overflow]
            self.endRemoveRows()
        first = len(self.records)
        self.beginInsertRows(QModelIndex(), first, first + len(records) - 1)
        self.records.extend(records)
        self.endInsertRows()


class LogViewer(QDialog):
    """Reads every log file once, then polls for appended lines while open."""

    def __init__(self, log_dir: Path, tr: Tr, parent: QWidget | None = None, *,
                 poll_ms: int = 500) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.log_dir = log_dir
        self.setWindowTitle(tr("logview.title"))
        self.resize(1000, 600)
        self.tail = LogTail(log_dir)
        self.all_records: list[LogRecordView] = []
        self.model = LogTableModel(tr, self)
        self._build(tr)
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)
        self.poll()
        self.follow.toggled.connect(self._follow_changed)
        self.timer.start()

    def _build(self, tr: Tr) -> None:
        self.level = QComboBox()
        self.level.addItem(tr("logview.level.all"), "")
        for name in LEVELS:
            self.level.addItem(name, name)
        now = QDateTime.currentDateTime()
        self.use_from, self.use_to = QCheckBox(tr("logview.from")), QCheckBox(tr("logview.to"))
        self.date_from, self.date_to = QDateTimeEdit(now.addDays(-1)), QDateTimeEdit(now)
        for edit in (self.date_from, self.date_to):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
            edit.setEnabled(False)
        self.module = QLineEdit(placeholderText=tr("logview.module_hint"))
        self.text = QLineEdit(placeholderText=tr("logview.text_hint"))
        self.text.setClearButtonEnabled(True)
        filters = QHBoxLayout()
        for label, widget in ((tr("logview.level"), self.level), (None, self.use_from),
                              (None, self.date_from), (None, self.use_to), (None, self.date_to),
                              (tr("logview.module"), self.module), (tr("logview.text"), self.text)):
            if label:
                filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.horizontalHeader().setStretchLastSection(True)
        for column, width in ((0, 150), (1, 70), (2, 180)):
            self.view.setColumnWidth(column, width)
        self.follow = QCheckBox(tr("logview.tail"))
        self.follow.setChecked(True)
        self.count = QLabel()
        self.copy_selected = QPushButton(tr("logview.copy_selected"))
        self.copy_all = QPushButton(tr("logview.copy_all"))
        self.open_folder = QPushButton(tr("logview.open_folder"))
        buttons = QHBoxLayout()
        for widget in (self.follow, self.count):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        for widget in (self.copy_selected, self.copy_all, self.open_folder):
            buttons.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.level.currentIndexChanged.connect(self.refilter)
        for box, edit in ((self.use_from, self.date_from), (self.use_to, self.date_to)):
            box.toggled.connect(edit.setEnabled)
            box.toggled.connect(self.refilter)
            edit.dateTimeChanged.connect(self.refilter)
        self.module.textChanged.connect(self.refilter)
        self.text.textChanged.connect(self.refilter)
        self.copy_selected.clicked.connect(self.copy_selected_lines)
        self.copy_all.clicked.connect(self.copy_shown_lines)
        self.open_folder.clicked.connect(self.open_log_folder)

    def current_filter(self) -> LogFilter:
        def when(box: QCheckBox, edit: QDateTimeEdit) -> dt.datetime | None:
            return edit.dateTime().toPython().astimezone() if box.isChecked() else None

        return LogFilter(level=self.level.currentData() or None,
                         since=when(self.use_from, self.date_from),
                         until=when(self.use_to, self.date_to),
                         module=self.module.text().strip() or None,
                         text=self.text.text().strip() or None)

    def refilter(self) -> None:
        wanted = self.current_filter()
        self.model.set_records([r for r in self.all_records if wanted.matches(r)])
        self._show_count()

    def poll(self) -> None:
        """New lines in the files: kept, and shown at the end if they pass the filter."""
        fresh = self.tail.poll()
        if not fresh:
            return
        self.all_records = (self.all_records + fresh)[-MAX_SHOWN * 5:]
        wanted = self.current_filter()
        self.model.append([r for r in fresh if wanted.matches(r)])
        self._show_count()
        if self.follow.isChecked():
            self.view.scrollToBottom()

    def _follow_changed(self, on: bool) -> None:
        if on:
            self.poll()
            self.timer.start()
        else:
            self.timer.stop()

    def _show_count(self) -> None:
        self.count.setText(self.tr_("logview.count", shown=self.model.rowCount()))

    def shown_text(self, rows: list[int] | None = None) -> str:
        records = self.model.records
        picked = records if rows is None else [records[r] for r in sorted(rows)]
        return "\n".join(r.as_text() for r in picked)

    def copy_selected_lines(self) -> None:
        rows = [index.row() for index in self.view.selectionModel().selectedRows()]
        if rows:
            QGuiApplication.clipboard().setText(self.shown_text(rows))

    def copy_shown_lines(self) -> None:
        QGuiApplication.clipboard().setText(self.shown_text())

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_dir)))

    def done(self, code: int) -> None:
        self.timer.stop()
        super().done(code)

"""Above the conversation list: filter-as-you-type, the view (mine, queue …) and the order."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from app.i18n import Tr
from app.services.listing import SORTS, VIEWS, ListQuery


class ListHeader(QWidget):
    """Emits the whole query whenever the agent changes any part of it."""

    query_changed = Signal(object)
    """The new ListQuery."""

    def __init__(self, tr: Tr, query: ListQuery) -> None:
        super().__init__()
        self.query = query
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(tr("list.filter"))
        self.filter.setClearButtonEnabled(True)
        self.filter.setText(query.text)
        self.view = QComboBox()
        for view in VIEWS:
            self.view.addItem(tr(f"list.view.{view}"), view)
        self.view.setCurrentIndex(VIEWS.index(query.view))
        self.sort = QComboBox()
        for sort in SORTS:
            self.sort.addItem(tr(f"list.sort.{sort}"), sort)
        self.sort.setCurrentIndex(SORTS.index(query.sort))
        self.sort.setToolTip(tr("list.sort.tip"))
        self._debounce = QTimer(self)  # typing fast runs one query, not one per key
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(120)
        self._debounce.timeout.connect(self._emit)
        self.filter.textChanged.connect(lambda _text: self._debounce.start())
        self.view.activated.connect(lambda _i: self._emit())
        self.sort.activated.connect(lambda _i: self._emit())
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.view, 1)
        row.addWidget(self.sort, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.setSpacing(4)
        layout.addWidget(self.filter)
        layout.addLayout(row)

    def _emit(self) -> None:
        query = replace(self.query, text=self.filter.text(), view=self.view.currentData(),
                        sort=self.sort.currentData())
        if query != self.query:
            self.query = query
            self.query_changed.emit(query)

    def show_view(self, view: str) -> None:
        self.view.setCurrentIndex(VIEWS.index(view))  # type: ignore[arg-type]
        self._emit()

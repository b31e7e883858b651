"""The 订单 tab's widgets (H5): order-number lookup, the order list, the scrolling details."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.order_views import OrderDetail, OrderRow
from app.ui.order_card import money
from app.ui.order_detail import OrderDetailView

ID_ROLE = Qt.ItemDataRole.UserRole
FLAG_COLOUR = "#c0392b"

__all__ = ["OrderPanel", "money", "row_text"]


def row_text(tr: Tr, row: OrderRow) -> str:
    """One list row: number, status, total, then what the agent should notice about it."""
    marks = []
    if row.flagged:
        marks.append(tr("orders.mark_flag", note=row.flag_note or "-",
                        by=row.flagged_by or tr("orders.flag_mine")))
    if row.open_problem:
        marks.append(tr("orders.mark_problem", problem=row.open_problem))
    if row.pending:
        marks.append(tr("orders.mark_pending"))
    if row.refused:
        marks.append(tr("orders.mark_refused"))
    return tr("orders.row", order_no=row.order_no, status=row.status,
              total=money(tr, row.total_cents), marks="".join(
                  tr("orders.mark", mark=m) for m in marks))


class OrderPanel(QWidget):
    """Draws what the desk hands it; every request goes out as a signal (the detail view's
    signals are the desk's to connect)."""

    lookup_requested = Signal(str)
    order_selected = Signal(str)

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("orders.lookup_hint"))
        self.search.returnPressed.connect(self._lookup)
        self.lookup = QPushButton(tr("orders.lookup"))
        self.lookup.clicked.connect(self._lookup)
        self.heading = QLabel(tr("orders.no_customer"))
        self.notice = QLabel("")
        self.notice.setObjectName("orderNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #c77c0e;")
        self.notice.hide()
        self.orders = QListWidget()
        self.orders.currentItemChanged.connect(self._selected)
        self.detail = OrderDetailView(tr)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.orders)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setChildrenCollapsible(False)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.lookup)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.heading)
        layout.addWidget(self.notice)
        layout.addWidget(self.splitter, 1)
        self.orders.setMinimumHeight(60)

    @property
    def shown(self) -> OrderDetail | None:
        return self.detail.shown

    def show_orders(self, rows: tuple[OrderRow, ...], *, heading: str,
                    keep: str | None = None) -> None:
        """The list; `keep` stays selected when it is still there, else the first order."""
        self.heading.setText(heading if rows else self.tr_("orders.none"))
        self.orders.blockSignals(True)
        self.orders.clear()
        chosen = 0
        for position, row in enumerate(rows):
            item = QListWidgetItem(row_text(self.tr_, row))
            item.setData(ID_ROLE, row.id)
            if row.flagged:
                item.setForeground(QColor(FLAG_COLOUR))
            self.orders.addItem(item)
            if row.id == keep:
                chosen = position
        self.orders.blockSignals(False)
        if rows:
            self.orders.setCurrentRow(chosen)
            self._selected(self.orders.currentItem(), None)
        else:
            self.show_detail(None)

    def show_detail(self, detail: OrderDetail | None) -> None:
        self.detail.show_detail(detail)

    def show_note(self, text: str) -> None:
        """About the order shown (a change that could not be queued)."""
        self.detail.show_note(text)

    def show_notice(self, text: str) -> None:
        """About the tab as a whole (no open conversation, another customer's order); "" hides."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def selected_id(self) -> str | None:
        item = self.orders.currentItem()
        return str(item.data(ID_ROLE)) if item is not None else None

    def _lookup(self) -> None:
        self.lookup_requested.emit(self.search.text().strip())

    def _selected(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is not None:
            self.order_selected.emit(str(current.data(ID_ROLE)))

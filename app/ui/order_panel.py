"""The 订单 tab's widgets (H5): order-number lookup, the order list, one order's details."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.orders import OrderDetail, OrderRow
from app.ui.handover_dialog import local_time

ID_ROLE = Qt.ItemDataRole.UserRole


def money(tr: Tr, cents: int) -> str:
    return tr("orders.money", amount=f"{cents / 100:.2f}")


class OrderPanel(QWidget):
    """Draws what the desk hands it; every request goes out as a signal."""

    lookup_requested = Signal(str)
    order_selected = Signal(str)
    change_requested = Signal(str, str)
    """(order id, the status to change to)."""
    dismiss_requested = Signal(str)

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.shown: OrderDetail | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("orders.lookup_hint"))
        self.search.returnPressed.connect(self._lookup)
        self.lookup = QPushButton(tr("orders.lookup"))
        self.lookup.clicked.connect(self._lookup)
        self.heading = QLabel(tr("orders.no_customer"))
        self.orders = QListWidget()
        self.orders.currentItemChanged.connect(self._selected)
        self.title = QLabel("")
        self.title.setObjectName("orderTitle")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.refused = QLabel("")
        self.refused.setObjectName("orderRefused")
        self.refused.setWordWrap(True)
        self.refused.setStyleSheet("color: #c0392b;")
        self.dismiss = QPushButton(tr("orders.dismiss"))
        self.dismiss.clicked.connect(self._dismiss)
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.next_status = QComboBox()
        self.apply = QPushButton(tr("orders.apply"))
        self.apply.clicked.connect(self._apply)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.lines = QListWidget()
        self.history = QListWidget()
        self.logistics = QListWidget()
        self._build()
        self.show_detail(None)

    def _build(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.lookup)
        refused_row = QHBoxLayout()
        refused_row.addWidget(self.refused, 1)
        refused_row.addWidget(self.dismiss)
        change = QHBoxLayout()
        change.addWidget(QLabel(self.tr_("orders.change_to")))
        change.addWidget(self.next_status, 1)
        change.addWidget(self.apply)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.heading)
        layout.addWidget(self.orders, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addLayout(refused_row)
        layout.addLayout(change)
        layout.addWidget(self.note)
        layout.addWidget(self.facts)
        for key, widget in (("orders.lines", self.lines), ("orders.history", self.history),
                            ("orders.logistics", self.logistics)):
            layout.addWidget(QLabel(self.tr_(key)))
            layout.addWidget(widget, 1)

    # ---- drawing ----------------------------------------------------------------------------

    def show_orders(self, rows: tuple[OrderRow, ...], *, heading: str,
                    keep: str | None = None) -> None:
        """The list; `keep` stays selected when it is still there, else the first order."""
        tr = self.tr_
        self.heading.setText(heading if rows else tr("orders.none"))
        self.orders.blockSignals(True)
        self.orders.clear()
        chosen = 0
        for position, row in enumerate(rows):
            key = "orders.row_pending" if row.pending_status else (
                "orders.row_refused" if row.refused else "orders.row")
            item = QListWidgetItem(tr(key, order_no=row.order_no, status=row.status,
                                      total=money(tr, row.total_cents)))
            item.setData(ID_ROLE, row.id)
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
        tr = self.tr_
        self.shown = detail
        self.note.setText("")
        for widget in (self.lines, self.history, self.logistics):
            widget.clear()
        has = detail is not None
        for widget in (self.title, self.status, self.facts, self.next_status, self.apply):
            widget.setVisible(has)
        if detail is None:
            self.refused.hide()
            self.dismiss.hide()
            return
        row = detail.row
        self.title.setText(tr("orders.title", order_no=row.order_no))
        if row.pending_status:
            self.status.setText(tr("orders.status_pending", status=row.status,
                                   was=row.server_status))
        else:
            self.status.setText(tr("orders.status", status=row.status))
        if row.refused:
            self.refused.setText("\n".join(tr("orders.refused", reason=r.reason)
                                           for r in row.refused))
        self.refused.setVisible(bool(row.refused))
        self.dismiss.setVisible(bool(row.refused))
        self.facts.setText("\n".join((
            tr("orders.total", total=money(tr, row.total_cents)),
            tr("orders.payment", method=detail.payment_method or "-"),
            tr("orders.address", address=detail.address_masked or "-"),
            tr("orders.handled_by", ids="、".join(detail.handled_by) or tr("orders.nobody")))))
        self.next_status.clear()
        for status in detail.next_statuses:
            self.next_status.addItem(status, status)
        final = not detail.next_statuses
        self.next_status.setEnabled(not final and not row.pending_status)
        self.apply.setEnabled(not final and not row.pending_status)
        if final:
            self.note.setText(tr("orders.final"))
        for line in detail.lines:
            self.lines.addItem(tr("orders.line", name=line.name, sku=line.sku, qty=line.qty,
                                  price=money(tr, line.price_cents)))
        for step in detail.history:
            self.history.addItem(tr("orders.history_step", at=local_time(step.at),
                                    status=step.status, by=step.by))
        for event in detail.logistics:
            self.logistics.addItem(tr("orders.logistics_step", at=local_time(event.at),
                                      carrier=event.carrier, tracking_no=event.tracking_no,
                                      status=event.status, detail=event.detail))
        if not detail.logistics:
            self.logistics.addItem(tr("orders.no_logistics"))

    def show_note(self, text: str) -> None:
        self.note.setText(text)

    def selected_id(self) -> str | None:
        item = self.orders.currentItem()
        return str(item.data(ID_ROLE)) if item is not None else None

    # ---- requests ---------------------------------------------------------------------------

    def _lookup(self) -> None:
        self.lookup_requested.emit(self.search.text().strip())

    def _selected(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is not None:
            self.order_selected.emit(str(current.data(ID_ROLE)))

    def _apply(self) -> None:
        target = self.next_status.currentData()
        if self.shown is not None and target:
            self.apply.setEnabled(False)
            self.change_requested.emit(self.shown.row.id, str(target))

    def _dismiss(self) -> None:
        if self.shown is not None:
            self.dismiss_requested.emit(self.shown.row.id)

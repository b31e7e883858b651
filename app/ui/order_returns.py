"""The order's returns and exchanges (H5.2): its cases, their status and the legal next steps."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.order_views import OrderDetail, ReturnCase
from app.ui.order_logistics import FittingList, fit_list, section_title

CASE_ROLE = Qt.ItemDataRole.UserRole


class ReturnsSection(QWidget):
    """申请退换货 opens the guided form (via the desk); a case's next step is chosen below the
    list, like an order's status."""

    new_requested = Signal()
    step_requested = Signal(str, str)
    """(return case id, the status to move it to)."""

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.cases: dict[str, ReturnCase] = {}
        self.new = QPushButton(tr("order_returns.new"))
        self.new.clicked.connect(self.new_requested)
        self.list = FittingList()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.currentItemChanged.connect(lambda *_: self._offer())
        self.next_status = QComboBox()
        self.apply = QPushButton(tr("order_returns.apply"))
        self.apply.clicked.connect(self._apply)
        self.state = QLabel("")
        self.state.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(section_title(tr("order_returns.title")), 1)
        head.addWidget(self.new)
        step = QHBoxLayout()
        step.addWidget(QLabel(tr("order_returns.move_to")))
        step.addWidget(self.next_status, 1)
        step.addWidget(self.apply)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.list)
        layout.addLayout(step)
        layout.addWidget(self.state)

    def case_text(self, case: ReturnCase) -> str:
        tr = self.tr_
        items = "、".join(tr("order_returns.item", name=i.name or i.sku, qty=i.qty)
                         for i in case.items)
        key = "order_returns.row_pending" if case.pending else "order_returns.row"
        return tr(key, kind=case.kind, status=case.status, items=items, reason=case.reason)

    def show_detail(self, detail: OrderDetail) -> None:
        keep = self.selected_id()
        self.cases = {case.id: case for case in detail.returns}
        self.new.setVisible(detail.can_return)
        self.list.blockSignals(True)
        self.list.clear()
        chosen = 0
        for position, case in enumerate(detail.returns):
            item = QListWidgetItem(self.case_text(case))
            item.setData(CASE_ROLE, case.id)
            self.list.addItem(item)
            if case.id == keep:
                chosen = position
        self.list.blockSignals(False)
        if detail.returns:
            self.list.setCurrentRow(chosen)
        else:
            self.list.addItem(self.tr_("order_returns.none"))
        fit_list(self.list)
        self._offer()

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        value = item.data(CASE_ROLE) if item is not None else None
        return str(value) if value else None

    def _offer(self) -> None:
        case = self.cases.get(self.selected_id() or "")
        self.next_status.clear()
        for status in case.next_statuses if case is not None else ():
            self.next_status.addItem(status, status)
        can = case is not None and bool(case.next_statuses)
        for widget in (self.next_status, self.apply):
            widget.setVisible(case is not None)
            widget.setEnabled(can)
        if case is None:
            self.state.setText("")
        elif case.pending:
            self.state.setText(self.tr_("order_returns.waiting"))
        elif not case.next_statuses:
            self.state.setText(self.tr_("order_returns.final", status=case.status))
        else:
            self.state.setText("")
        self.state.setVisible(bool(self.state.text()))

    def _apply(self) -> None:
        case_id, target = self.selected_id(), self.next_status.currentData()
        if case_id and target:
            self.apply.setEnabled(False)
            self.step_requested.emit(case_id, str(target))

"""One order's details in a scroll area (H5, H7): status, pending and refused, handling, goods."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.order_views import OrderDetail, StatusStep
from app.ui.handover_dialog import local_time
from app.ui.order_card import money
from app.ui.order_logistics import FittingList, LogisticsSection, fit_list, section_title
from app.ui.order_returns import ReturnsSection

ACTIONS = ("address", "cancel", "intercept", "flag", "send_card")
"""The buttons of special handling (H5.3, H5.4) and the card (H5); `action_requested` names them."""
STEP_ACTIONS = ("address_change", "cancel", "intercept", "flag", "unflag", "return_create",
                "return_update", "logistics_report", "logistics_resolve")
"""The handlings the server writes into an order's history (H5.4), each with its words."""


def intent_text(tr: Tr, name: str, target: str) -> str:
    """What a queued or refused intent asked for, e.g. 修改地址 or 改为已签收."""
    return tr(f"orders.intent.{name}", target=target)


def step_text(tr: Tr, step: StatusStep) -> str:
    at = local_time(step.at)
    if not step.action:
        return tr("orders.history_step", at=at, status=step.status, by=step.by)
    known = step.action in STEP_ACTIONS
    action = tr(f"orders.action.{step.action}") if known else tr("orders.action.other")
    return tr("orders.history_action", at=at, action=action, note=step.note or "-", by=step.by)




class OrderDetailView(QScrollArea):
    """Readable at 1280×800: everything scrolls as one page; lists are as tall as their rows."""

    change_requested = Signal(str, str)
    """(order id, the status to change to)."""
    action_requested = Signal(str, str)
    """(one of ACTIONS or report / resolve / return, order id)."""
    dismiss_requested = Signal(str)
    return_step_requested = Signal(str, str)

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.shown: OrderDetail | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page = QWidget()
        self.title = QLabel("")
        self.title.setObjectName("orderTitle")
        self.title.setStyleSheet("font-weight: 600;")
        self.flag = QLabel("")
        self.flag.setObjectName("orderFlag")
        self.flag.setWordWrap(True)
        self.flag.setStyleSheet("color: #c0392b;")
        self.status = self._label()
        self.pending = self._label()
        self.pending.setStyleSheet("color: #6b7785;")
        self.refused = self._label()
        self.refused.setObjectName("orderRefused")
        self.refused.setStyleSheet("color: #c0392b;")
        self.dismiss = QPushButton(tr("orders.dismiss"))
        self.dismiss.clicked.connect(lambda: self._emit(self.dismiss_requested))
        self.next_status = QComboBox()
        self.apply = QPushButton(tr("orders.apply"))
        self.apply.clicked.connect(self._apply)
        self.buttons = {name: QPushButton(tr(f"orders.do_{name}")) for name in ACTIONS}
        for name, button in self.buttons.items():
            button.clicked.connect(lambda _=False, n=name: self._act(n))
        self.note = self._label()
        self.facts = self._label()
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lines = self._list()
        self.history = self._list()
        self.logistics_section = LogisticsSection(tr)
        self.logistics = self.logistics_section.events
        self.logistics_section.report_requested.connect(lambda: self._act("report"))
        self.logistics_section.resolve_requested.connect(lambda: self._act("resolve"))
        self.returns = ReturnsSection(tr)
        self.returns.new_requested.connect(lambda: self._act("return"))
        self.returns.step_requested.connect(self.return_step_requested)
        self._build(page)
        self.setWidget(page)
        self.show_detail(None)

    def _label(self) -> QLabel:
        label = QLabel("")
        label.setWordWrap(True)
        return label

    def _list(self) -> QListWidget:
        return FittingList()

    def _build(self, page: QWidget) -> None:
        refused_row = QHBoxLayout()
        refused_row.addWidget(self.refused, 1)
        refused_row.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        change = QHBoxLayout()
        change.addWidget(QLabel(self.tr_("orders.change_to")))
        change.addWidget(self.next_status, 1)
        change.addWidget(self.apply)
        grid = QGridLayout()
        for position, name in enumerate(ACTIONS):
            grid.addWidget(self.buttons[name], position // 3, position % 3)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(2, 2, 8, 2)
        for widget in (self.title, self.flag, self.status, self.pending):
            layout.addWidget(widget)
        layout.addLayout(refused_row)
        layout.addLayout(change)
        layout.addLayout(grid)
        layout.addWidget(self.note)
        layout.addWidget(self.facts)
        layout.addWidget(section_title(self.tr_("orders.lines")))
        layout.addWidget(self.lines)
        layout.addWidget(self.logistics_section)
        layout.addWidget(self.returns)
        layout.addWidget(section_title(self.tr_("orders.history")))
        layout.addWidget(self.history)
        layout.addStretch(1)

    def show_detail(self, detail: OrderDetail | None) -> None:
        tr = self.tr_
        self.shown = detail
        self.note.setText("")
        self.widget().setVisible(detail is not None)
        if detail is None:
            return
        row = detail.row
        self.title.setText(tr("orders.title", order_no=row.order_no))
        self.flag.setText(tr("orders.flag_line", note=row.flag_note or "-",
                             by=row.flagged_by or tr("orders.flag_mine")) if row.flagged else "")
        self.flag.setVisible(row.flagged)
        self.status.setText(tr("orders.status_pending", status=row.status, was=row.server_status)
                            if row.pending_status else tr("orders.status", status=row.status))
        self.pending.setText(tr("orders.pending", what="、".join(
            intent_text(tr, i.name, i.target) for i in row.pending)) if row.pending else "")
        self.pending.setVisible(bool(row.pending))
        self.refused.setText("\n".join(
            tr("orders.refused", what=intent_text(tr, r.name, r.target), reason=r.reason)
            for r in row.refused))
        self.refused.setVisible(bool(row.refused))
        self.dismiss.setVisible(bool(row.refused))
        self._offer(detail)
        address = tr("orders.address_pending" if "address" in row.pending_parts
                     else "orders.address", address=detail.address_masked or "-")
        facts = [tr("orders.total", total=money(tr, row.total_cents)),
                 tr("orders.payment", method=detail.payment_method or "-"), address]
        if detail.intercept_requested_at or "intercept" in row.pending_parts:
            facts.append(tr("orders.intercepted", at=local_time(detail.intercept_requested_at)
                            if "intercept" not in row.pending_parts else tr("orders.syncing")))
        facts.append(tr("orders.handled_by",
                        ids="、".join(detail.handled_by) or tr("orders.nobody")))
        self.facts.setText("\n".join(facts))
        self._fill(self.lines, [tr("orders.line", name=li.name, sku=li.sku, qty=li.qty,
                                   price=money(tr, li.price_cents)) for li in detail.lines])
        self._fill(self.history, [step_text(tr, step) for step in detail.history])
        self.logistics_section.show_detail(detail)
        self.returns.show_detail(detail)

    def _offer(self, detail: OrderDetail) -> None:
        tr, row = self.tr_, detail.row
        self.next_status.clear()
        for status in detail.next_statuses:
            self.next_status.addItem(status, status)
        final = not detail.next_statuses
        self.next_status.setEnabled(not final and not row.pending_status)
        self.apply.setEnabled(not final and not row.pending_status)
        if final:
            self.note.setText(tr("orders.final"))
        offered = {"address": detail.can_change_address, "cancel": detail.can_cancel,
                   "intercept": detail.can_intercept, "flag": True, "send_card": True}
        for name, button in self.buttons.items():
            button.setVisible(offered[name])
        self.buttons["flag"].setText(tr("orders.do_unflag" if row.flagged else "orders.do_flag"))
        self.buttons["flag"].setEnabled("flag" not in row.pending_parts)

    def _fill(self, widget: QListWidget, texts: list[str]) -> None:
        widget.clear()
        widget.addItems(texts or [self.tr_("orders.nobody")])
        fit_list(widget)

    def show_note(self, text: str) -> None:
        self.note.setText(text)

    def _emit(self, signal: Signal) -> None:
        if self.shown is not None:
            signal.emit(self.shown.row.id)  # type: ignore[attr-defined]

    def _act(self, name: str) -> None:
        if self.shown is not None:
            self.action_requested.emit(name, self.shown.row.id)

    def _apply(self) -> None:
        target = self.next_status.currentData()
        if self.shown is not None and target:
            self.apply.setEnabled(False)
            self.change_requested.emit(self.shown.row.id, str(target))

"""Handovers for the incoming agent (H13.2): each item acknowledged, opened; the kept records."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.handover import HandoverItemView, HandoverService, HandoverView
from app.ui.handover_dialog import local_time

Loader = Callable[[], tuple[HandoverView, ...]]


class IncomingHandoverDialog(QDialog):
    """`history=False`: the handovers to me with something unacknowledged (after login);
    `history=True`: every kept record, searchable by shift, agent, customer and text."""

    ack_requested = Signal(str, int)
    """(handover id, item index)."""
    conversation_requested = Signal(str)
    customer_requested = Signal(str)

    def __init__(self, tr: Tr, service: HandoverService, *, history: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.service = service
        self.history = history
        self.setWindowTitle(tr("handover.history_title" if history else "handover.incoming"))
        self.tree = QTreeWidget()
        self.tree.setColumnCount(5)
        self.tree.setHeaderLabels([tr("handover.col.item"), tr("handover.col.customer"),
                                   tr("handover.col.due"), tr("handover.col.state"), ""])
        self.tree.setColumnWidth(0, 420)
        self.tree.setColumnWidth(2, 110)
        self.tree.setColumnWidth(3, 130)
        self.buttons: dict[tuple[str, int], dict[str, QPushButton]] = {}
        self.shown: set[str] = set()
        layout = QVBoxLayout(self)
        if history:
            layout.addLayout(self._filters())
        self.empty = QLabel(tr("handover.none"))
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        close = QPushButton(tr("handover.close"))
        close.clicked.connect(self.accept)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(960, 520)
        self.refresh()

    def _filters(self) -> QHBoxLayout:
        tr = self.tr_
        self.shift = QComboBox()
        self.shift.addItem(tr("handover.any_shift"), None)
        for sid, name in self.service.shifts():
            self.shift.addItem(name, sid)
        self.agent = QComboBox()
        self.agent.addItem(tr("handover.any_agent"), None)
        for person in self.service.colleagues.all(include_me=True):
            self.agent.addItem(person.name, person.id)
        self.customer = QComboBox()
        self.customer.addItem(tr("handover.any_customer"), None)
        for cid, nickname in self.service.customers():
            self.customer.addItem(nickname, cid)
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("handover.search_text"))
        row = QHBoxLayout()
        for widget in (self.shift, self.agent, self.customer, self.text):
            row.addWidget(widget, 1)
            signal = widget.textChanged if isinstance(widget, QLineEdit) \
                else widget.currentIndexChanged
            signal.connect(self.refresh)
        return row

    def handovers(self) -> tuple[HandoverView, ...]:
        if not self.history:  # what needs me, and what did when it was first shown
            found = tuple(h for h in self.service.incoming()
                          if h.id in self.shown or self.service.needs_ack(h))
            self.shown |= {h.id for h in found}
            return found
        return self.service.search(shift_id=self.shift.currentData(),
                                   agent_id=self.agent.currentData(),
                                   customer_id=self.customer.currentData(),
                                   text=self.text.text())

    def refresh(self, *_args: object) -> None:
        self.tree.clear()
        self.buttons = {}
        found = self.handovers()
        self.empty.setVisible(not found)
        for handover in found:
            top = QTreeWidgetItem([self._title(handover)])
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)
            for item in handover.items:
                self._add_item(top, handover, item)
            top.setExpanded(True)

    def _title(self, h: HandoverView) -> str:
        if h.pending:
            return self.tr_("handover.pending_title", to=h.to_name or self.tr_("handover.team"),
                            count=len(h.items))
        return self.tr_("handover.from", name=h.from_name, to=h.to_name or
                        self.tr_("handover.team"), at=local_time(h.created_at),
                        shift=h.shift_name or "-", note=h.note)

    def _add_item(self, top: QTreeWidgetItem, h: HandoverView, item: HandoverItemView) -> None:
        tr = self.tr_
        state = tr("handover.state.acked" if item.acked_at else
                   "handover.state.ack_pending" if item.ack_pending else "handover.state.open")
        if item.skipped:
            state = tr("handover.state.skipped", state=state)
        line = QTreeWidgetItem([tr(f"handover.item.{item.kind}",
                                   text=item.text or item.customer_name,
                                   to=item.to_agent_name), item.customer_name,
                                local_time(item.due_at), state])
        line.setToolTip(0, line.text(0))  # long to-dos are cut in the column
        top.addChild(line)
        cell = QWidget()
        row = QHBoxLayout(cell)
        row.setContentsMargins(0, 0, 0, 0)
        buttons: dict[str, QPushButton] = {}
        mine = not h.pending and item.to_agent_id == self.service.agent_id
        if mine and not item.acked:
            buttons["ack"] = QPushButton(tr("handover.ack"))
            buttons["ack"].clicked.connect(
                lambda _c=False, i=h.id, n=item.index: self.ack_requested.emit(i, n))
        if item.conversation_id:
            buttons["conversation"] = QPushButton(tr("handover.open_conversation"))
            buttons["conversation"].clicked.connect(
                lambda _c=False, c=item.conversation_id: self.conversation_requested.emit(c))
        if item.customer_id:
            buttons["customer"] = QPushButton(tr("handover.open_customer"))
            buttons["customer"].clicked.connect(
                lambda _c=False, c=item.customer_id: self.customer_requested.emit(c))
        for button in buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        self.tree.setItemWidget(line, 4, cell)
        self.buttons[(h.id, item.index)] = buttons

"""The outgoing agent's handover form (交接, H13.2): conversations to hand over, items, log out."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.colleagues import Colleague
from app.services.handover import HandoverDraft, ItemInput

EXTRA_KINDS = ("todo", "prospect", "callback", "note")
_NEEDS_CUSTOMER = ("prospect", "callback")


def local_time(value: str | None) -> str:
    """An ISO time (UTC when it has no zone) as this computer's wall time, "MM-DD HH:MM"."""
    if not value:
        return ""
    when = dt.datetime.fromisoformat(value)
    when = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return when.astimezone().strftime("%m-%d %H:%M")


def _colleague_picker(tr: Tr, colleagues: tuple[Colleague, ...], empty_key: str) -> QComboBox:
    box = QComboBox()
    box.addItem(tr(empty_key), None)
    for person in colleagues:
        box.addItem(tr("handover.person", name=person.name,
                       status=tr(f"status.{person.presence}"), load=person.load), person.id)
    return box


class HandoverDialog(QDialog):
    """Reads nothing itself: the draft and the customers come in, `items()` goes out."""

    def __init__(self, tr: Tr, draft: HandoverDraft, customers: tuple[tuple[str, str], ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.draft = draft
        self.setWindowTitle(tr("handover.title"))
        shift = draft.shift
        header = QLabel(tr("handover.shift", name=shift.name, starts=shift.starts,
                           ends=shift.ends) if shift else tr("handover.no_shift"))
        self.table = QTableWidget(len(draft.conversations), 5)
        self.table.setHorizontalHeaderLabels([
            tr("handover.col.hand"), tr("handover.col.customer"), tr("handover.col.last"),
            tr("handover.col.waiting"), tr("handover.col.to")])
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(4, 240)
        self.table.verticalHeader().hide()
        self.checks: list[QCheckBox] = []
        self.pickers: list[QComboBox] = []
        for row, conv in enumerate(draft.conversations):
            check = QCheckBox()
            check.setChecked(True)
            picker = _colleague_picker(tr, draft.colleagues, "handover.pick")
            picker.currentIndexChanged.connect(self._check)
            check.toggled.connect(self._check)
            self.table.setCellWidget(row, 0, check)
            self.table.setItem(row, 1, QTableWidgetItem(conv.nickname))
            self.table.setItem(row, 2, QTableWidgetItem(conv.last_message))
            self.table.setItem(row, 3, QTableWidgetItem(local_time(conv.waiting_since)))
            self.table.setCellWidget(row, 4, picker)
            self.checks.append(check)
            self.pickers.append(picker)
        self.hand_all = _colleague_picker(tr, draft.colleagues, "handover.hand_all_none")
        self.hand_all.currentIndexChanged.connect(self._hand_all_changed)
        all_row = QHBoxLayout()
        all_row.addWidget(QLabel(tr("handover.hand_all")))
        all_row.addWidget(self.hand_all, 1)
        self.extras = QListWidget()
        self.added: list[ItemInput | None] = []
        """Items added below, in order; None where the agent removed one."""
        self.remove = QPushButton(tr("handover.remove"))
        self.remove.clicked.connect(self._remove_selected)
        self.log_out = QCheckBox(tr("handover.log_out"))
        self.log_out.setChecked(bool(shift and shift.night))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.submit = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.submit.setText(tr("handover.submit"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("dialog.cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.hint = QLabel(tr("handover.needs_colleague"))
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(QLabel(tr("handover.conversations")))
        layout.addWidget(self.table, 2)
        layout.addLayout(all_row)
        layout.addWidget(self._item_editor(customers))
        layout.addWidget(self.extras, 1)
        layout.addWidget(self.remove, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.log_out)
        layout.addLayout(bottom)
        self.resize(760, 620)
        self._check()

    def _item_editor(self, customers: tuple[tuple[str, str], ...]) -> QGroupBox:
        tr = self.tr_
        group = QGroupBox(tr("handover.add_items"))
        self.kind = QComboBox()
        for kind in EXTRA_KINDS:
            self.kind.addItem(tr(f"handover.kind.{kind}"), kind)
        self.item_text = QLineEdit()
        self.item_text.setPlaceholderText(tr("handover.item_text"))
        self.customer = QComboBox()
        self.customer.addItem(tr("handover.no_customer"), None)
        for cid, nickname in customers:
            self.customer.addItem(nickname, cid)
        self.due = QDateTimeEdit(QDateTime.currentDateTime().addSecs(3600))
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.add = QPushButton(tr("handover.add"))
        self.add.clicked.connect(self._add_from_editor)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.item_text.textChanged.connect(self._kind_changed)
        self.customer.currentIndexChanged.connect(self._kind_changed)
        row = QHBoxLayout(group)
        for widget, stretch in ((self.kind, 0), (self.item_text, 2), (self.customer, 1),
                                (self.due, 0), (self.add, 0)):
            row.addWidget(widget, stretch)
        self._kind_changed()
        return group

    def _kind_changed(self, *_args: object) -> None:
        kind = str(self.kind.currentData())
        self.customer.setEnabled(kind in _NEEDS_CUSTOMER)
        self.due.setEnabled(kind == "callback")
        has_customer = self.customer.currentData() is not None
        self.add.setEnabled(bool(self.item_text.text().strip())
                            and (kind not in _NEEDS_CUSTOMER or has_customer))

    def _add_from_editor(self) -> None:
        kind = str(self.kind.currentData())
        due = self.due.dateTime().toPython() if kind == "callback" else None
        self.add_item(kind, self.item_text.text(),
                      customer_id=self.customer.currentData() if kind in _NEEDS_CUSTOMER
                      else None, due=due)
        self.item_text.clear()

    def add_item(self, kind: str, text: str, *, customer_id: str | None = None,
                 due: dt.datetime | None = None) -> None:
        """A to-do, prospect, call-back or note; a naive `due` is local time."""
        due_at = due.astimezone().isoformat(timespec="minutes") if due is not None else None
        item = ItemInput(kind=kind, text=text.strip(), customer_id=customer_id, due_at=due_at)
        self.added.append(item)
        customer = self.customer.itemText(max(0, self.customer.findData(customer_id))) \
            if customer_id else ""
        line = QListWidgetItem(self.tr_(f"handover.line.{kind}", text=item.text,
                                        customer=customer, due=due_at or ""))
        line.setData(Qt.ItemDataRole.UserRole, len(self.added) - 1)
        self.extras.addItem(line)
        self._check()

    def _remove_selected(self) -> None:
        for line in self.extras.selectedItems():
            self.added[int(line.data(Qt.ItemDataRole.UserRole))] = None
            self.extras.takeItem(self.extras.row(line))
        self._check()

    def choose(self, row: int, colleague_id: str | None, *, hand_over: bool = True) -> None:
        self.checks[row].setChecked(hand_over)
        self.pickers[row].setCurrentIndex(max(0, self.pickers[row].findData(colleague_id)))

    def _hand_all_changed(self, _index: int) -> None:
        chosen = self.hand_all.currentData()
        if chosen is None:
            return
        for row in range(len(self.pickers)):
            if self.checks[row].isChecked():
                self.pickers[row].setCurrentIndex(self.pickers[row].findData(chosen))

    def _check(self, *_args: object) -> None:
        """Every conversation ticked needs a colleague; something must be handed over."""
        ticked = [r for r, c in enumerate(self.checks) if c.isChecked()]
        complete = all(self.pickers[r].currentData() is not None for r in ticked)
        self.hint.setVisible(not complete)
        self.submit.setEnabled(complete and bool(ticked or self.extra_items()))

    def extra_items(self) -> list[ItemInput]:
        return [item for item in self.added if item is not None]

    def items(self) -> list[ItemInput]:
        conversations = [
            ItemInput(kind="conversation",
                      conversation_id=conv.conversation_id, customer_id=conv.customer_id,
                      to_agent_id=self.pickers[row].currentData())
            for row, conv in enumerate(self.draft.conversations) if self.checks[row].isChecked()]
        return [*conversations, *self.extra_items()]

    def main_colleague(self) -> str | None:
        """The handover's addressee: the colleague taking most of the conversations, else the
        "hand all to" choice."""
        counts: dict[str, int] = {}
        for item in self.items():
            if item.to_agent_id:
                counts[item.to_agent_id] = counts.get(item.to_agent_id, 0) + 1
        if counts:
            return max(counts, key=lambda k: counts[k])
        chosen = self.hand_all.currentData()
        return str(chosen) if chosen else None

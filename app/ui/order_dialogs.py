"""Dialogs of the 订单 tab (H5.2, H5.3, H7): new address, reasons, flag note, returns, problems."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.order_views import OrderLine
from kefu_protocol.shop import LOGISTICS_PATHS, RETURN_KINDS


def _buttons(dialog: QDialog, tr: Tr, ok_key: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(tr(ok_key))
    box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("dialog.cancel"))
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class OrderTextDialog(QDialog):
    """One text for an order: the new address, a cancel or interception reason, a flag note.
    OK stays off while a required text is blank or too long."""

    def __init__(self, tr: Tr, *, title: str, label: str, ok_key: str, parent: QWidget | None,
                 required: bool = True, max_chars: int = 200, hint: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.required = required
        self.max_chars = max_chars
        self.text = QPlainTextEdit()
        self.text.setFixedHeight(80)
        self.text.setTabChangesFocus(True)
        box = _buttons(self, tr, ok_key)
        self.ok = box.button(QDialogButtonBox.StandardButton.Ok)
        self.text.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(label))
        if hint:
            note = QLabel(hint)
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(self.text)
        layout.addWidget(box)
        self.resize(420, 220)
        self._check()

    def _check(self) -> None:
        value = self.text.toPlainText()
        self.ok.setEnabled((bool(value.strip()) or not self.required)
                           and len(value.strip()) <= self.max_chars)

    def value(self) -> str:
        return self.text.toPlainText().strip()


class ChoiceNoteDialog(QDialog):
    """A choice and an optional note: a logistics problem (its handling path shown) or how an
    open problem ended (H7)."""

    def __init__(self, tr: Tr, *, title: str, label: str, choices: tuple[str, ...],
                 ok_key: str, parent: QWidget | None, show_paths: bool = False) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.setWindowTitle(title)
        self.show_paths = show_paths
        self.choice = QComboBox()
        for value in choices:
            self.choice.addItem(value, value)
        self.path = QLabel("")
        self.path.setWordWrap(True)
        self.note = QLineEdit()
        self.note.setMaxLength(500)
        self.note.setPlaceholderText(tr("orders.note_hint"))
        box = _buttons(self, tr, ok_key)
        self.ok = box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(bool(choices))
        form = QFormLayout()
        form.addRow(label, self.choice)
        form.addRow(tr("orders.note"), self.note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.path)
        layout.addWidget(box)
        self.choice.currentIndexChanged.connect(self._show_path)
        self._show_path()
        self.resize(440, 240)

    def _show_path(self) -> None:
        steps = LOGISTICS_PATHS.get(str(self.choice.currentData()), ()) if self.show_paths else ()
        self.path.setText("\n".join(self.tr_("orders.path_step", n=n, step=step)
                                    for n, step in enumerate(steps, 1)))
        self.path.setVisible(bool(steps))

    def value(self) -> tuple[str, str]:
        return str(self.choice.currentData() or ""), self.note.text().strip()


class ReturnDialog(QDialog):
    """H5.2, guided: 退货 or 换货, the reason, which lines and how many (never more than were
    ordered), a note. OK stays off until there is a reason and at least one piece."""

    def __init__(self, tr: Tr, lines: tuple[OrderLine, ...], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("order_returns.new_title"))
        self.lines = tuple(line for line in lines if line.qty > 0)
        self.kind = QComboBox()
        for kind in RETURN_KINDS:
            self.kind.addItem(kind, kind)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems([tr(f"order_returns.reason_{n}") for n in range(1, 5)])
        self.reason.setCurrentText("")
        self.reason.lineEdit().setMaxLength(200)
        self.reason.lineEdit().setPlaceholderText(tr("order_returns.reason_hint"))
        self.table = QTableWidget(len(self.lines), 3)
        self.table.setHorizontalHeaderLabels(
            [tr("order_returns.col_item"), tr("order_returns.col_ordered"),
             tr("order_returns.col_qty")])
        self.table.verticalHeader().setVisible(False)
        self.spins: list[QSpinBox] = []
        for position, line in enumerate(self.lines):
            self.table.setItem(position, 0, QTableWidgetItem(line.name or line.sku))
            self.table.setItem(position, 1, QTableWidgetItem(str(line.qty)))
            spin = QSpinBox()
            spin.setRange(0, line.qty)
            spin.valueChanged.connect(self._check)
            self.table.setCellWidget(position, 2, spin)
            self.spins.append(spin)
        self.table.resizeColumnsToContents()
        self.note = QLineEdit()
        self.note.setMaxLength(500)
        self.note.setPlaceholderText(tr("orders.note_hint"))
        box = _buttons(self, tr, "order_returns.submit")
        self.ok = box.button(QDialogButtonBox.StandardButton.Ok)
        self.reason.currentTextChanged.connect(self._check)
        form = QFormLayout()
        form.addRow(tr("order_returns.kind"), self.kind)
        form.addRow(tr("order_returns.reason"), self.reason)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(tr("order_returns.which")))
        layout.addWidget(self.table)
        form_note = QFormLayout()
        form_note.addRow(tr("orders.note"), self.note)
        layout.addLayout(form_note)
        layout.addWidget(box)
        self.resize(480, 380)
        self._check()

    def set_qty(self, sku: str, qty: int) -> None:
        """Sets the quantity of a line (bounded by what was ordered, as the spin box is)."""
        for line, spin in zip(self.lines, self.spins, strict=True):
            if line.sku == sku:
                spin.setValue(qty)

    def items(self) -> list[tuple[str, int]]:
        return [(line.sku, spin.value()) for line, spin in zip(self.lines, self.spins,
                                                               strict=True) if spin.value()]

    def _check(self) -> None:
        self.ok.setEnabled(bool(self.reason.currentText().strip()) and bool(self.items()))

    def value(self) -> tuple[str, str, list[tuple[str, int]], str]:
        return (str(self.kind.currentData()), self.reason.currentText().strip(), self.items(),
                self.note.text().strip())

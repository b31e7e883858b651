"""The right-hand customer panel (H4): masked basics with reveal, tags, notes, history, orders."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.customers import REVEALABLE, CustomerCard


def _yuan(cents: int) -> str:
    return f"¥{cents / 100:,.2f}"


class CustomerPanel(QScrollArea):
    """Shows one CustomerCard; asks the window for anything that needs the server or a dialog."""

    reveal_requested = Signal(str)
    """phone | address | id_number."""
    tags_requested = Signal()
    note_requested = Signal()
    conversation_requested = Signal(str)
    """An earlier conversation's id, to open in the chat."""

    def __init__(self, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.card: CustomerCard | None = None
        self.may_reveal = False
        self.revealed: dict[str, str] = {}
        """Plain values shown for the current customer; dropped when another one is shown."""
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(260)
        body = QWidget()
        self.setWidget(body)
        self.name = QLabel(tr("customer.none"))
        self.name.setObjectName("chatTitle")
        self.vip = QLabel("")
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        self.reveal_buttons: dict[str, QPushButton] = {}
        for field in REVEALABLE:
            value = QLabel("")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            button = QPushButton(tr("customer.reveal"))
            button.setProperty("flat", True)
            button.clicked.connect(lambda _c=False, f=field: self.reveal_requested.emit(f))
            row = QHBoxLayout()
            row.addWidget(value, 1)
            row.addWidget(button)
            form.addRow(tr(f"customer.{field}"), row)
            self.values[field] = value
            self.reveal_buttons[field] = button
        self.tags = QLabel("")
        self.tags.setWordWrap(True)
        edit_tags = QPushButton(tr("customer.edit_tags"))
        edit_tags.setProperty("flat", True)
        edit_tags.clicked.connect(self.tags_requested.emit)
        add_note = QPushButton(tr("customer.add_note"))
        add_note.setProperty("flat", True)
        add_note.clicked.connect(self.note_requested.emit)
        self.notes = QListWidget()
        self.history = QListWidget()
        self.orders = QListWidget()
        for list_widget in (self.notes, self.history, self.orders):
            list_widget.setMaximumHeight(132)
            list_widget.setWordWrap(True)
            list_widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history.itemActivated.connect(
            lambda item: self.conversation_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        layout = QVBoxLayout(body)
        layout.addWidget(self.name)
        layout.addWidget(self.vip)
        layout.addLayout(form)
        layout.addWidget(self._heading("customer.tags", edit_tags))
        layout.addWidget(self.tags)
        layout.addWidget(self._heading("customer.notes", add_note))
        layout.addWidget(self.notes)
        layout.addWidget(self._heading("customer.history"))
        layout.addWidget(self.history)
        layout.addWidget(self._heading("customer.orders"))
        layout.addWidget(self.orders)
        layout.addStretch(1)
        self.show_card(None)

    def _heading(self, key: str, button: QPushButton | None = None) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 8, 0, 0)
        label = QLabel(self.tr_(key))
        label.setStyleSheet("font-weight: bold")
        row.addWidget(label, 1)
        if button is not None:
            row.addWidget(button)
        return box

    def show_card(self, card: CustomerCard | None, *, may_reveal: bool = False) -> None:
        tr = self.tr_
        if card is None or self.card is None or card.id != self.card.id:
            self.revealed = {}
        self.card = card
        self.may_reveal = may_reveal
        self.setEnabled(card is not None)
        for list_widget in (self.notes, self.history, self.orders):
            list_widget.clear()
        if card is None:
            self.name.setText(tr("customer.none"))
            self.vip.setText("")
            self.tags.setText("")
            for field in REVEALABLE:
                self.values[field].setText("")
            return
        self.name.setText(card.nickname)
        self.vip.setText(tr("customer.vip", level=card.vip_level) if card.vip_level
                         else tr("customer.regular"))
        for field in REVEALABLE:
            self.values[field].setText(self.revealed.get(field)
                                       or getattr(card, field) or tr("customer.unknown"))
            button = self.reveal_buttons[field]
            button.setVisible(bool(getattr(card, field)))
            button.setEnabled(may_reveal and field not in self.revealed)
            button.setToolTip(tr("customer.reveal_tip") if may_reveal
                              else tr("customer.reveal_denied"))
        self.tags.setText("\n".join(t.path for t in card.tags) or tr("customer.no_tags"))
        for note in card.notes:
            when = note.at.astimezone().strftime("%m-%d %H:%M") if note.at else tr("chat.sending")
            self.notes.addItem(tr("customer.note_line", author=note.author or "—", time=when,
                                  text=note.text))
        for past in card.conversations:
            when = past.created_at.astimezone().strftime("%Y-%m-%d") if past.created_at else ""
            item = QListWidgetItem(tr("customer.past_line", date=when,
                                      state=tr(f"state.{past.state}"),
                                      text=past.last_message_text[:40]))
            item.setData(Qt.ItemDataRole.UserRole, past.id)
            self.history.addItem(item)
        for order in card.orders:
            self.orders.addItem(tr("customer.order_line", no=order.order_no, status=order.status,
                                   total=_yuan(order.total_cents)))

    def show_revealed(self, field: str, value: str) -> None:
        """A plain value the server released for this agent (and logged)."""
        self.revealed[field] = value
        self.values[field].setText(value)
        self.reveal_buttons[field].setEnabled(False)

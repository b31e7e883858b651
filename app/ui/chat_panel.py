"""The centre of the window: one conversation's messages and the composer below them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFontMetrics, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.chat import MessageRow
from app.ui.theme import Palette
from kefu_protocol.wire import MAX_MESSAGE_CHARS

MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex


class MessageListModel(QAbstractListModel):
    """The loaded messages of one conversation, oldest first."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[MessageRow] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.text
        if role == MESSAGE_ROLE:
            return row
        return None

    def set_rows(self, rows: list[MessageRow]) -> None:
        """Appends when the new list extends the old one; otherwise replaces it."""
        old = self._rows
        if len(rows) >= len(old) and [r.id for r in rows[:len(old)]] == [r.id for r in old]:
            for position, (before, after) in enumerate(zip(old, rows, strict=False)):
                if before != after:
                    self._rows[position] = after
                    self.dataChanged.emit(self.index(position), self.index(position))
            if len(rows) > len(old):
                self.beginInsertRows(QModelIndex(), len(old), len(rows) - 1)
                self._rows = list(rows)
                self.endInsertRows()
            return
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, position: int) -> MessageRow | None:
        return self._rows[position] if 0 <= position < len(self._rows) else None


class MessageDelegate(QStyledItemDelegate):
    """Bubbles: customer left, agent right, system lines centred; the delivery state below."""

    PAD = 10

    def __init__(self, palette: Palette, tr: Tr, parent: QWidget) -> None:
        super().__init__(parent)
        self.palette = palette
        self.tr_ = tr

    def _bubble_width(self, option: QStyleOptionViewItem) -> int:
        return max(160, int(option.rect.width() * 0.66))  # type: ignore[attr-defined]

    def _text_rect(self, option: QStyleOptionViewItem, text: str) -> QRect:
        metrics = QFontMetrics(option.font)  # type: ignore[attr-defined]
        width = self._bubble_width(option) - 2 * self.PAD
        return metrics.boundingRect(QRect(0, 0, width, 100000),
                                    int(Qt.TextFlag.TextWordWrap), text)

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        row: MessageRow | None = index.data(MESSAGE_ROLE)
        if row is None:
            return QSize(0, 0)
        text_height = self._text_rect(option, row.text).height()
        extra = 22 if row.sender != "system" else 0
        return QSize(option.rect.width(), text_height + 2 * self.PAD + extra + 8)  # type: ignore[attr-defined]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        row: MessageRow | None = index.data(MESSAGE_ROLE)
        if row is None:
            return
        p = self.palette
        rect: QRect = option.rect  # type: ignore[attr-defined]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_box = self._text_rect(option, row.text)
        width = text_box.width() + 2 * self.PAD
        height = text_box.height() + 2 * self.PAD
        if row.sender == "system":
            bubble = QRect(rect.center().x() - width // 2, rect.top() + 4, width, height)
            painter.setPen(QColor(p.muted))
            painter.drawText(bubble, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             row.text)
            painter.restore()
            return
        mine = row.sender == "agent"
        top = rect.top() + 20
        left = rect.right() - width - 14 if mine else rect.left() + 14
        bubble = QRect(left, top, width, height)
        painter.setPen(QColor(p.muted))
        stamp = row.created_at.astimezone().strftime("%H:%M")
        caption = f"{row.author}  {stamp}" if row.author else stamp
        align = Qt.AlignmentFlag.AlignRight if mine else Qt.AlignmentFlag.AlignLeft
        painter.drawText(QRect(rect.left() + 14, rect.top() + 2, rect.width() - 28, 16),
                         align | Qt.AlignmentFlag.AlignVCenter, caption)
        painter.setPen(QPen(QColor(p.divider)) if not mine else Qt.PenStyle.NoPen)
        painter.setBrush(QColor(p.bubble_agent if mine else p.bubble_customer))
        if row.delivery == "rejected":
            painter.setBrush(QColor(p.danger))
        painter.drawRoundedRect(bubble, 8, 8)
        painter.setPen(QColor("#ffffff") if mine else QColor(p.text))
        painter.drawText(bubble.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD),
                         int(Qt.TextFlag.TextWordWrap), row.text)
        if mine and row.delivery != "sent":
            note = (self.tr_("chat.sending") if row.delivery == "sending"
                    else self.tr_("chat.rejected", reason=row.error or "?"))
            painter.setPen(QColor(p.danger if row.delivery == "rejected" else p.muted))
            painter.drawText(QRect(rect.left() + 14, bubble.bottom() + 2, rect.width() - 28, 16),
                             Qt.AlignmentFlag.AlignRight, note)
        painter.restore()


class Composer(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line (the send key becomes a setting later)."""

    send_requested = Signal(str)
    """The agent pressed Enter with this text."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.send_requested.emit(self.toPlainText())
            return
        super().keyPressEvent(event)


class ChatPanel(QWidget):
    """Title, message list and composer; knows nothing about storage."""

    send_requested = Signal(str)
    """Text to send to the open conversation."""
    retry_requested = Signal(int)
    """Outbox position of a refused message to queue again."""

    def __init__(self, palette: Palette, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.title = QLabel(tr("chat.none"))
        self.title.setObjectName("chatTitle")
        self.model = MessageListModel()
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(MessageDelegate(palette, tr, self.view))
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QListView.SelectionMode.NoSelection)
        self.view.setWordWrap(True)
        self.view.doubleClicked.connect(self._on_double_click)
        self.composer = Composer()
        self.composer.setPlaceholderText(tr("composer.placeholder"))
        self.composer.setFixedHeight(96)
        self.composer.send_requested.connect(self._on_send)
        self.composer.textChanged.connect(self._check_length)
        self.send_button = QPushButton(tr("composer.send"))
        self.send_button.clicked.connect(lambda: self._on_send(self.composer.toPlainText()))
        self.hint = QLabel("")
        self.hint.setObjectName("error")
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.composer)
        layout.addLayout(bottom)
        self.set_enabled(False)

    def set_enabled(self, enabled: bool) -> None:
        self.composer.setEnabled(enabled)
        self.send_button.setEnabled(enabled)

    def show_conversation(self, title: str, rows: list[MessageRow]) -> None:
        self.title.setText(title)
        self.model.set_rows([])
        self.show_messages(rows)
        self.set_enabled(True)

    def show_messages(self, rows: list[MessageRow]) -> None:
        bar = self.view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        self.model.set_rows(rows)
        if at_bottom:
            self.view.scrollToBottom()

    def _check_length(self) -> None:
        length = len(self.composer.toPlainText())
        too_long = length > MAX_MESSAGE_CHARS
        self.hint.setText(self.tr_("composer.too_long", length=length, limit=MAX_MESSAGE_CHARS)
                          if too_long else "")
        self.send_button.setEnabled(self.composer.isEnabled() and not too_long)

    def _on_send(self, text: str) -> None:
        if not text.strip() or len(text) > MAX_MESSAGE_CHARS:
            self._check_length()
            return
        self.send_requested.emit(text)

    def clear_composer(self) -> None:
        self.composer.clear()

    def _on_double_click(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None and row.delivery == "rejected" and row.outbox_seq is not None:
            self.retry_requested.emit(row.outbox_seq)

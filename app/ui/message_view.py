"""One conversation's messages: a model with day separators, bubbles with links, copy (H3.1)."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QSize,
    Qt,
    QUrl,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.i18n import Tr
from app.services.chat import MessageRow
from app.ui.order_card import CARD_WIDTH, card_html, card_text
from app.ui.theme import Palette

MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex
URL_RE = re.compile(r"https?://[^\s<>\"'，。！？、；：）》」]+")
WEEKDAYS = "一二三四五六日"


def day_label(day: dt.date, tr: Tr) -> str:
    return tr("chat.day", year=day.year, month=day.month, day=day.day,
              weekday=WEEKDAYS[day.weekday()] if tr.language == "zh" else day.strftime("%a"))


def with_days(rows: list[MessageRow], tr: Tr, before: dt.date | None = None) -> list[MessageRow]:
    """Inserts a 'day' row wherever the local date changes (and before the first message)."""
    out: list[MessageRow] = []
    last = before
    for row in rows:
        day = row.created_at.astimezone().date()
        if day != last:
            out.append(MessageRow(f"day:{day.isoformat()}", "day", day_label(day, tr),
                                  row.created_at, "", "sent"))
            last = day
        out.append(row)
    return out


class MessageListModel(QAbstractListModel):
    """The loaded messages of one conversation, oldest first, with day rows between."""

    def __init__(self, tr: Tr | None = None) -> None:
        super().__init__()
        self.tr_ = tr or Tr("zh")
        """Words an order card that has no text yet (queued here, H5)."""
        self._rows: list[MessageRow] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.text or (card_text(self.tr_, row.card) if row.card else "")
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

    def prepend(self, rows: list[MessageRow]) -> None:
        """An older page goes on top; a day row repeated at the seam is dropped."""
        if self._rows and rows and self._rows[0].sender == "day" and any(
                r.id == self._rows[0].id for r in rows):
            self.beginRemoveRows(QModelIndex(), 0, 0)
            del self._rows[0]
            self.endRemoveRows()
        if not rows:
            return
        self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
        self._rows[0:0] = rows
        self.endInsertRows()

    def rows(self) -> list[MessageRow]:
        return list(self._rows)

    def row_at(self, position: int) -> MessageRow | None:
        return self._rows[position] if 0 <= position < len(self._rows) else None


def _rich(text: str, link_colour: str) -> str:
    """Escaped text with its web links as anchors (only http/https)."""
    parts, last = [], 0
    for match in URL_RE.finditer(text):
        parts.append(html.escape(text[last:match.start()]))
        url = match.group()
        parts.append(f'<a href="{html.escape(url)}" style="color:{link_colour}">'
                     f"{html.escape(url)}</a>")
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts).replace("\n", "<br>")


class MessageDelegate(QStyledItemDelegate):
    """Bubbles: customer left, agent right, system and day lines centred; delivery below."""

    PAD = 10

    def __init__(self, palette: Palette, tr: Tr, parent: QWidget) -> None:
        super().__init__(parent)
        self.palette = palette
        self.tr_ = tr
        self._docs: dict[tuple[object, ...], QTextDocument] = {}

    def set_palette(self, palette: Palette) -> None:
        """Another theme: bubbles are laid out again in its colours."""
        self.palette = palette
        self._docs.clear()

    def document(self, option: QStyleOptionViewItem, row: MessageRow) -> QTextDocument:
        """Laid-out text of one bubble; sizeHint and paint share it (a small LRU cache)."""
        width = option.rect.width()  # type: ignore[attr-defined]
        key = (row.id, row.text, row.delivery, width, option.font.key(),  # type: ignore[attr-defined]
               str(row.card) if row.card else "")
        doc = self._docs.pop(key, None)
        if doc is None:
            doc = self._layout(option, row)
        self._docs[key] = doc
        if len(self._docs) > 600:
            del self._docs[next(iter(self._docs))]
        return doc

    def _layout(self, option: QStyleOptionViewItem, row: MessageRow) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)  # type: ignore[attr-defined]
        doc.setDocumentMargin(0)
        mine = row.sender == "agent"
        link = self.palette.bubble_agent_text if mine and row.delivery != "rejected" \
            else self.palette.accent
        width = max(160, int(option.rect.width() * 0.66)) - 2 * self.PAD  # type: ignore[attr-defined]
        if row.card:  # an order card (H5): a fixed-width card, in the customer bubble's colours
            doc.setHtml(card_html(self.tr_, row.card, muted=self.palette.muted,
                                  accent=self.palette.accent))
            doc.setTextWidth(min(width, CARD_WIDTH))
            return doc
        doc.setHtml(_rich(row.text, link))
        doc.setTextWidth(width)
        doc.setTextWidth(min(width, doc.idealWidth() + 1))
        return doc

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        row: MessageRow | None = index.data(MESSAGE_ROLE)
        if row is None:
            return QSize(0, 0)
        if row.sender in ("system", "day"):
            return QSize(option.rect.width(), option.fontMetrics.height() + 16)  # type: ignore[attr-defined]
        doc = self.document(option, row)
        extra = 22 + (18 if row.delivery != "sent" else 0)
        return QSize(option.rect.width(), int(doc.size().height()) + 2 * self.PAD + extra + 8)  # type: ignore[attr-defined]

    def bubble(self, option: QStyleOptionViewItem, row: MessageRow,
               doc: QTextDocument) -> QRect:
        rect: QRect = option.rect  # type: ignore[attr-defined]
        width = int(doc.size().width()) + 2 * self.PAD
        height = int(doc.size().height()) + 2 * self.PAD
        left = rect.right() - width - 14 if row.sender == "agent" else rect.left() + 14
        return QRect(left, rect.top() + 20, width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        row: MessageRow | None = index.data(MESSAGE_ROLE)
        if row is None:
            return
        p = self.palette
        rect: QRect = option.rect  # type: ignore[attr-defined]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.fillRect(rect, QColor(p.selection))
        if row.sender in ("system", "day"):
            painter.setPen(QColor(p.muted))
            text = row.text if row.sender == "system" else f"— {row.text} —"
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            painter.restore()
            return
        mine = row.sender == "agent"
        doc = self.document(option, row)
        bubble = self.bubble(option, row, doc)
        painter.setPen(QColor(p.muted))
        stamp = row.created_at.astimezone().strftime("%H:%M")
        caption = f"{row.author}  {stamp}" if row.author else stamp
        align = Qt.AlignmentFlag.AlignRight if mine else Qt.AlignmentFlag.AlignLeft
        painter.drawText(QRect(rect.left() + 14, rect.top() + 2, rect.width() - 28, 16),
                         align | Qt.AlignmentFlag.AlignVCenter, caption)
        card = row.card is not None
        painter.setPen(QPen(QColor(p.divider)) if not mine or card else Qt.PenStyle.NoPen)
        painter.setBrush(QColor(p.bubble_agent if mine and not card else p.bubble_customer))
        if row.delivery == "rejected":
            painter.setBrush(QColor(p.danger))
        painter.drawRoundedRect(bubble, 8, 8)
        painter.translate(bubble.left() + self.PAD, bubble.top() + self.PAD)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text,
                                 QColor(p.bubble_agent_text if mine and not card else p.text))
        doc.documentLayout().draw(painter, context)
        painter.translate(-(bubble.left() + self.PAD), -(bubble.top() + self.PAD))
        if mine and row.delivery != "sent":
            note = (self.tr_("chat.sending") if row.delivery == "sending"
                    else self.tr_("chat.rejected", reason=row.error or "?"))
            painter.setPen(QColor(p.danger if row.delivery == "rejected" else p.muted))
            painter.drawText(QRect(rect.left() + 14, bubble.bottom() + 2, rect.width() - 28, 16),
                             Qt.AlignmentFlag.AlignRight, note)
        painter.restore()

    def link_at(self, option: QStyleOptionViewItem, row: MessageRow, point: QPoint) -> str:
        """The web link under `point` (view coordinates), or ''."""
        if row.sender in ("system", "day"):
            return ""
        doc = self.document(option, row)
        bubble = self.bubble(option, row, doc)
        inner = QPointF(point.x() - bubble.left() - self.PAD, point.y() - bubble.top() - self.PAD)
        return doc.documentLayout().anchorAt(inner)


class MessageView(QListView):
    """Click a link to open it in the browser; select messages and copy them (Ctrl+C)."""

    def __init__(self, palette: Palette, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.delegate = MessageDelegate(palette, tr, self)
        self.setItemDelegate(self.delegate)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.setWordWrap(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.setMouseTracking(True)

    def setModel(self, model: Any) -> None:
        """A messages model words queued order cards in this view's language."""
        if isinstance(model, MessageListModel):
            model.tr_ = self.tr_
        super().setModel(model)

    def _row_and_link(self, point: QPoint) -> tuple[MessageRow | None, str]:
        index = self.indexAt(point)
        row: MessageRow | None = index.data(MESSAGE_ROLE) if index.isValid() else None
        if row is None:
            return None, ""
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualRect(index)  # type: ignore[attr-defined]
        return row, self.delegate.link_at(option, row, point)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        _row, link = self._row_and_link(event.position().toPoint())
        if link and event.button() == Qt.MouseButton.LeftButton:
            QDesktopServices.openUrl(QUrl(link))
            return
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        _row, link = self._row_and_link(event.position().toPoint())
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if link
                                  else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def selected_text(self) -> str:
        rows = sorted(self.selectionModel().selectedIndexes(), key=lambda i: i.row())
        picked = [i.data(MESSAGE_ROLE) for i in rows]
        return "\n".join(r.text or (card_text(self.tr_, r.card) if r.card else "")
                         for r in picked if r is not None and r.sender != "day")

    def copy_selection(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            return
        super().keyPressEvent(event)

    def _menu(self, point: QPoint) -> None:
        row, link = self._row_and_link(point)
        menu = QMenu(self)
        copy = menu.addAction(self.tr_("chat.copy"))
        copy.triggered.connect(self.copy_selection)
        copy.setEnabled(bool(self.selectionModel().selectedIndexes()))
        if link:
            menu.addAction(self.tr_("chat.open_link")).triggered.connect(
                lambda: QDesktopServices.openUrl(QUrl(link)))
            menu.addAction(self.tr_("chat.copy_link")).triggered.connect(
                lambda: QGuiApplication.clipboard().setText(link))
        del row
        menu.popup(self.viewport().mapToGlobal(point))

"""The conversation list: a model over ordered ids with a row cache, and a painting delegate."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from app.i18n import Tr
from app.services.listing import ConversationRow, SortKey
from app.ui.theme import Palette

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
_PAGE = 200

AnyIndex = QModelIndex | QPersistentModelIndex


class ConversationListModel(QAbstractListModel):
    """Holds only ordered ids (and their sort keys); rows are fetched a page at a time and
    cached. A sync page moves, inserts or removes just the rows it touched: O(k log n)."""

    def __init__(
        self,
        fetch_order: Callable[[], list[tuple[str, SortKey]]],
        fetch_rows: Callable[[list[str]], dict[str, ConversationRow]],
        fetch_keys: Callable[[list[str]], dict[str, SortKey | None]],
    ) -> None:
        super().__init__()
        self._fetch_order = fetch_order
        self._fetch_rows = fetch_rows
        self._fetch_keys = fetch_keys
        self._ids: list[str] = []
        self._keys: list[SortKey] = []
        self._key_of: dict[str, SortKey] = {}
        self._cache: dict[str, ConversationRow] = {}

    # ---- Qt overrides ---------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        conversation_id = self._ids[index.row()]
        if role == ID_ROLE:
            return conversation_id
        row = self._row(index.row())
        if row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return row.nickname
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.last_message_text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{row.nickname} {row.last_message_text}"
        if role == ROW_ROLE:
            return row
        return None

    # ---- our API --------------------------------------------------------------------------

    def _row(self, position: int) -> ConversationRow | None:
        conversation_id = self._ids[position]
        row = self._cache.get(conversation_id)
        if row is None:
            start = max(0, position - _PAGE // 2)
            page = [i for i in self._ids[start:start + _PAGE] if i not in self._cache]
            self._cache.update(self._fetch_rows(page))
            row = self._cache.get(conversation_id)
        return row

    def row_at(self, position: int) -> ConversationRow | None:
        """The row shown at `position` (fetched a page at a time)."""
        return self._row(position) if 0 <= position < len(self._ids) else None

    def id_at(self, position: int) -> str | None:
        return self._ids[position] if 0 <= position < len(self._ids) else None

    def position_of(self, conversation_id: str) -> int | None:
        key = self._key_of.get(conversation_id)
        return None if key is None else bisect_left(self._keys, key)

    def reload(self) -> None:
        """A new query (first load, after a bootstrap): the only full reset."""
        self.beginResetModel()
        order = self._fetch_order()
        self._ids = [cid for cid, _key in order]
        self._keys = [key for _cid, key in order]
        self._key_of = dict(order)
        self._cache.clear()
        self.endResetModel()

    def forget_rows(self) -> None:
        """Cached rows are stale (e.g. customers renamed): refetch them as they are painted."""
        self._cache.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def refresh(self, changed: set[str]) -> None:
        """After a sync page or a local change: reposition and repaint only `changed` rows."""
        if not changed:
            return
        for conversation_id, key in self._fetch_keys(sorted(changed)).items():
            self._cache.pop(conversation_id, None)
            self._place(conversation_id, key)

    def _place(self, conversation_id: str, key: SortKey | None) -> None:
        old = self._key_of.get(conversation_id)
        if old is None and key is None:
            return
        if old is None:
            position = bisect_left(self._keys, key)  # type: ignore[type-var]
            self.beginInsertRows(QModelIndex(), position, position)
            self._ids.insert(position, conversation_id)
            self._keys.insert(position, key)  # type: ignore[arg-type]
            self._key_of[conversation_id] = key  # type: ignore[assignment]
            self.endInsertRows()
            return
        position = bisect_left(self._keys, old)
        if key is None:
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._ids[position], self._keys[position], self._key_of[conversation_id]
            self.endRemoveRows()
            return
        del self._ids[position], self._keys[position]
        target = bisect_left(self._keys, key)
        self._ids.insert(target, conversation_id)
        self._keys.insert(target, key)
        self._key_of[conversation_id] = key
        # A move is announced as the rows between its two places changing content, not as
        # beginMoveRows: QListView re-lays out every row after a move (50 ms at 30k rows).
        # Rows have uniform heights, so nothing else moves; the window re-selects by id.
        first, last = min(position, target), max(position, target)
        self.dataChanged.emit(self.index(first), self.index(last))


def _ago(since: dt.datetime | None, now: dt.datetime) -> str:
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


class ConversationDelegate(QStyledItemDelegate):
    """Paints a row: avatar, nickname (+VIP), last message, time, unread badge, waiting time."""

    HEIGHT = 64

    def __init__(self, palette: Palette, tr: Tr, view: QListView,
                 now: Callable[[], dt.datetime]) -> None:
        super().__init__(view)
        self.palette = palette
        self.tr_ = tr
        self.now = now
        """Waiting times run on the server's clock (issue 9)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        """One height for every row, grown with the font size (H2.2)."""
        line = QFontMetrics(option.font).height()  # type: ignore[attr-defined]
        return QSize(280, max(self.HEIGHT, 2 * line + 30))

    def set_palette(self, palette: Palette) -> None:
        self.palette = palette

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        row: ConversationRow | None = index.data(ROW_ROLE)
        if row is None:
            return
        p = self.palette
        rect: QRect = option.rect  # type: ignore[attr-defined]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        painter.fillRect(rect, QColor(p.selection if selected else p.surface))
        painter.setPen(QPen(QColor(p.divider)))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        avatar = QRect(rect.left() + 12, rect.top() + 12, 40, 40)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(p.accent_soft))
        painter.drawEllipse(avatar)
        painter.setPen(QColor(p.accent))
        painter.drawText(avatar, Qt.AlignmentFlag.AlignCenter, row.nickname[:1])
        base: QFont = option.font  # type: ignore[attr-defined]
        line = QFontMetrics(base).height() + 2
        second = rect.top() + 14 + line  # top of the second line
        bold = QFont(base)
        bold.setBold(True)
        left = avatar.right() + 10
        now = self.now()
        last = row.last_message_at
        time_text = last.astimezone().strftime("%H:%M") if last else ""
        painter.setFont(base)
        painter.setPen(QColor(p.muted))
        time_rect = QRect(rect.right() - 70, rect.top() + 10, 58, line)
        painter.drawText(time_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         time_text)
        name = row.nickname + ("  VIP" + str(row.vip_level) if row.vip_level else "")
        if row.pinned or row.auto_pinned:  # a small "顶" badge on the avatar (no emoji font)
            small = QFont(base)
            small.setPointSizeF(max(6.0, base.pointSizeF() * 0.7))
            badge_text = self.tr_("list.pinned_badge")
            width = max(18, QFontMetrics(small).horizontalAdvance(badge_text) + 6)
            pin = QRect(avatar.right() - 12, avatar.top() - 4, width, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(p.warning if row.auto_pinned and not row.pinned
                                    else p.accent))
            painter.drawRoundedRect(pin, 4, 4)
            painter.setPen(QColor(p.on_accent))
            painter.setFont(small)
            painter.drawText(pin, Qt.AlignmentFlag.AlignCenter, badge_text)
        painter.setFont(bold)
        painter.setPen(QColor(p.text))
        painter.drawText(QRect(left, rect.top() + 10, time_rect.left() - left - 6, line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(base)
        right_limit = rect.right() - 12
        if row.unread:
            badge = QRect(right_limit - 26, second, 26, line)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(p.danger))
            painter.drawRoundedRect(badge, 9, 9)
            painter.setPen(QColor(p.on_accent))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(min(row.unread, 99)))
            right_limit = badge.left() - 6
        urgency = row.urgency(now)
        if urgency:  # H8.2: waiting time against the response standard
            colour = {"ok": p.muted, "warn": p.warning, "breach": p.danger}[urgency]
            painter.setPen(QColor(colour))
            key = "list.breach" if urgency == "breach" else "list.waiting"
            wait_text = self.tr_(key, time=_ago(row.waiting_since, now))
            wait_rect = QRect(right_limit - 90, second, 90, line)
            painter.drawText(wait_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             wait_text)
            right_limit = wait_rect.left() - 4
            if urgency != "ok":
                painter.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), QColor(colour))
        if row.is_complaint:
            painter.setPen(QColor(p.danger))
            tag_rect = QRect(right_limit - 34, second, 34, line)
            painter.drawText(tag_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self.tr_("list.complaint"))
            right_limit = tag_rect.left() - 4
        painter.setPen(QColor(p.muted))
        text_rect = QRect(left, second, right_limit - left, line)
        elided = painter.fontMetrics().elidedText(row.last_message_text.replace("\n", " "),
                                                  Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         elided)
        painter.restore()


class ConversationListView(QListView):
    """Rows all have one height, so changed rows are repainted without QListView's relayout
    of every row (its dataChanged handler is O(rows); this one is O(changed rows))."""

    def dataChanged(self, top_left: AnyIndex, bottom_right: AnyIndex,
                    roles: Sequence[int] = ()) -> None:
        QAbstractItemView.dataChanged(self, top_left, bottom_right, list(roles))


def make_conversation_view(model: ConversationListModel, palette: Palette, tr: Tr,
                           now: Callable[[], dt.datetime] | None = None) -> QListView:
    """`now`: the server's time for waiting times (the local clock when not given)."""
    view = ConversationListView()
    view.setModel(model)
    view.setUniformItemSizes(True)
    # Laid out 500 rows per event-loop turn: QListView asks the model about every row it lays
    # out (two Python calls each), so a 50k reset would hold the first paint for ~60 ms.
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(500)
    view.setItemDelegate(ConversationDelegate(palette, tr, view,
                                              now or (lambda: dt.datetime.now(dt.UTC))))
    view.setSelectionMode(QListView.SelectionMode.SingleSelection)
    view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
    view.setMinimumWidth(260)
    return view

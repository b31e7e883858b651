"""List models of the 知识库 tab: knowledge-base hits (H9) and suggestions under review (H9.2)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.i18n import Tr
from app.services.kb_editing import Suggestion
from app.services.knowledge import KbHit

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
"""The row's KbHit."""
BODY_ROLE = Qt.ItemDataRole.UserRole + 2
"""The entry's full body, what 插入 puts in the composer."""
SUGGESTION_ROLE = Qt.ItemDataRole.UserRole + 3
"""The row's Suggestion."""
STATUS_KEYS: dict[str, str] = {"待审核": "kb.status_pending", "已采纳": "kb.status_approved",
                               "已驳回": "kb.status_rejected"}

_Index = QModelIndex | QPersistentModelIndex


class KbHitModel(QAbstractListModel):
    """Read-only rows of KbHit: title, category, use count and snippet in one display text."""

    def __init__(self, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.hits: tuple[KbHit, ...] = ()

    def set_hits(self, hits: tuple[KbHit, ...]) -> None:
        self.beginResetModel()
        self.hits = tuple(hits)
        self.endResetModel()

    def hit_at(self, row: int) -> KbHit | None:
        return self.hits[row] if 0 <= row < len(self.hits) else None

    def row_of(self, entry_id: str) -> int | None:
        return next((n for n, h in enumerate(self.hits) if h.id == entry_id), None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() != 0:
            return None
        hit = self.hit_at(index.row())
        if hit is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.tr_("kb.row_pending" if hit.pending else "kb.row", title=hit.title,
                            category=hit.category or "—", uses=hit.use_count,
                            snippet=hit.snippet)
        if role == Qt.ItemDataRole.ToolTipRole:
            return hit.body
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return hit.title
        if role == HIT_ROLE:
            return hit
        if role == BODY_ROLE:
            return hit.body
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable \
            | Qt.ItemFlag.ItemNeverHasChildren


def status_text(tr: Tr, suggestion: Suggestion) -> str:
    """待审核 / 已采纳 / 已驳回 in the agent's language, marked while it waits to sync."""
    status = tr(STATUS_KEYS.get(suggestion.status, "kb.status_pending"))
    return tr("kb.status_syncing", status=status) if suggestion.pending else status


class SuggestionModel(QAbstractListModel):
    """Read-only rows of Suggestion: title, new or change, author and status."""

    def __init__(self, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.items: tuple[Suggestion, ...] = ()

    def set_items(self, items: tuple[Suggestion, ...]) -> None:
        self.beginResetModel()
        self.items = tuple(items)
        self.endResetModel()

    def item_at(self, row: int) -> Suggestion | None:
        return self.items[row] if 0 <= row < len(self.items) else None

    def row_of(self, suggestion_id: str) -> int | None:
        return next((n for n, s in enumerate(self.items) if s.id == suggestion_id), None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() != 0:
            return None
        item = self.item_at(index.row())
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.tr_("kb.suggestion_row", title=item.draft.title,
                            kind=self.tr_("kb.kind_change" if item.entry_id else "kb.kind_new"),
                            author=item.author_name or self.tr_("kb.me"),
                            status=status_text(self.tr_, item))
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return item.draft.title
        if role == SUGGESTION_ROLE:
            return item
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable \
            | Qt.ItemFlag.ItemNeverHasChildren

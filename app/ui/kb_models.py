"""The list model of knowledge-base hits shown in the 知识库 tab and its suggestion strip (H9)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.i18n import Tr
from app.services.knowledge import KbHit

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
"""The row's KbHit."""
BODY_ROLE = Qt.ItemDataRole.UserRole + 2
"""The entry's full body, what 插入 puts in the composer."""

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
            return self.tr_("kb.row", title=hit.title, category=hit.category or "—",
                            uses=hit.use_count, snippet=hit.snippet)
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

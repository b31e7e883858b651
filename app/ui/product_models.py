"""The 商品 tab's list model (H6): ordered product ids, rows read 200 at a time into a cache."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.i18n import Tr
from app.services.products import ProductRow
from app.ui.product_text import list_row

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""The row's product id."""
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
"""The row's ProductRow (None when the product left the cache since the search)."""
BLOCK = 200
"""Rows read from the cache at once, around the first one the view asks for."""

_Index = QModelIndex | QPersistentModelIndex
Fetch = Callable[[Sequence[str]], tuple[ProductRow, ...]]


class ProductListModel(QAbstractListModel):
    """Read-only rows over the ids a search returned, in that order. Only the rows the view
    paints are read (thousands of products cost one short read per 200 scrolled through)."""

    def __init__(self, tr: Tr, fetch: Fetch) -> None:
        super().__init__()
        self.tr_ = tr
        self.fetch = fetch
        self.ids: tuple[str, ...] = ()
        self._rows: dict[str, ProductRow | None] = {}

    def set_ids(self, ids: Sequence[str]) -> None:
        """A new result (or the same one after a sync): every cached row is read again."""
        self.beginResetModel()
        self.ids = tuple(ids)
        self._rows = {}
        self.endResetModel()

    def row_of(self, product_id: str) -> int | None:
        try:
            return self.ids.index(product_id)
        except ValueError:
            return None

    def id_at(self, row: int) -> str | None:
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def row_at(self, row: int) -> ProductRow | None:
        product_id = self.id_at(row)
        if product_id is None:
            return None
        if product_id not in self._rows:
            self._load(row)
        return self._rows.get(product_id)

    def _load(self, row: int) -> None:
        start = row - row % BLOCK
        block = self.ids[start:start + BLOCK]
        try:
            found = {r.id: r for r in self.fetch(block)}
        except Exception:  # an empty row, never a traceback in the view
            log.exception("product rows")
            found = {}
        for product_id in block:
            self._rows[product_id] = found.get(product_id)

    # ---- Qt -----------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.ids)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() != 0 or index.row() >= len(self.ids):
            return None
        if role == ID_ROLE:
            return self.ids[index.row()]
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.AccessibleTextRole, ROW_ROLE):
            return None
        row = self.row_at(index.row())
        if role == ROW_ROLE:
            return row
        if row is None:
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:
            return list_row(self.tr_, row)
        return row.name

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable \
            | Qt.ItemFlag.ItemNeverHasChildren

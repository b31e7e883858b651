"""Refills a category filter combo (知识库, 商品): 全部 first, the chosen category kept."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox


def refill_categories(combo: QComboBox, all_text: str,
                      items: Sequence[tuple[str, str]]) -> None:
    """`items` are (shown text, category) pairs; the choice survives if it remains, and no
    change signal fires while the list is rebuilt."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(all_text, None)
    for text, category in items:
        combo.addItem(text, category)
    at = combo.findData(chosen) if chosen is not None else 0
    combo.setCurrentIndex(max(at, 0))
    combo.blockSignals(False)

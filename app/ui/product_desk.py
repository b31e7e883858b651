"""The product tab beside the chat (H6): search, specs, stock, promotions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class ProductDesk:
    """Adds the 商品 tab to the window's side tabs."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.service = window.ws.products
        self.panel = QWidget()
        self.search = QLineEdit()
        QVBoxLayout(self.panel).addWidget(self.search)
        self.tab_index = window.side_tabs.addTab(self.panel, window.tr_("products.tab"))

    def focus_search(self) -> None:
        """Shows the tab with the search box focused (the 'products.search' command)."""
        self.window.side_tabs.setCurrentIndex(self.tab_index)
        self.search.setFocus()

"""The knowledge-base tab beside the chat (H9): search, insert into the composer, suggestions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class KbDesk:
    """Adds the 知识库 tab to the window's side tabs and keeps it in step with the chat."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.panel = QWidget()
        window.side_tabs.addTab(self.panel, window.tr_("kb.tab"))

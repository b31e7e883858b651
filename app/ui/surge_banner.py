"""The level-1 surge banner (一级响应, H11.4) across the top of every agent's main window."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from app.i18n import Tr
from app.services.problems import Surge

STYLE = ("QLabel#surge_banner { background: #c62828; color: white; font-weight: bold;"
         " padding: 6px 12px; }")


class SurgeBanner(QLabel):
    """Hidden until my team has a surge that has not ended."""

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.surge: Surge | None = None
        self.setObjectName("surge_banner")
        self.setStyleSheet(STYLE)
        self.setWordWrap(True)
        self.hide()

    def show_surge(self, surge: Surge | None) -> None:
        self.surge = surge
        if surge is None:
            self.hide()
            return
        if surge.source == "auto" and surge.baseline_per_hour:
            text = self.tr_("surge.banner.auto", rate=round(surge.rate_per_hour),
                            usual=round(surge.baseline_per_hour), note=surge.note)
        else:
            text = self.tr_("surge.banner.declared", note=surge.note or "")
        self.setText(text)
        self.show()

"""One agent's activity timeline for the shift (H13.3): logins, states, conversations, breaches."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.i18n import CATALOG, Tr
from app.services.board_rows import iso_epoch
from app.ui.board_models import RowsModel
from app.ui.theme import Palette
from kefu_protocol.board import ActivityPage, ActivityRow

_ALARMING = frozenset({"breach", "forced_offline", "late_locked"})


class TimelineModel(RowsModel[ActivityRow]):
    headers = ("timeline.col.time", "timeline.col.event", "timeline.col.detail")

    def key(self, row: ActivityRow) -> str:
        return f"{row.at}|{row.kind}|{row.conversation_id or ''}"

    customers: dict[str, str] = {}
    """Conversation id -> the customer's nickname (ids not in the cache show as #id)."""

    def set_rows(self, rows: Any) -> None:
        """Events may share a key (two at the same instant): always a reset."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def text(self, row: ActivityRow, column: int) -> str:
        if column == 0:
            epoch = iso_epoch(row.at)
            return time.strftime("%H:%M:%S", time.localtime(epoch)) if epoch else row.at
        if column == 1:
            key = f"timeline.kind.{row.kind}"
            return self.tr_(key) if key in CATALOG else row.kind
        detail, tr = row.detail, self.tr_
        parts = [self.customers.get(row.conversation_id) or f"#{row.conversation_id[:8]}"
                 ] if row.conversation_id else []
        if row.kind == "presence" and detail.get("status"):
            parts.append(tr("timeline.presence", before=_state(tr, detail.get("previous")),
                            after=_state(tr, detail.get("status"))))
        elif row.kind == "breach" and detail.get("first_response_ms") is not None:
            parts.append(tr("timeline.breach", s=int(detail["first_response_ms"]) // 1000,
                            standard=detail.get("standard_s", "")))
        return " · ".join(parts)

    def foreground(self, row: ActivityRow, column: int) -> Any:
        return self.palette_.danger if row.kind in _ALARMING and column == 1 else None


def _state(tr: Tr, value: object) -> str:
    key = f"board.conn.{value}"
    return tr(key) if key in CATALOG else str(value or "")


class TimelineDialog(QDialog):
    """Shown at once with "loading…"; the board fills it when the page arrives."""

    def __init__(self, tr: Tr, palette: Palette, *, agent_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.setWindowTitle(tr("timeline.title", name=agent_name))
        self.status = QLabel(tr("timeline.loading"))
        self.model = TimelineModel(tr, palette)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        self.resize(640, 520)

    def show_page(self, page: ActivityPage, customers: dict[str, str] | None = None) -> None:
        self.model.customers = dict(customers or {})
        self.model.set_rows(page.events)
        self.status.setText("" if page.events else self.tr_("timeline.empty"))
        self.status.setVisible(not page.events)

    def show_error(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()

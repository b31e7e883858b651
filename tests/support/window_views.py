"""What a UI test reads off the main window and a visitor: list rows, chat texts, replies."""

from __future__ import annotations

from typing import Any

from app.ui.conversation_list import ROW_ROLE
from tests.support.api import VisitorClient


def rows(window: Any) -> list[Any]:
    model = window.list_model
    return [model.data(model.index(i), ROW_ROLE) for i in range(model.rowCount())]


def row_of(window: Any, nickname: str) -> Any:
    return next((r for r in rows(window) if r.nickname == nickname), None)


def open_row(window: Any, nickname: str) -> None:
    position = next(i for i, r in enumerate(rows(window)) if r.nickname == nickname)
    window.list_view.setCurrentIndex(window.list_model.index(position))


def chat_texts(window: Any) -> list[str]:
    model = window.chat_panel.model
    return [model.row_at(i).text for i in range(model.rowCount())
            if model.row_at(i).sender != "day"]


def customer_sees(visitor: VisitorClient) -> list[str]:
    visitor.after = 0
    return [m["text"] for m in visitor.receive()["messages"]]

"""Awaiting a dialog under qasync: shown window-modal, no nested event loop."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog


async def finished(dialog: QDialog) -> int:
    """Shows `dialog` modally without a nested event loop; resolves with its result code."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(code: int) -> None:
        if not future.done():
            future.set_result(code)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(done)

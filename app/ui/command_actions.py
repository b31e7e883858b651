"""QActions made from the one command registry (app.commands): text, keys, tool tips (H2.3)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar, QWidget

from app.commands import COMMANDS
from app.i18n import Tr


def make_actions(window: QWidget, tr: Tr, *, run: Callable[[str], object],
                 handlers: dict[str, Callable[[], object]],
                 toolbar: QToolBar) -> dict[str, QAction]:
    """One QAction per command, added to `window` (its shortcuts work anywhere in it) and,
    for bar commands, to `toolbar`. A command without its own handler goes to `run(id)`."""
    actions: dict[str, QAction] = {}
    for command in COMMANDS:
        action = QAction(tr(command.text), window)
        action.setShortcuts([QKeySequence(k) for k in command.keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{tr(command.text)} ({', '.join(command.keys)})")
        handler = handlers.get(command.id)
        if handler is not None:
            action.triggered.connect(lambda _c=False, h=handler: h())
        else:
            action.triggered.connect(lambda _c=False, i=command.id: run(i))
        window.addAction(action)
        if command.toolbar:
            toolbar.addAction(action)
        actions[command.id] = action
    return actions

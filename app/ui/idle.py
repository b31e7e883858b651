"""H1.6: notices when nobody has used the keyboard or mouse for the idle timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TabletPress,
    QEvent.Type.InputMethod,
})


class IdleMonitor(QObject):
    """An event filter on the QApplication: every keyboard or mouse event counts as activity;
    `idle` is emitted once after `timeout_s` without any, and again only after new activity.
    The clock (`now`) and the check interval are injectable so tests need not wait minutes."""

    idle = Signal()

    def __init__(self, timeout_s: float, *, check_ms: int = 5000,
                 now: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timeout_s = timeout_s
        self.now = now
        self.events = 0
        self.last_input = now()
        self.fired = False
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.activity()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def activity(self) -> None:
        self.last_input = self.now()
        self.fired = False

    def idle_for(self) -> float:
        return self.now() - self.last_input

    def check(self) -> None:
        if not self.fired and self.idle_for() >= self.timeout_s:
            self.fired = True
            self.idle.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self.events += 1
            self.activity()
        return False

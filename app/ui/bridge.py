"""Carries worker-thread callbacks into the Qt thread as signals; workers never touch widgets."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.services.runtime import Applied, SyncStatus


class SyncBridge(QObject):
    """Lives in the Qt thread; the engine calls its methods from its own threads."""

    status_changed = Signal(object)
    """A new SyncStatus."""
    changes_applied = Signal(object)
    """An Applied summary: what a pulled page changed."""

    def report_status(self, status: SyncStatus) -> None:
        self.status_changed.emit(status)

    def report_changes(self, applied: Applied) -> None:
        self.changes_applied.emit(applied)

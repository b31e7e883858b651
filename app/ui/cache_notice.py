"""Tells the agent that a damaged local cache was set aside and rebuilt, and what it kept."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from app.i18n import Tr
from app.services.runtime import CacheRecovery


def recovery_text(tr: Tr, recovery: CacheRecovery) -> str:
    """One paragraph, plus a second when part of the unsent work could not be read back."""
    text = tr("session.cache_damaged.body", reason=tr(f"session.cache_damaged.{recovery.reason}"),
              folder=str(recovery.folder), count=len(recovery.salvaged))
    if recovery.salvage_failed:
        text += "\n\n" + tr("session.cache_damaged.unreadable", folder=str(recovery.folder))
    return text


def tell_cache_recovery(parent: QWidget, tr: Tr, recovery: CacheRecovery) -> QMessageBox:
    """A non-blocking warning over the window; the desk works while it is open."""
    box = QMessageBox(QMessageBox.Icon.Warning, tr("session.cache_damaged.title"),
                      recovery_text(tr, recovery), QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("cacheRecovery")
    box.setModal(False)
    box.show()
    return box

"""Tells the agent the local cache was rebuilt (damaged, key lost) or is not kept (no keyring)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from app.i18n import Tr
from app.services.runtime import CacheRecovery, Runtime


def recovery_text(tr: Tr, recovery: CacheRecovery) -> str:
    """One paragraph, plus a second when part of the unsent work could not be read back."""
    if recovery.reason == "key_lost":
        return tr("session.cache_key_lost.body", folder=str(recovery.folder))
    text = tr("session.cache_damaged.body", reason=tr(f"session.cache_damaged.{recovery.reason}"),
              folder=str(recovery.folder), count=len(recovery.salvaged))
    if recovery.salvage_failed:
        text += "\n\n" + tr("session.cache_damaged.unreadable", folder=str(recovery.folder))
    return text


def tell_cache_state(parent: QWidget, tr: Tr, runtime: Runtime) -> QMessageBox | None:
    """A non-blocking warning over the window when the cache was rebuilt or is not kept (no
    keyring); None when there is nothing to say. The desk works while it is open."""
    if runtime.recovery is not None:
        title, text = tr("session.cache_damaged.title"), recovery_text(tr, runtime.recovery)
    elif runtime.volatile:
        title, text = tr("session.volatile.title"), tr("session.volatile.body")
    else:
        return None
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                      parent)
    box.setObjectName("cacheRecovery")
    box.setModal(False)
    box.show()
    return box

"""Builds the Qt side of the app: style, fonts, the crash hook, and the session flow."""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from app.config import Config
from app.services.auth import AuthService
from app.services.credentials import CredentialVault
from app.ui.i18n import Tr
from app.ui.session_flow import SessionFlow
from app.ui.theme import LIGHT, stylesheet
from app.workers import Workers

log = logging.getLogger(__name__)

_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",
                 "PingFang SC", "WenQuanYi Micro Hei", "Droid Sans Fallback")


def cjk_family() -> str | None:
    """A font family that has Simplified Chinese glyphs, if one is installed."""
    families = set(QFontDatabase.families())
    for family in _CJK_FAMILIES:
        if family in families:
            return family
    chinese = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    return chinese[0] if chinese else None


def qt_and_font_check() -> str:
    """Self-test: the Qt platform plugin loads and a Simplified Chinese font is installed."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    family = cjk_family()
    if family is None:
        raise RuntimeError("no font with Simplified Chinese glyphs (install fonts-noto-cjk)")
    return f"Qt platform {app.platformName()}, CJK font {family}"


class AppShell:
    """What `kefudesk` runs: the session flow plus the workers it owns."""

    def __init__(self, flow: SessionFlow, workers: Workers) -> None:
        self.flow = flow
        self.workers = workers

    def start(self) -> None:
        self.flow.start()

    def close(self) -> None:
        runtime = self.flow.runtime
        if runtime is not None:
            runtime.engine.flush(2.0)
        self.flow.shutdown_runtime()
        self.workers.shutdown()


class MainThreadGarbageCollector(QObject):
    """Python's cycle collector may run on any thread that allocates; if it frees a QObject
    on a worker thread, Qt breaks. Automatic collection is off; this collects on the Qt
    thread every few seconds instead (the approach Anki takes)."""

    def __init__(self, parent: QObject, interval_ms: int = 5000) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(interval_ms)

    def collect(self) -> None:
        gc.collect()


def install_crash_hook(tr: Tr) -> None:
    """An unexpected error is logged with its traceback; the agent sees a calm sentence."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, exc, tb))
        if QApplication.instance() is not None:
            QMessageBox.warning(None, tr("error.title"), tr("error.unexpected"))

    sys.excepthook = hook


def build_application(qt_app: QApplication, *, config: Config, server_url: str, data_dir: Path,
                      language: str, demo: bool) -> AppShell | None:
    tr = Tr(language)
    qt_app.setApplicationName("KefuDesk")
    qt_app.setApplicationDisplayName(tr("app.title"))
    family = cjk_family()
    font = QFont(family) if family else QFont()
    font.setPointSize(10)
    qt_app.setFont(font)
    qt_app.setStyleSheet(stylesheet(LIGHT))
    install_crash_hook(tr)
    MainThreadGarbageCollector(qt_app)
    if not server_url:
        QMessageBox.information(None, tr("app.title"), tr("login.fail.network"))
        return None
    auth = AuthService(server_url, ca_bundle=config.get("ca_bundle") or None,
                       vault=CredentialVault(), device_id=config.device_id())
    workers = Workers()
    flow = SessionFlow(auth=auth, workers=workers, data_root=data_dir, tr=tr, palette=LIGHT,
                       last_account=config.get("last_account"),
                       auto_login=bool(config.get("auto_login")) and not demo)
    if demo:
        from app.demo import DEMO_ACCOUNT, DEMO_PASSWORD

        flow.login.fill(DEMO_ACCOUNT, DEMO_PASSWORD)
    return AppShell(flow, workers)

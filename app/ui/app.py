"""Builds the Qt side of the app: style, fonts, the crash hook, and the session flow."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QObject, QTimer, QTranslator
from PySide6.QtDBus import QDBusConnection, QDBusInterface
from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from app.config import Config
from app.i18n import Tr
from app.logs import set_level
from app.selftest import GuiCheck, Status
from app.services.auth import AuthService
from app.services.connection import ServerProbe, probe_server
from app.services.credentials import CredentialVault
from app.services.preferences import Preferences
from app.ui.appearance import Appearance
from app.ui.crash import CrashHandler, install_crash_hook
from app.ui.server_wizard import run_server_wizard
from app.ui.session_flow import SessionFlow
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


def _qt_app() -> QApplication:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    return app


def qt_and_font_check(tr: Tr) -> tuple[Status, str]:
    """Self-test: the Qt platform plugin loads and a Simplified Chinese font is installed."""
    app = _qt_app()
    family = cjk_family()
    if family is None:
        return "fail", tr("selftest.no_font")
    return "ok", tr("selftest.font_ok", platform=app.platformName(), family=family)


NOTIFICATIONS_SERVICE = "org.freedesktop.Notifications"


def _on_session_bus(name: str) -> bool | None:
    """None when there is no session bus; else whether `name` is running or activatable."""
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return None
    if bus.interface().isServiceRegistered(name).value():
        return True
    reply = QDBusInterface("org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", bus).call("ListActivatableNames")
    arguments = reply.arguments()
    return bool(arguments) and name in arguments[0]


def notifications_check(tr: Tr) -> tuple[Status, str]:
    """Self-test: desktop popups can be shown. A warning, not a failure: alerts also show in
    the window and play sound."""
    _qt_app()
    if sys.platform.startswith("linux"):
        found = _on_session_bus(NOTIFICATIONS_SERVICE)
        if found:
            return "ok", tr("selftest.notify_ok", service=NOTIFICATIONS_SERVICE)
        if found is None:
            return "warn", tr("selftest.notify_no_bus")
        return "warn", tr("selftest.notify_missing", service=NOTIFICATIONS_SERVICE)
    if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
        return "ok", tr("selftest.notify_tray")
    return "warn", tr("selftest.notify_no_tray")


def gui_self_checks(tr: Tr) -> dict[str, GuiCheck]:
    return {"qt_font": lambda: qt_and_font_check(tr),
            "notifications": lambda: notifications_check(tr)}


def install_qt_translations(qt_app: QApplication, language: str) -> QTranslator | None:
    """Qt's own words (Save, Cancel, Close, the context menus) in the interface language;
    the translator is owned by `qt_app`. None for English or when Qt has no catalog."""
    if language != "zh":
        return None
    translator = QTranslator(qt_app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase",
                           "_", folder):
        log.warning("no Qt translations for zh_CN in %s", folder)
        return None
    qt_app.installTranslator(translator)
    return translator


def icon_path() -> Path | None:
    """The app icon, from the source tree or next to the packaged executable."""
    for candidate in (Path(__file__).resolve().parents[2] / "resources" / "icons" / "kefudesk.svg",
                      Path(sys.executable).resolve().parent / "kefudesk.svg"):
        if candidate.exists():
            return candidate
    return None


class AppShell:
    """What `kefudesk` runs: the first-run wizard if needed, then the session flow."""

    def __init__(self, make_flow: Callable[[str], SessionFlow], workers: Workers, *, tr: Tr,
                 config: Config, server_url: str) -> None:
        self.make_flow = make_flow
        self.workers = workers
        self.tr_ = tr
        self.config = config
        self.flow: SessionFlow | None = make_flow(server_url) if server_url else None
        self._first_run_task: asyncio.Future[None] | None = None
        self.crash_handler: CrashHandler | None = None

    def start(self) -> None:
        if self.flow is not None:
            self.flow.start()
        else:
            self._first_run_task = asyncio.ensure_future(self.first_run())

    async def first_run(self) -> None:
        """No server configured (none from IT either): ask for one, tested, before the login."""
        async def probe(url: str, ca_bundle: str | None) -> ServerProbe:
            return await self.workers.in_net(probe_server, url, ca_bundle)

        QApplication.setQuitOnLastWindowClosed(False)  # between the wizard and the login
        try:
            url = await run_server_wizard(self.tr_, self.config, probe, None)
            if not url:
                QApplication.quit()
                return
            self.flow = self.make_flow(url)
            self.flow.start()
        finally:
            QApplication.setQuitOnLastWindowClosed(True)

    def close(self) -> None:
        if self.flow is not None:
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


def build_application(qt_app: QApplication, *, config: Config, server_url: str, data_dir: Path,
                      language: str, demo: bool) -> AppShell:
    tr = Tr(language)
    qt_app.setApplicationName("KefuDesk")
    qt_app.setApplicationDisplayName(tr("app.title"))
    install_qt_translations(qt_app, tr.language)
    prefs = Preferences(config)
    appearance = Appearance(qt_app, prefs, cjk_family())  # fonts, colours: live (H2.2)
    prefs.subscribe(lambda keys: "log_level" in keys and set_level(str(prefs.get("log_level"))))
    crash_handler = install_crash_hook(tr, data_dir=data_dir)  # calm dialog, report for IT
    MainThreadGarbageCollector(qt_app)
    icon = icon_path()
    if icon is not None:
        qt_app.setWindowIcon(QIcon(str(icon)))
    vault = CredentialVault()
    workers = Workers()

    def make_flow(url: str) -> SessionFlow:
        auth = AuthService(url, ca_bundle=config.get("ca_bundle") or None, vault=vault,
                           device_id=config.device_id())
        flow = SessionFlow(auth=auth, workers=workers, data_root=data_dir, tr=tr,
                           palette=appearance.palette, config=config, server_locked=demo,
                           prefs=prefs, appearance=appearance, allow_auto_login=not demo)
        if demo:
            from app.demo import DEMO_ACCOUNT, DEMO_PASSWORD

            flow.login.fill(DEMO_ACCOUNT, DEMO_PASSWORD)
        return flow

    shell = AppShell(make_flow, workers, tr=tr, config=config, server_url=server_url)
    shell.crash_handler = crash_handler  # kept for the whole run
    return shell

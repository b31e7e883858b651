"""Crash handling (H1.13): log it, write a report with a screenshot for IT, a calm dialog."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QProcess, Qt, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget

from app.i18n import Tr
from app.logs import redact
from app.version import app_version

log = logging.getLogger(__name__)

KEEP_REPORTS = 20
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def grab_png(widget: QWidget | None) -> bytes:
    """A PNG of `widget` as drawn now; empty when there is nothing to grab."""
    if widget is None:
        return b""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = widget.grab().save(buffer, "PNG")
    buffer.close()
    return bytes(data.data()) if ok else b""


def main_window_guess() -> QWidget | None:
    """The active window, else the first visible main window."""
    active = QApplication.activeWindow()
    if active is not None:
        return active
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMainWindow) and w.isVisible()), None)


def restart_app() -> None:
    """Starts this program again with the same arguments, then quits this one."""
    QProcess.startDetached(sys.executable, sys.orig_argv[1:])
    QApplication.quit()


def write_report(folder: Path, exc_info: ExcInfo, *, thread: str, version: str) -> Path:
    """report.json for IT: time, version, thread, exception type and traceback, redacted."""
    kind, exc, tb = exc_info
    folder.mkdir(parents=True, exist_ok=True)
    report = {
        "time": dt.datetime.now().astimezone().isoformat(timespec="milliseconds"),
        "version": version, "python": platform.python_version(), "os": platform.platform(),
        "thread": thread, "exception_type": f"{kind.__module__}.{kind.__qualname__}",
        "traceback": redact("".join(traceback.format_exception(kind, exc, tb))),
    }
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                        encoding="utf-8")
    return folder


class CrashHandler(QObject):
    """sys.excepthook (Qt slots and qasync slots end there too) and threading.excepthook.
    A burst of errors shows one dialog; an error inside the handler is only logged."""

    crashed = Signal(str)  # the report folder; queued to the Qt thread

    def __init__(self, tr: Tr, *, data_dir: Path, window_getter: Callable[[], QWidget | None],
                 restart: Callable[[], None]) -> None:
        super().__init__()
        self.tr_ = tr
        self.crash_dir = data_dir / "crashes"
        self.window_getter = window_getter
        self.restart = restart
        self.dialog: QMessageBox | None = None
        self.reports: list[Path] = []
        self._busy = threading.local()
        self._previous: tuple[Any, Any] = (sys.excepthook, threading.excepthook)
        self.crashed.connect(self._on_crashed)

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_hook

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def excepthook(self, kind: type[BaseException], exc: BaseException,
                   tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        self.handle((kind, exc, tb), threading.current_thread().name)

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and not issubclass(args.exc_type, SystemExit):
            name = args.thread.name if args.thread is not None else "?"
            self.handle((args.exc_type, args.exc_value, args.exc_traceback), name)

    def handle(self, exc_info: ExcInfo, thread: str) -> None:
        """Logs, writes the report, asks the Qt thread for the screenshot and the dialog."""
        if getattr(self._busy, "on", False):  # the handler itself failed: log, nothing more
            log.error("error while handling an error", exc_info=exc_info)
            return
        self._busy.on = True
        try:
            log.error("unexpected error (thread %s)", thread, exc_info=exc_info)
            folder = write_report(self._new_folder(), exc_info, thread=thread,
                                  version=app_version())
            self.reports.append(folder)
            self._prune()
            if QApplication.instance() is not None:
                self.crashed.emit(str(folder))
        except Exception:
            with contextlib.suppress(Exception):  # logging itself broken: silent, no recursion
                log.exception("the crash handler failed")
        finally:
            self._busy.on = False

    def _new_folder(self) -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        folder, n = self.crash_dir / stamp, 1
        while folder.exists():
            folder, n = self.crash_dir / f"{stamp}-{n}", n + 1
        return folder

    def _prune(self) -> None:
        folders = sorted(p for p in self.crash_dir.iterdir() if p.is_dir())
        for old in folders[:-KEEP_REPORTS]:
            try:
                for item in old.iterdir():
                    item.unlink(missing_ok=True)
                old.rmdir()
            except OSError:
                log.warning("old crash report %s could not be removed", old.name)

    def _on_crashed(self, folder: str) -> None:
        if getattr(self._busy, "showing", False):
            return
        self._busy.showing = True
        try:
            self._screenshot(Path(folder))
            self._show_dialog(folder)
        except Exception:
            log.exception("the crash dialog failed")
        finally:
            self._busy.showing = False

    def _screenshot(self, folder: Path) -> None:
        try:
            png = grab_png(self.window_getter())
            if png and folder.is_dir():
                (folder / "screenshot.png").write_bytes(png)
        except Exception:  # the report without a picture is still worth the dialog
            log.exception("the crash screenshot failed")

    def _show_dialog(self, folder: str) -> None:
        if self.dialog is not None:  # a burst: the dialog already on screen says it all
            return
        tr = self.tr_
        box = QMessageBox(QMessageBox.Icon.Warning, tr("crash.title"), tr("crash.text"))
        box.setInformativeText(tr("crash.report_at", path=folder))
        box.setObjectName("crashDialog")
        restart = box.addButton(tr("crash.restart"), QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton(tr("crash.continue"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def clicked(button: object) -> None:
            if button is restart:
                self.restart()

        def finished(_code: int) -> None:
            self.dialog = None

        box.buttonClicked.connect(clicked)
        box.finished.connect(finished)
        self.dialog = box
        box.show()


def install_crash_hook(tr: Tr, *, data_dir: Path,
                       window_getter: Callable[[], QWidget | None] = main_window_guess,
                       restart: Callable[[], None] | None = None) -> CrashHandler:
    """Routes uncaught errors (main thread, Qt and qasync slots, threads) to a CrashHandler;
    keep the returned object (its `uninstall()` puts the previous hooks back)."""
    handler = CrashHandler(tr, data_dir=data_dir, window_getter=window_getter,
                           restart=restart or restart_app)
    app = QApplication.instance()
    if app is not None:
        handler.setParent(app)
    handler.install()
    return handler


def loop_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """For `loop.set_exception_handler`: an asyncio task's unretrieved error goes to
    sys.excepthook (the crash handler); other loop messages to the default handler."""
    exc = context.get("exception")
    if isinstance(exc, Exception):
        sys.excepthook(type(exc), exc, exc.__traceback__)
    else:
        loop.default_exception_handler(context)

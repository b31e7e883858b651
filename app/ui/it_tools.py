"""IT's tools in the agent's menu: the log viewer, export diagnostics, report a security problem."""

from __future__ import annotations

from pathlib import Path

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QWidget
from qasync import asyncSlot

from app.config import Config
from app.i18n import Tr
from app.services.runtime import Runtime
from app.ui.crash import grab_png
from app.ui.log_viewer import LogViewer
from app.ui.security_report import SecurityReportDialog, export_diagnostics_ui
from app.version import app_version
from app.workers import Workers


class ItTools:
    """One per app run; each tool opens over the window that asked (H10.3, H1.13, H1.14)."""

    def __init__(self, tr: Tr, *, data_root: Path, config: Config, workers: Workers) -> None:
        self.tr_ = tr
        self.data_root = data_root
        self.config = config
        self.workers = workers
        self.viewer: LogViewer | None = None
        self.report: SecurityReportDialog | None = None

    def open(self, kind: str, parent: QWidget, runtime: Runtime | None) -> None:
        if kind == "logs":
            self.open_logs(parent)
        elif kind == "diagnostics":
            self.export(parent, runtime)
        elif kind == "security":
            self.security(parent, runtime)

    def open_logs(self, parent: QWidget) -> None:
        if self.viewer is None or not self.viewer.isVisible():
            self.viewer = LogViewer(self.data_root / "logs", self.tr_, parent)
        self.viewer.show()
        self.viewer.raise_()

    @asyncSlot(object, object)
    async def export(self, parent: QWidget, runtime: Runtime | None) -> None:
        """One zip for IT: logs, versions, settings, sync state, a picture of the window."""
        await export_diagnostics_ui(
            parent, self.tr_, log_dir=self.data_root / "logs", config=self.config,
            runtime=runtime, versions=versions(), screenshot_png=grab_png(parent.window()),
            crash_dir=self.data_root / "crashes", run_in_worker=self.workers.in_net)

    def security(self, parent: QWidget, runtime: Runtime | None) -> None:
        account = runtime.signed_in.account if runtime is not None else ""
        self.report = SecurityReportDialog(
            self.tr_, log_dir=self.data_root / "logs", data_dir=self.data_root,
            account=account, screenshot_png=grab_png(parent.window()), parent=parent)
        self.report.open()


def versions() -> dict[str, str]:
    return {"app": app_version(), "qt": qVersion(), "pyside6": PySide6.__version__}

"""Report a security problem (H1.14) and export diagnostics (H10.3): the two dialogs for IT."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.config import Config
from app.i18n import Tr
from app.services.diagnostics import export_diagnostics, security_report
from app.services.runtime import Runtime
from app.ui.modal import finished
from app.version import app_version

log = logging.getLogger(__name__)
T = TypeVar("T")
RunInWorker = Callable[[Callable[[], T]], Awaitable[T]]
RECENT_LINES = 200


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _open_folder(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


class SecurityReportDialog(QDialog):
    """Describe what happened; says what goes in; saves into <data_dir>/security-reports."""

    def __init__(self, tr: Tr, *, log_dir: Path, data_dir: Path, account: str,
                 screenshot_png: bytes | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.log_dir, self.account, self.screenshot_png = log_dir, account, screenshot_png
        self.report_dir = data_dir / "security-reports"
        self.saved: Path | None = None
        self.setWindowTitle(tr("security.title"))
        self.resize(560, 420)
        explain = QLabel(tr("security.explain"))
        explain.setWordWrap(True)
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText(tr("security.placeholder"))
        includes = tr("security.includes", account=account, lines=RECENT_LINES)
        if not screenshot_png:
            includes = f"{includes}\n{tr('security.no_screenshot')}"
        self.includes = QLabel(includes)
        self.includes.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.copy_path = QPushButton(tr("security.copy_path"))
        self.open_folder = QPushButton(tr("security.open_folder"))
        for button in (self.copy_path, self.open_folder):
            button.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = self.buttons.addButton(tr("security.save"),
                                                  QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.copy_path.clicked.connect(self._copy_path)
        self.open_folder.clicked.connect(lambda: self.saved and _open_folder(self.saved))
        after = QHBoxLayout()
        after.addWidget(self.copy_path)
        after.addWidget(self.open_folder)
        after.addStretch(1)
        layout = QVBoxLayout(self)
        for widget in (explain, self.description, self.includes, self.status):
            layout.addWidget(widget)
        layout.addLayout(after)
        layout.addWidget(self.buttons)

    def save(self) -> Path | None:
        """Writes the report (a small zip: quick enough for the Qt thread)."""
        text = self.description.toPlainText().strip()
        if not text:
            self.status.setText(self.tr_("security.empty"))
            return None
        target = self.report_dir / f"security-{_stamp()}.zip"
        try:
            self.saved = security_report(target, description=text, log_dir=self.log_dir,
                                         screenshot_png=self.screenshot_png,
                                         account=self.account, version=app_version(),
                                         lines=RECENT_LINES)
        except OSError as exc:
            self.status.setText(self.tr_("security.failed", error=exc.strerror or str(exc)))
            return None
        self.status.setText(self.tr_("security.saved", path=str(self.saved)))
        self.save_button.setEnabled(False)
        self.description.setReadOnly(True)
        for button in (self.copy_path, self.open_folder):
            button.setVisible(True)
        return self.saved

    def _copy_path(self) -> None:
        if self.saved is not None:
            QGuiApplication.clipboard().setText(str(self.saved))


async def _run_here(job: Callable[[], T]) -> T:
    return job()


async def export_diagnostics_ui(parent: QWidget | None, tr: Tr, *, log_dir: Path,
                                config: Config, runtime: Runtime | None,
                                versions: dict[str, str], screenshot_png: bytes | None,
                                crash_dir: Path | None = None,
                                run_in_worker: RunInWorker[Path] | None = None,
                                target: Path | None = None) -> Path | None:
    """Asks where to save (unless `target` is given), writes the zip on a worker (e.g.
    `workers.in_net`), then says where it is. None if the agent cancelled or it failed."""
    if target is None:
        chooser = QFileDialog(parent, tr("diagnostics.save_title"),
                              str(Path.home() / tr("diagnostics.default_name", time=_stamp())),
                              tr("diagnostics.file_filter"))
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        chooser.setDefaultSuffix("zip")
        if await finished(chooser) != QDialog.DialogCode.Accepted or not chooser.selectedFiles():
            return None
        target = Path(chooser.selectedFiles()[0])
    chosen = target

    def job() -> Path:
        return export_diagnostics(chosen, log_dir=log_dir, config=config,
                                  runtime_or_none=runtime, versions=versions,
                                  screenshot_png=screenshot_png, crash_dir=crash_dir)

    try:
        saved = await (run_in_worker or _run_here)(job)
    except Exception as exc:  # a closed cache or a full disk: say so, the app goes on
        log.exception("diagnostics export failed")
        _tell(parent, tr("diagnostics.save_title"), tr("diagnostics.failed", error=(
            exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__)))
        return None
    _tell(parent, tr("diagnostics.save_title"), tr("diagnostics.saved", path=str(saved)))
    return saved


def _tell(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """An information box shown without a nested event loop."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
    box.setObjectName("diagnosticsResult")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box

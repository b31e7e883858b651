"""The About dialog: versions of the app, Qt, Python and the server, and where files are."""

from __future__ import annotations

import platform
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import Tr
from app.services.connection import ServerProbe


@dataclass(frozen=True)
class AboutFacts:
    app_version: str
    server_url: str
    data_dir: Path
    policy_path: Path
    policy_exists: bool


def version_lines(facts: AboutFacts) -> dict[str, str]:
    """The rows IT copies into a ticket (labels are catalog keys)."""
    return {
        "about.app": facts.app_version,
        "about.qt": f"{qVersion()} (PySide6 {PySide6.__version__})",
        "about.python": f"{platform.python_version()} ({platform.system()} {platform.machine()})",
        "about.server_url": facts.server_url or "—",
        "about.data_dir": str(facts.data_dir),
        "about.logs": str(facts.data_dir / "logs" / "kefudesk.log"),
        "about.policy": str(facts.policy_path) if facts.policy_exists else "—",
    }


class AboutDialog(QDialog):
    """Asks the server for its version when opened; offline it says so."""

    def __init__(self, tr: Tr, facts: AboutFacts,
                 prober: Callable[[], Awaitable[ServerProbe]] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.prober = prober
        self.setWindowTitle(tr("about.title"))
        self.setMinimumWidth(520)
        title = QLabel(tr("app.title"))
        title.setObjectName("chatTitle")
        self.rows = version_lines(facts)
        form = QFormLayout()
        self.labels: dict[str, QLabel] = {}
        for key, value in self.rows.items():
            label = QLabel(value)  # one line each: paths stay whole, easy to select
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.labels[key] = label
            form.addRow(tr(key), label)
        self.server = QLabel(tr("about.server_asking") if prober else "—")
        form.addRow(tr("about.server"), self.server)
        copy = QPushButton(tr("about.copy"))
        copy.setProperty("flat", True)
        copy.clicked.connect(self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        # The dialog fits its rows (wrapped labels otherwise leave it too tall on first show).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(copy)
        layout.addWidget(buttons)

    @asyncSlot()
    async def ask_server(self) -> None:
        if self.prober is None:
            return
        probe = await self.prober()
        if probe.ok:
            text = self.tr_("about.server_version", version=probe.version,
                            protocol=str(probe.protocol), database=probe.database)
        else:
            text = self.tr_(f"probe.{probe.outcome}", url=probe.url)
        self.server.setText(text)

    def text(self) -> str:
        """Plain text of every row, for a support ticket."""
        lines = [f"{self.tr_(key)}: {label.text()}" for key, label in self.labels.items()]
        lines.append(f"{self.tr_('about.server')}: {self.server.text()}")
        return "\n".join(lines)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())

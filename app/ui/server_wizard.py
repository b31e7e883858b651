"""First run without a server: address, optional company CA, a connection and TLS test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.config import Config
from app.i18n import Tr
from app.services.connection import ServerProbe
from app.ui.modal import finished

Prober = Callable[[str, str | None], Awaitable[ServerProbe]]
"""Runs `probe_server` off the Qt thread."""


def probe_text(tr: Tr, probe: ServerProbe) -> str:
    """What the test found, in one or two sentences."""
    if not probe.ok:
        return tr(f"probe.{probe.outcome}", url=probe.url)
    security = (tr("wizard.tls_ok", ca=probe.ca_bundle or tr("selftest.system_ca"))
                if probe.tls else tr("selftest.tls_loopback"))
    return tr("wizard.ok", url=probe.url, version=probe.version, security=security)


class ServerWizard(QDialog):
    """Saving is possible only once the address answered as a compatible KefuDesk server."""

    def __init__(self, tr: Tr, prober: Prober, *, url: str = "", ca_bundle: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.prober = prober
        self.tested: ServerProbe | None = None
        self.setWindowTitle(tr("wizard.title"))
        self.setMinimumWidth(520)
        intro = QLabel(tr("wizard.intro"))
        intro.setWordWrap(True)
        self.url = QLineEdit(url)
        self.url.setPlaceholderText("https://kefu.example.com")
        self.ca = QLineEdit(ca_bundle)
        self.ca.setPlaceholderText(tr("wizard.ca_hint"))
        browse = QPushButton(tr("wizard.browse"))
        browse.setProperty("flat", True)
        browse.clicked.connect(self._browse)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca, 1)
        ca_row.addWidget(browse)
        self.test_button = QPushButton(tr("wizard.test"))
        self.test_button.clicked.connect(self.run_test)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(tr("wizard.url"), self.url)
        form.addRow(tr("wizard.ca"), ca_row)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.test_button)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        for field in (self.url, self.ca):
            field.textEdited.connect(self._edited)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr_("wizard.ca"), "",
                                              "PEM (*.pem *.crt *.cer);;* (*)")
        if path:
            self.ca.setText(path)
            self._edited()

    def _edited(self) -> None:
        self.tested = None
        self.save_button.setEnabled(False)
        self.result.setText("")

    @asyncSlot()
    async def run_test(self) -> None:
        self.test_button.setEnabled(False)
        self.result.setObjectName("hint")
        self.result.setText(self.tr_("wizard.testing"))
        try:
            probe = await self.prober(self.url.text().strip(), self.ca.text().strip() or None)
        finally:
            self.test_button.setEnabled(True)
        self.tested = probe if probe.ok else None
        self.result.setObjectName("hint" if probe.ok else "error")
        self.result.style().polish(self.result)
        self.result.setText(probe_text(self.tr_, probe))
        self.save_button.setEnabled(probe.ok)


async def run_server_wizard(tr: Tr, config: Config, prober: Prober,
                            parent: QWidget | None) -> str | None:
    """Saves the tested address (and CA file, unless IT set it); None if cancelled."""
    ca_locked = config.locked("ca_bundle")
    dialog = ServerWizard(tr, prober, url=config.get("server_url"),
                          ca_bundle=config.get("ca_bundle"), parent=parent)
    dialog.ca.setEnabled(not ca_locked)
    if await finished(dialog) != QDialog.DialogCode.Accepted.value or dialog.tested is None:
        return None
    if not ca_locked:
        config.set("ca_bundle", dialog.ca.text().strip())
    config.set("server_url", dialog.tested.url)
    return dialog.tested.url

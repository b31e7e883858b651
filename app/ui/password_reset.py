"""忘记密码？ in the login window (H1.11): the account, the request, what happens next."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import Tr
from app.services.auth import AuthService, LoginFailure, account_is_valid
from app.ui.login import LoginWindow, failure_text
from app.ui.modal import finished
from app.workers import Workers


class ForgotPasswordDialog(QDialog):
    """The account (pre-filled from the login window) and what approval will mean."""

    def __init__(self, tr: Tr, account: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.setWindowTitle(tr("reset.title"))
        explain = QLabel(tr("reset.explain"))
        explain.setWordWrap(True)
        self.account = QLineEdit(account)
        self.account.setPlaceholderText(tr("login.account_hint"))
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(tr("reset.account"), self.account)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("reset.submit"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("reset.cancel"))
        self.submit = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def _check(self) -> None:
        if not account_is_valid(self.account.text()):  # H1.1: nothing is sent
            self.message.setText(failure_text(self.tr_, LoginFailure("format")))
            return
        self.accept()


class PasswordResetFlow(QObject):
    """Shows 忘记密码？ on `window`; each request goes out on a net worker, never the Qt thread."""

    def __init__(self, tr: Tr, window: LoginWindow, workers: Workers,
                 auth: Callable[[], AuthService]) -> None:
        super().__init__(window)
        self.tr_ = tr
        self.window = window
        self.workers = workers
        self.auth = auth
        """The AuthService in force (the server may change while the window is open)."""
        self.dialog: ForgotPasswordDialog | None = None
        """The open dialog, for tests."""
        window.forgot.show()
        window.forgot_requested.connect(self.ask)

    @asyncSlot(str)
    async def ask(self, account: str) -> None:
        dialog = ForgotPasswordDialog(self.tr_, account, self.window)
        self.dialog = dialog
        try:
            if await finished(dialog) != QDialog.DialogCode.Accepted.value:
                return
            account = dialog.account.text().strip()
        finally:
            self.dialog = None
            dialog.deleteLater()
        self.window.forgot.setEnabled(False)
        self.window.show_text(self.tr_("reset.busy"))
        try:
            await self.workers.in_net(self.auth().request_password_reset, account)
        except LoginFailure as failure:
            self.window.show_failure(failure)
            return
        finally:
            self.window.forgot.setEnabled(True)
        self.window.account.setText(account)
        self.window.password.clear()
        self.window.show_text(self.tr_("reset.sent", account=account))

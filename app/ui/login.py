"""The login window (H1.1, H1.5, H1.9, H1.10) and the forced password change (H1.2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.auth import LoginFailure, account_is_valid


def failure_text(tr: Tr, failure: LoginFailure) -> str:
    """Says what happened and what to do next, distinctly for each kind (H1.5)."""
    if failure.kind == "credentials":
        return tr("login.fail.credentials", attempts=failure.attempts_left or 0)
    if failure.kind in ("locked", "locked_late"):
        until = failure.locked_until or dt.datetime.now(dt.UTC)
        time = until.astimezone().strftime("%H:%M")
        missed = failure.missed
        if failure.kind == "locked":
            return tr("login.fail.locked", time=time)
        if missed is None:
            return tr("login.fail.locked_late_plain", time=time)
        return tr("login.fail.locked_late", shift=missed.shift, starts=missed.starts,
                  grace=missed.grace_min, time=time)
    return tr(f"login.fail.{failure.kind}")


@dataclass(frozen=True)
class LoginOptions:
    """What the machine allows, from the settings in force (policy > user > defaults)."""

    server_url: str
    keyring_usable: bool
    server_locked: bool = False
    shared_computer: bool = False
    auto_login_allowed: bool = True
    problems: tuple[str, ...] = ()


class LoginWindow(QWidget):
    """Collects account and password; the app does the signing in and reports back."""

    login_requested = Signal(str, str, bool)
    """account, password, remember (auto-login)."""
    settings_requested = Signal()
    about_requested = Signal()
    change_server_requested = Signal()
    forgot_requested = Signal(str)
    """忘记密码？ with the account typed so far (H1.11); shown once a handler is attached."""

    def __init__(self, tr: Tr, options: LoginOptions) -> None:
        super().__init__()
        self.tr_ = tr
        self.setWindowTitle(tr("login.title"))
        self.setMinimumWidth(440)
        self.problems = QLabel("\n".join([tr("config.banner"), *options.problems]))
        self.problems.setObjectName("banner")
        self.problems.setWordWrap(True)
        self.problems.setVisible(bool(options.problems))
        self.server = QLabel("")
        self.server.setObjectName("hint")
        self.server.setWordWrap(True)
        self.change_server = QPushButton(tr("login.change_server"))
        self.change_server.setProperty("flat", True)
        self.change_server.clicked.connect(self.change_server_requested.emit)
        self.server_state = QLabel("")
        self.server_state.setObjectName("error")
        self.server_state.setWordWrap(True)
        self.server_state.setVisible(False)
        self.show_server(options.server_url, locked=options.server_locked)
        self.account = QLineEdit()
        self.account.setPlaceholderText(tr("login.account_hint"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox(tr("login.remember"))
        can_remember = (options.keyring_usable and options.auto_login_allowed
                        and not options.shared_computer)
        self.remember.setEnabled(can_remember)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        if options.shared_computer:
            note = tr("login.shared")
        elif not options.auto_login_allowed:
            note = tr("login.auto_login_off")
        else:
            note = tr("session.volatile.login") if not options.keyring_usable else ""
        self.keyring_note = QLabel(note)
        self.keyring_note.setObjectName("hint")
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setVisible(bool(note))
        self.submit = QPushButton(tr("login.submit"))
        self.submit.setDefault(True)
        self.submit.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.account.returnPressed.connect(self.password.setFocus)
        server_row = QHBoxLayout()
        server_row.addWidget(self.server, 1)
        server_row.addWidget(self.change_server)
        form = QFormLayout()
        form.addRow(tr("login.server"), server_row)
        form.addRow(tr("login.account"), self.account)
        form.addRow(tr("login.password"), self.password)
        links = QHBoxLayout()
        for key, signal in (("login.settings", self.settings_requested),
                            ("login.about", self.about_requested)):
            link = QPushButton(tr(key))
            link.setProperty("flat", True)
            link.clicked.connect(signal.emit)
            links.addWidget(link)
        links.addStretch(1)
        self.forgot = QPushButton(tr("login.forgot"))
        self.forgot.setProperty("flat", True)
        self.forgot.setVisible(False)
        self.forgot.clicked.connect(
            lambda: self.forgot_requested.emit(self.account.text().strip()))
        links.addWidget(self.forgot)
        layout = QVBoxLayout(self)
        title = QLabel(tr("app.title"))
        title.setObjectName("chatTitle")
        layout.addWidget(self.problems)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.server_state)
        layout.addWidget(self.remember)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.message)
        layout.addWidget(self.submit)
        layout.addLayout(links)

    def show_server(self, url: str, *, locked: bool) -> None:
        self.server.setText(self.tr_("login.server_policy", url=url) if locked else url)
        self.change_server.setVisible(not locked)
        self.show_server_problem("")

    def show_server_problem(self, text: str) -> None:
        """What a check of the server found wrong, under its address ("" hides it)."""
        self.server_state.setText(text)
        self.server_state.setVisible(bool(text))
        if self.isVisible():
            self.adjustSize()  # room for the wrapped lines

    def fill(self, account: str, password: str = "") -> None:
        self.account.setText(account)
        self.password.setText(password)

    def _submit(self) -> None:
        account = self.account.text().strip()
        if not account_is_valid(account):  # H1.1: refused before anything is sent
            self.show_failure(LoginFailure("format"))
            return
        self.set_busy(True)
        self.login_requested.emit(account, self.password.text(), self.remember.isChecked())

    def set_busy(self, busy: bool) -> None:
        self.submit.setEnabled(not busy)
        self.submit.setText(self.tr_("login.busy") if busy else self.tr_("login.submit"))
        if busy:
            self.message.setText("")

    def show_failure(self, failure: LoginFailure) -> None:
        self.set_busy(False)
        self.message.setText(failure_text(self.tr_, failure))

    def show_text(self, text: str) -> None:
        self.set_busy(False)
        self.message.setText(text)


class PasswordChangeDialog(QDialog):
    """H1.2: nothing else is possible until the initial password is changed."""

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.setWindowTitle(tr("password.title"))
        explain = QLabel(tr("password.explain"))
        explain.setWordWrap(True)
        self.old = QLineEdit()
        self.new = QLineEdit()
        self.repeat = QLineEdit()
        for field in (self.old, self.new, self.repeat):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(tr("password.old"), self.old)
        form.addRow(tr("password.new"), self.new)
        form.addRow(tr("password.repeat"), self.repeat)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def _check(self) -> None:
        if self.new.text() != self.repeat.text():
            self.message.setText(self.tr_("password.mismatch"))
            return
        self.accept()

    def show_failure(self, failure: LoginFailure) -> None:
        key = {"weak_password": "password.weak", "wrong_password": "password.wrong"}.get(
            failure.kind)
        self.message.setText(self.tr_(key) if key else failure_text(self.tr_, failure))

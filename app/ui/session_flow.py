"""From login window to main window and back (logout), with every step off the Qt thread."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog
from qasync import asyncSlot

from app.models.store import ProfileInUse
from app.services.auth import AuthService, LoginFailure, SignedIn
from app.services.runtime import Runtime, open_runtime
from app.ui.bridge import SyncBridge
from app.ui.i18n import Tr
from app.ui.login import LoginWindow, PasswordChangeDialog
from app.ui.main_window import MainWindow
from app.ui.theme import Palette
from app.workers import Workers

log = logging.getLogger(__name__)


async def _finished(dialog: QDialog) -> int:
    """Shows `dialog` modally without a nested event loop; resolves with its result code."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(code: int) -> None:
        if not future.done():
            future.set_result(code)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(done)


class SessionFlow(QObject):
    """Owns the windows of one app run; the runtime's services do the work."""

    main_window_shown = Signal(object)
    """The MainWindow, once an agent is signed in."""

    def __init__(self, *, auth: AuthService, workers: Workers, data_root: Path, tr: Tr,
                 palette: Palette, last_account: str, auto_login: bool) -> None:
        super().__init__()
        self.auth = auth
        self.workers = workers
        self.data_root = data_root
        self.tr_ = tr
        self.palette = palette
        self.auto_login = auto_login
        self.runtime: Runtime | None = None
        self.main_window: MainWindow | None = None
        self.bridge = SyncBridge()
        state = auth.vault.state()
        self.login = LoginWindow(tr, server_url=auth.server_url, keyring_usable=state.usable)
        self.login.fill(last_account)
        self.login.remember.setChecked(auto_login and state.usable)
        self.login.login_requested.connect(self._login)

    def start(self) -> None:
        self.login.show()
        if self.auto_login and self.login.account.text():
            self._resume(self.login.account.text())

    @asyncSlot(str)
    async def _resume(self, account: str) -> None:
        self.login.set_busy(True)
        try:
            signed_in = await self.workers.in_net(self.auth.resume, account)
        except LoginFailure as failure:
            self.login.show_failure(failure)
            return
        if signed_in is None:
            self.login.set_busy(False)
            return
        await self._enter(signed_in, remember=True)

    @asyncSlot(str, str, bool)
    async def _login(self, account: str, password: str, remember: bool) -> None:
        try:
            signed_in = await self.workers.in_net(self.auth.login, account, password,
                                                  remember=remember)
        except LoginFailure as failure:
            self.login.show_failure(failure)
            return
        if signed_in.must_change_password:
            signed_in = await self._force_password_change(signed_in, password, remember)
            if signed_in is None:
                return
        await self._enter(signed_in, remember=remember)

    async def _force_password_change(self, signed_in: SignedIn, old: str,
                                     remember: bool) -> SignedIn | None:
        dialog = PasswordChangeDialog(self.tr_, self.login)
        dialog.old.setText(old)
        while await _finished(dialog) == QDialog.DialogCode.Accepted.value:
            try:
                await self.workers.in_net(self.auth.change_password, signed_in,
                                          dialog.old.text(), dialog.new.text())
                return await self.workers.in_net(self.auth.login, signed_in.account,
                                                 dialog.new.text(), remember=remember)
            except LoginFailure as failure:
                dialog.show_failure(failure)
        self.login.set_busy(False)
        return None

    async def _enter(self, signed_in: SignedIn, *, remember: bool) -> None:
        try:
            runtime = await self.workers.in_db(self._open, signed_in, remember)
        except ProfileInUse:
            self.login.show_text(self.tr_("login.fail.profile_in_use"))
            return
        self.runtime = runtime
        window = MainWindow(runtime, self.workers, self.palette, self.tr_)
        self.bridge.status_changed.connect(window.show_status)
        self.bridge.changes_applied.connect(window.apply_changes)
        window.logout_requested.connect(self._logout)
        window.show_status(runtime.engine.status)
        self.main_window = window
        self.login.hide()
        window.show()
        await self.workers.in_db(runtime.chat.set_presence, "online")
        window.presence.setCurrentIndex(0)
        self.main_window_shown.emit(window)

    def _open(self, signed_in: SignedIn, remember: bool) -> Runtime:
        return open_runtime(signed_in, auth=self.auth, data_root=self.data_root,
                            workers=self.workers, remember=remember,
                            on_status=self.bridge.report_status,
                            on_changes=self.bridge.report_changes)

    @asyncSlot()
    async def _logout(self) -> None:
        """注销: presence offline, token revoked on the server and removed from the keyring."""
        runtime = self.runtime
        if runtime is None:
            return
        await self.workers.in_db(runtime.chat.set_presence, "offline")
        await self.workers.in_net(runtime.engine.flush, 3.0)
        await self.workers.in_net(self.shutdown_runtime)
        await self.workers.in_net(self.auth.logout, runtime.signed_in.account,
                                  runtime.keeper.refresh_token)
        if self.main_window is not None:
            self.main_window.close()
            self.main_window = None
        self.login.password.clear()
        self.login.set_busy(False)
        self.login.show()

    def shutdown_runtime(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime = None

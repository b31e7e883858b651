"""From login window to main window and back (logout), with every step off the Qt thread."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget
from qasync import asyncSlot

from app.config import Config
from app.i18n import Tr, problem_text
from app.models.store import ProfileInUse
from app.services.auth import AuthService, LoginFailure, SignedIn
from app.services.connection import ServerProbe, probe_server
from app.services.runtime import Runtime, open_runtime
from app.ui.about import AboutDialog, AboutFacts
from app.ui.bridge import SyncBridge
from app.ui.login import LoginOptions, LoginWindow, PasswordChangeDialog
from app.ui.main_window import MainWindow
from app.ui.modal import finished
from app.ui.server_wizard import run_server_wizard
from app.ui.settings_dialog import SettingsDialog
from app.ui.theme import Palette
from app.version import app_version
from app.workers import Workers

log = logging.getLogger(__name__)


class SessionFlow(QObject):
    """Owns the windows of one app run; the runtime's services do the work."""

    main_window_shown = Signal(object)
    """The MainWindow, once an agent is signed in."""

    def __init__(self, *, auth: AuthService, workers: Workers, data_root: Path, tr: Tr,
                 palette: Palette, config: Config, server_locked: bool = False,
                 allow_auto_login: bool = True) -> None:
        super().__init__()
        self.auth = auth
        self.workers = workers
        self.data_root = data_root
        self.tr_ = tr
        self.palette = palette
        self.config = config
        self.auto_login = (allow_auto_login and bool(config.get("auto_login"))
                           and config.auto_login_permitted())
        self.runtime: Runtime | None = None
        self.main_window: MainWindow | None = None
        self.bridge = SyncBridge()
        state = auth.vault.state()
        self.login = LoginWindow(tr, LoginOptions(
            server_url=auth.server_url, keyring_usable=state.usable,
            server_locked=server_locked or config.locked("server_url"),
            shared_computer=bool(config.get("shared_computer")),
            auto_login_allowed=config.auto_login_permitted(),
            problems=tuple(problem_text(tr, p) for p in config.problems)))
        if not config.get("shared_computer"):
            self.login.fill(config.get("last_account"))
        self.login.remember.setChecked(self.auto_login and state.usable)
        self.login.login_requested.connect(self._login)
        self.login.settings_requested.connect(lambda: self.open_settings(self.login))
        self.login.about_requested.connect(lambda: self.open_about(self.login))
        self.login.change_server_requested.connect(self._change_server)

    def start(self) -> None:
        self.login.show()
        self.check_server()
        if self.auto_login and self.login.account.text():
            self._resume(self.login.account.text())

    @asyncSlot()
    async def check_server(self) -> None:
        """Tells the agent at once, under the address, if the server cannot be used, and
        where the address came from (IT's policy, their settings, the command line)."""
        auth = self.auth
        try:
            probe = await self.probe(auth.server_url, auth.ca_bundle)
        except (asyncio.CancelledError, RuntimeError):  # the app is closing
            return
        if auth is not self.auth or probe.ok:
            return
        problem = self.tr_(f"probe.{probe.outcome}", url=probe.url)
        self.login.show_server_problem(self.tr_("login.server_problem", problem=problem,
                                                origin=self._server_origin(auth.server_url)))

    def _server_origin(self, url: str) -> str:
        if url != self.config.get("server_url"):
            return self.tr_("login.origin.command_line")
        if self.config.source("server_url") == "policy":
            return self.tr_("login.origin.policy", path=str(self.config.policy.path))
        return self.tr_("login.origin.user", path=str(self.config.path))

    # ---- dialogs shared by the login and main windows ---------------------------------------

    async def probe(self, url: str, ca_bundle: str | None) -> ServerProbe:
        return await self.workers.in_net(probe_server, url, ca_bundle)

    @asyncSlot(object)
    async def open_settings(self, parent: QWidget) -> None:
        dialog = SettingsDialog(self.config, self.tr_, parent)
        await finished(dialog)
        if dialog.changed & {"server_url", "ca_bundle"} and self.runtime is None:
            self.use_server(self.config.get("server_url"))

    @asyncSlot(object)
    async def open_about(self, parent: QWidget) -> None:
        url = self.auth.server_url
        facts = AboutFacts(app_version(), url, self.data_root, self.config.policy.path,
                           self.config.policy.exists)
        dialog = AboutDialog(self.tr_, facts, lambda: self.probe(url, self.auth.ca_bundle),
                             parent)
        dialog.ask_server()
        await finished(dialog)

    @asyncSlot()
    async def _change_server(self) -> None:
        url = await run_server_wizard(self.tr_, self.config, self.probe, self.login)
        if url:
            self.use_server(url)

    def use_server(self, url: str) -> None:
        """Signs in to another server from now on (the login window is showing)."""
        self.auth = AuthService(url, ca_bundle=self.config.get("ca_bundle") or None,
                                vault=self.auth.vault, device_id=self.auth.device_id)
        self.login.show_server(url, locked=False)
        self.check_server()

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
        while await finished(dialog) == QDialog.DialogCode.Accepted.value:
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
        self._remember(signed_in.account, remember)
        window = MainWindow(runtime, self.workers, self.palette, self.tr_)
        window.settings_requested.connect(lambda: self.open_settings(window))
        window.about_requested.connect(lambda: self.open_about(window))
        self.bridge.status_changed.connect(window.show_status)
        self.bridge.changes_applied.connect(window.apply_changes)
        window.logout_requested.connect(self._logout)
        window.presence_requested.connect(self._set_presence)
        window.show_status(runtime.engine.status)
        self.main_window = window
        self.login.hide()
        window.show()
        await self.workers.in_db(runtime.chat.set_presence, "online")
        window.show_presence("online")
        self.main_window_shown.emit(window)

    def _remember(self, account: str, remember: bool) -> None:
        """The next start offers this account, and auto-login if chosen (not on shared desks)."""
        self.config.remember_account(account)
        if not self.config.locked("auto_login"):  # policy, shared computer, IT forbids it
            self.config.set("auto_login", remember)

    def _open(self, signed_in: SignedIn, remember: bool) -> Runtime:
        return open_runtime(signed_in, auth=self.auth, data_root=self.data_root,
                            workers=self.workers, remember=remember,
                            on_status=self.bridge.report_status,
                            on_changes=self.bridge.report_changes)

    @asyncSlot(str)
    async def _set_presence(self, status: str) -> None:
        if self.runtime is not None:
            await self.workers.in_db(self.runtime.chat.set_presence, status)

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
            self.runtime.stop(clear_cache=bool(self.config.get("shared_computer")))
            self.runtime = None

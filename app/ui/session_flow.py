"""From login window to main window and back (logout), with every step off the Qt thread."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget
from qasync import asyncSlot

from app.config import Config
from app.i18n import Tr, problem_text
from app.models.store import ProfileInUse
from app.services.auth import AuthService, LoginFailure, SignedIn
from app.services.connection import ServerProbe, probe_server
from app.services.preferences import Preferences, RoamingProfile
from app.services.runtime import Applied, Runtime, SyncStatus, open_runtime
from app.services.session_rules import PasswordVerifier, wipe_session_logs
from app.ui.about import AboutDialog, AboutFacts
from app.ui.appearance import Appearance
from app.ui.bridge import SyncBridge
from app.ui.desk_lock import DeskLock
from app.ui.idle import IdleMonitor
from app.ui.it_tools import ItTools
from app.ui.lock_screen import LockScreen
from app.ui.login import LoginOptions, LoginWindow, PasswordChangeDialog
from app.ui.main_window import MainWindow
from app.ui.modal import finished
from app.ui.password_reset import PasswordResetFlow
from app.ui.server_wizard import run_server_wizard
from app.ui.session_prompts import AutoLoginSwitch, ask_unsent
from app.ui.settings_dialog import SettingsDialog
from app.ui.theme import Palette
from app.version import app_version
from app.workers import Workers

log = logging.getLogger(__name__)

FLUSH_S = 3.0
"""How long logging out or exiting waits for the outbox to drain."""
WAIT_MORE_S = 10.0
"""What 等待 adds, on a shared computer with unsent intents (H1.8)."""


class SessionFlow(QObject):
    """Owns the windows of one app run; the runtime's services do the work."""

    main_window_shown = Signal(object)
    """The MainWindow, once an agent is signed in."""
    session_ended = Signal(str)
    """logout | exit, once everything for it is done (on a shared computer: wiped)."""

    def __init__(self, *, auth: AuthService, workers: Workers, data_root: Path, tr: Tr,
                 palette: Palette, config: Config, server_locked: bool = False,
                 prefs: Preferences | None = None, appearance: Appearance | None = None,
                 allow_auto_login: bool = True) -> None:
        super().__init__()
        self.desk_lock = DeskLock(self)
        """The away and idle lock (H1.6, H1.7) while an agent is signed in."""
        self.presence = "offline"
        self.verifier: PasswordVerifier | None = None
        """The password typed at login this run, as an in-memory hash (None after auto-login)."""
        self.wait_more_s = WAIT_MORE_S
        self.ending = False
        """True while end_session runs."""
        self._may_close = False
        self.auth = auth
        self.workers = workers
        self.data_root = data_root
        self.tr_ = tr
        self.palette = palette
        self.config = config
        self.prefs = prefs if prefs is not None else Preferences(config)
        """The settings in force; the signed-in agent's roaming ones on top (H2.2)."""
        self.appearance = appearance
        self.tools = ItTools(tr, data_root=data_root, config=config, workers=workers)
        self.auto_login_switch = AutoLoginSwitch(self)
        self.auto_login = (allow_auto_login and bool(config.get("auto_login"))
                           and config.auto_login_permitted())
        self.runtime: Runtime | None = None
        self.main_window: MainWindow | None = None
        self.bridge = SyncBridge()
        self.bridge.changes_applied.connect(self._absorb_settings)
        self.early: Applied | None = None
        """Pages applied while signing in, before the window listened; replayed to it."""
        self.bridge.changes_applied.connect(self._hold_early)
        self.bridge.status_changed.connect(self._check_session)
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
        self.password_reset = PasswordResetFlow(tr, self.login, workers, lambda: self.auth)
        """忘记密码？ on the login window: a reset request the lead approves (H1.11)."""

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
        window = self.main_window
        pages = window.setting_pages() if window is not None and parent is window else None
        dialog = SettingsDialog(self.prefs, self.tr_, parent, pages=pages)
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
        self.verifier = None  # no password typed: the lock screen needs the server
        await self._enter(signed_in, remember=True)

    @asyncSlot(str, str, bool)
    async def _login(self, account: str, password: str, remember: bool) -> None:
        self.auth.vault.choose(self.auth.server_url, account.strip(), remember)
        try:
            signed_in = await self.workers.in_net(self.auth.login, account, password,
                                                  remember=remember)
        except LoginFailure as failure:
            self.login.show_failure(failure)
            return
        if signed_in.must_change_password:
            changed = await self._force_password_change(signed_in, password, remember)
            if changed is None:
                return
            signed_in, password = changed
        self.verifier = await self.workers.in_net(PasswordVerifier, password)
        await self._enter(signed_in, remember=remember)

    async def _force_password_change(self, signed_in: SignedIn, old: str,
                                     remember: bool) -> tuple[SignedIn, str] | None:
        dialog = PasswordChangeDialog(self.tr_, self.login)
        dialog.old.setText(old)
        while await finished(dialog) == QDialog.DialogCode.Accepted.value:
            new = dialog.new.text()
            try:
                await self.workers.in_net(self.auth.change_password, signed_in,
                                          dialog.old.text(), new)
                return (await self.workers.in_net(self.auth.login, signed_in.account, new,
                                                  remember=remember), new)
            except LoginFailure as failure:
                dialog.show_failure(failure)
        self.login.set_busy(False)
        return None

    async def _enter(self, signed_in: SignedIn, *, remember: bool) -> None:
        self.early = Applied()
        try:
            runtime = await self.workers.in_db(self._open, signed_in, remember)
        except ProfileInUse:
            self.early = None
            self.login.show_text(self.tr_("login.fail.profile_in_use"))
            return
        self.runtime = runtime
        log.info("signed in as %s (%s) on %s", signed_in.account, signed_in.agent.role,
                 signed_in.server_url)
        self._remember(signed_in.account, remember)
        self.prefs.attach(RoamingProfile(runtime.store, signed_in.agent.id,
                                         self.workers.submit_db, runtime.engine.poke))
        window = MainWindow(runtime, self.workers, self.palette, self.tr_, self.config,
                            prefs=self.prefs, appearance=self.appearance,
                            clock=self.auth.clock)
        window.settings_requested.connect(lambda: self.open_settings(window))
        window.about_requested.connect(lambda: self.open_about(window))
        self.bridge.status_changed.connect(window.show_status)
        self.bridge.changes_applied.connect(window.apply_changes)
        window.tool_requested.connect(
            lambda kind: self.tools.open(kind, window, self.runtime))
        window.logout_requested.connect(self.logout)
        window.presence_requested.connect(self._set_presence)
        window.away_requested.connect(self.desk_lock.away)
        window.auto_login_toggled.connect(self.auto_login_switch.toggled)
        window.installEventFilter(self)  # a shared desk's exit goes through end_session
        window.show_status(runtime.engine.status)
        self.main_window = window
        self.auto_login_switch.show(self.auth.vault.remembers(runtime.signed_in.server_url,
                                                        runtime.signed_in.account, remember))
        self.login.password.clear()  # the password stays in no widget during the session
        self.login.hide()
        window.show()
        window.shift.show_incoming_if_new()  # H13.2: what the last shift handed to me
        await self.push_presence("online")  # by now every page announced before connect is held
        early, self.early = self.early, None
        if early is not None:
            window.apply_changes(early)
        self.desk_lock.start_idle()
        self.main_window_shown.emit(window)

    def _check_session(self, status: SyncStatus) -> None:
        """A session the server ended (the lead's 强制下线 H13.3, a password reset H1.11)
        returns to the login window; unsent work stays in the cache for the next login."""
        if (status.last_error == "session_expired" and self.main_window is not None
                and not self.ending):
            self._session_ended_by_server()

    @asyncSlot()
    async def _session_ended_by_server(self) -> None:
        await self.end_session("logout", ask=False, notice=self.tr_("login.fail.session_ended"))

    def _absorb_settings(self, applied: Applied) -> None:
        """A setting changed on another desk of this agent applies here at once. Connected
        for the whole run: a page applied before `attach` is already in what attach reads."""
        if applied.records:
            self.prefs.absorb(applied.records)

    def _hold_early(self, applied: Applied) -> None:
        """A page committed after the window's first reads but announced before it was
        connected would be missed by every view; held here and replayed once."""
        if self.early is not None:
            self.early.merge(applied)

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
            await self.push_presence(status)

    async def push_presence(self, status: str) -> None:
        """Queues the status for the server (DB worker) and shows it in the status bar."""
        runtime = self.runtime
        if runtime is None:
            return
        self.presence = status
        if self.main_window is not None and not self.main_window.closed:
            self.main_window.show_presence(status)
        await self.workers.in_db(runtime.chat.set_presence, status)

    @property
    def lock(self) -> LockScreen | None:
        """The lock screen while the desk is locked (H1.6, H1.7)."""
        return self.desk_lock.lock

    @property
    def idle(self) -> IdleMonitor | None:
        """The idle monitor while an agent is signed in (H1.6)."""
        return self.desk_lock.idle

    # ---- log out and exit (H1.6, H1.8, H1.9) ------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """On a shared computer, or without a keyring (the cache dies with the app), closing
        the main window (退出, Ctrl+Q, the title bar) first runs the exit: flush, ask about
        anything unsent, wipe; then the window closes."""
        if (event.type() == QEvent.Type.Close and watched is self.main_window
                and not self._may_close and (self.config.get("shared_computer")
                                             or self._volatile())):
            event.ignore()
            self._exit()
            return True
        return False

    def _volatile(self) -> bool:
        """Without a keyring the cache dies with the app: its exit is asked like a shared
        computer's."""
        return self.runtime is not None and self.runtime.volatile

    @asyncSlot()
    async def _exit(self) -> None:
        await self.end_session("exit")

    @asyncSlot()
    async def logout(self) -> None:
        """注销: presence offline, token revoked on the server and removed from the keyring."""
        await self.end_session("logout")

    async def end_session(self, kind: str, *, ask: bool = True, notice: str = "") -> bool:
        """logout | exit (exit comes here only on a shared computer). Offline first, the outbox
        flushed for a few seconds; on a shared computer anything still unsent is put to the
        agent (unless `ask` is False: then the cache is kept rather than dropped), and every
        trace is wiped. False when the agent chose to keep working."""
        runtime = self.runtime
        if runtime is None or self.ending:
            return False
        self.ending = True
        try:
            shared = bool(self.config.get("shared_computer"))
            before = self.presence
            await self.push_presence("offline")
            await self.workers.in_net(runtime.engine.flush, FLUSH_S)
            discard = False
            if (shared or runtime.volatile) and ask:  # leaving would lose what is unsent
                decision = await self._unsent_decision(runtime)
                if decision == "keep_working":
                    await self.push_presence(before)
                    return False
                discard = decision == "discard"
            self.desk_lock.stop_idle()
            if self.main_window is not None:
                self.main_window.setEnabled(False)
            await self.workers.in_net(self._stop_runtime, runtime, shared, discard)
            if kind == "logout" or shared:
                await self.workers.in_net(self.auth.logout, runtime.signed_in.account,
                                          runtime.keeper.refresh_token)
            if shared:
                await self.workers.in_net(self._wipe_traces, runtime.signed_in)
            self.verifier = None
            self._close_session_windows(kind, notice, shared)
        finally:
            self.ending = False
        log.info("session ended: %s", kind)
        self.session_ended.emit(kind)
        return True

    async def _unsent_decision(self, runtime: Runtime) -> str:
        """none | discard | keep_working: asks as long as the agent chooses 等待."""
        while True:
            count = await self.workers.in_db(runtime.unsent)
            if not count:
                return "none"
            choice = await ask_unsent(self.tr_, count, self.wait_more_s,
                                      self.lock if self.lock is not None else self.main_window,
                                      volatile=runtime.volatile)
            if choice != "wait":
                return choice
            await self.workers.in_net(runtime.engine.flush, self.wait_more_s)

    def _stop_runtime(self, runtime: Runtime, shared: bool, discard: bool) -> None:
        """Worker thread: sync stopped, cache closed (a shared desk's profile deleted)."""
        runtime.stop(clear_cache=shared, discard_unsent=discard)
        if self.runtime is runtime:
            self.runtime = None

    def _wipe_traces(self, signed_in: SignedIn) -> None:
        """Worker thread, shared computer (H1.8): the account's keyring entries, the
        remembered account and this session's log files. The profile went with the runtime."""
        self.auth.vault.forget(signed_in.account, (signed_in.server_url, self.auth.server_url))
        if self.config.source("last_account") == "user":
            try:
                self.config.reset("last_account")
            except OSError as exc:
                log.error("shared computer: the remembered account stays (%s)",
                          type(exc).__name__)
        left = wipe_session_logs()
        if left:
            log.error("shared computer: %d log file(s) could not be deleted", len(left))

    def _close_session_windows(self, kind: str, notice: str, shared: bool) -> None:
        window = self.main_window
        self.main_window = None
        self.prefs.detach()  # the login window shows this desk's own settings again
        if kind == "logout":
            self.login.password.clear()
            if shared:
                self.login.account.clear()
            self.login.show_text(notice)
            self.login.show()  # before the main window closes: the app must not quit
        self.desk_lock.dismiss(window)
        if window is not None:
            self._may_close = True
            try:
                window.close()
            finally:
                self._may_close = False

    def shutdown_runtime(self) -> None:
        """The app is quitting without asking (or a test ends): on a shared computer the
        traces are wiped, but a cache with unsent intents is kept rather than dropped."""
        self.desk_lock.abandon()  # the app is going: nothing comes back
        runtime = self.runtime
        if runtime is None:
            return
        shared = bool(self.config.get("shared_computer"))
        self.desk_lock.stop_idle()
        runtime.stop(clear_cache=shared)
        self.runtime = None
        self.prefs.detach()
        if shared:
            self._wipe_traces(runtime.signed_in)

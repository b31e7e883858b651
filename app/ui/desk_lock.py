"""The signed-in desk's away and idle lock (H1.6, H1.7): idle monitor, lock screen, unlock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from qasync import asyncSlot

from app.services.session_rules import Unlocker, Verdict
from app.ui.idle import IdleMonitor
from app.ui.lock_screen import Cover, LockScreen
from app.ui.login import failure_text

if TYPE_CHECKING:
    from app.ui.session_flow import SessionFlow


class DeskLock(QObject):
    """Covers the main window when the agent steps away (H1.7) or is idle (H1.6, forced
    offline) and brings it back for the sign-in password; owned by the session flow, whose
    presence, runtime and end_session it uses."""

    locked = Signal(object)
    """The LockScreen, once shown (away or idle)."""

    def __init__(self, flow: SessionFlow, *, idle_timeout_s: float | None = None,
                 idle_check_ms: int = 5000,
                 idle_clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(flow)
        self.flow = flow
        self.idle_timeout_s = idle_timeout_s
        """None: the `idle_timeout_min` setting (H1.6); tests use a fraction of a second."""
        self.idle_check_ms = idle_check_ms
        self.idle_clock = idle_clock
        self.idle: IdleMonitor | None = None
        self.lock: LockScreen | None = None
        self.cover: Cover | None = None
        self.unlocker: Unlocker | None = None
        self._presence_before_lock = "online"

    def start_idle(self) -> None:
        timeout = self.idle_timeout_s
        if timeout is None:
            timeout = 60.0 * int(self.flow.config.get("idle_timeout_min"))
        self.idle = IdleMonitor(timeout, check_ms=self.idle_check_ms, now=self.idle_clock,
                                parent=self)
        self.idle.idle.connect(self._on_idle)
        self.idle.start()

    def stop_idle(self) -> None:
        if self.idle is not None:
            self.idle.stop()
            self.idle.deleteLater()
            self.idle = None

    @asyncSlot()
    async def away(self) -> None:
        await self.lock_desk("away")

    @asyncSlot()
    async def _on_idle(self) -> None:
        await self.lock_desk("idle")

    def _lock_text(self, reason: str) -> str:
        if reason == "away":
            return self.flow.tr_("session.lock.away")
        seconds = self.idle.timeout_s if self.idle is not None else 60.0
        return self.flow.tr_("session.lock.idle", minutes=max(1, round(seconds / 60)))

    async def lock_desk(self, reason: str) -> None:
        """away (the agent chose it) or idle (H1.6: forced offline). The window is covered at
        once; then the status goes to the server. Locked already, idle only adds offline."""
        flow = self.flow
        runtime, window = flow.runtime, flow.main_window
        if runtime is None or window is None or window.closed or flow.ending:
            return
        if self.lock is None:
            self._presence_before_lock = flow.presence
            lock = LockScreen(flow.tr_, name=runtime.signed_in.agent.name,
                              account=runtime.signed_in.account, reason=self._lock_text(reason))
            lock.unlock_requested.connect(self._unlock)
            lock.logout_requested.connect(flow.logout)
            lock.resize(max(lock.minimumWidth(), window.width()), window.height())
            lock.move(window.pos())
            self.lock, self.cover = lock, Cover(lock, self)
            self.unlocker = Unlocker(
                lambda password: flow.auth.verify_password(runtime.signed_in.account, password),
                flow.verifier)
            self.cover.engage()
            lock.password.setFocus()
            self.locked.emit(lock)
        elif reason == "idle":
            self.lock.set_reason(self._lock_text(reason))
        if reason == "away" or flow.presence != "offline":
            await flow.push_presence("away" if reason == "away" else "offline")

    @asyncSlot(str)
    async def _unlock(self, password: str) -> None:
        lock, unlocker = self.lock, self.unlocker
        if lock is None or unlocker is None:
            return
        tr = self.flow.tr_
        verdict = await self.flow.workers.in_net(unlocker.check, password)
        if self.lock is not lock:
            return  # the session ended while the server was asked
        if verdict.outcome == "unlocked":
            await self._release_lock()
        elif verdict.outcome in ("too_many", "refused"):
            notice = self._forced_text(verdict, unlocker.limit)
            await self.flow.end_session("logout", ask=False, notice=notice)
        elif verdict.outcome == "wrong":
            lock.show_message(tr("session.lock.wrong", attempts=verdict.attempts_left))
        else:
            lock.show_message(tr("session.lock.unverifiable"))

    def _forced_text(self, verdict: Verdict, limit: int) -> str:
        tr = self.flow.tr_
        if verdict.failure is None:
            return tr("session.forced.too_many", count=limit)
        return tr("session.forced.refused", reason=failure_text(tr, verdict.failure))

    async def _release_lock(self) -> None:
        """Back exactly as before: windows, geometry, selection, focus, then the status."""
        self.dismiss(None)
        if self.idle is not None:
            self.idle.activity()
        await self.flow.push_presence(self._presence_before_lock)

    def dismiss(self, window: QWidget | None) -> None:
        """The lock goes and the covered windows come back, but not `window` (closing for
        good at logout or exit: call this after the login window shows, or the app quits)."""
        lock, cover = self.lock, self.cover
        self.lock = self.cover = self.unlocker = None
        if cover is not None:
            if window is not None:
                cover.forget(window)
            cover.release()
        if lock is not None:
            lock.release()
            lock.close()
            lock.deleteLater()

    def abandon(self) -> None:
        """The app is quitting without asking: the lock goes and nothing comes back."""
        if self.cover is not None:
            self.cover.release(restore=False)
        if self.lock is not None:
            self.lock.hide()
            self.lock.deleteLater()
        self.lock = self.cover = self.unlocker = None

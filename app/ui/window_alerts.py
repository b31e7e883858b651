"""The signed-in window's alerts: the watcher, the channels, the tray icon, the clock (H10.1)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from app.services.alerts import Alert, AlertWatcher
from app.services.preferences import Preferences
from app.services.runtime import Applied
from app.settings import DEFAULT_NOTIFY
from app.ui.notifier import PRIORITY, Decision, Notifier, SoundPlayer, decide, in_quiet_hours
from app.ui.tray import TrayIcon

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class WindowAlerts:
    """Lives as long as the main window; every synced page and every second may alert."""

    def __init__(self, window: MainWindow, prefs: Preferences) -> None:
        self.window = window
        self.prefs = prefs
        runtime = window.runtime
        agent = runtime.signed_in.agent
        self.watcher = AlertWatcher(runtime.store, agent_id=agent.id, team_id=agent.team_id,
                                    role=agent.role)
        self.tray = TrayIcon(window.tr_, window_getter=lambda: self.window)
        self.tray.presence_chosen.connect(window.presence_chosen_elsewhere)
        self.tray.quit_requested.connect(window.close)
        self.notifier = Notifier(prefs, window.tr_, window_getter=lambda: self.window,
                                 tray=self.tray, player=SoundPlayer(),
                                 presence_getter=lambda: window.presence_status)
        self.tray.start()
        self._clock = QTimer(window)
        self._clock.timeout.connect(self.tick)
        self._clock.start(1000)
        # The badge follows the list: a conversation read here (a local write, no page) or
        # a repaint after a page recounts once per turn of the event loop.
        self._closed = False
        self._recount = QTimer(window)
        self._recount.setSingleShot(True)
        self._recount.setInterval(0)
        self._recount.timeout.connect(self.refresh_unread)
        window.list_model.dataChanged.connect(self._schedule_recount)
        window.list_model.modelReset.connect(self._schedule_recount)
        self.refresh_unread()

    def after_page(self, applied: Applied) -> None:
        """Alerts for what the page brought (never for what the cache already held)."""
        self.deliver(self.watcher.after_page(applied))
        if applied.conversations or applied.message_conversations:
            self.refresh_unread()

    def tick(self) -> None:
        """Response-time warnings and breaches as the waiting time passes (H8.1)."""
        self.deliver(self.watcher.tick(dt.datetime.now(dt.UTC)))

    def deliver(self, alerts: list[Alert]) -> None:
        """The notifier's summary for the events it ranks; the shift's own (surge H11.4,
        handover_overdue H13.2) each on their own, through the same channels and choices."""
        self.notifier.notify_all([a for a in alerts if a.event in PRIORITY])
        for alert in alerts:
            if alert.event in PRIORITY:
                continue
            decision = self._decision(alert.event)
            if decision is None:
                continue
            if decision.sound:
                self.notifier.player.play(decision.sound, decision.volume)
            if decision.popup:
                self.notifier.popup(*self.notifier.texts(alert), alert.urgent)
            if decision.flash:
                self.notifier.flash()

    def _decision(self, event: str) -> Decision | None:
        """The agent's choice for the event, or its default when their saved `notify` value
        is older than the event (surge and handover_overdue came with issue 7)."""
        notifier, prefs = self.notifier, self.prefs
        choice = (prefs.get("notify") or {}).get(event) or DEFAULT_NOTIFY.get(event, {})
        busy = self.window.presence_status == "busy" and bool(prefs.get("busy_mutes"))
        quiet = bool(prefs.get("quiet_hours")) and in_quiet_hours(
            notifier.clock().time(), prefs.get("quiet_from"), prefs.get("quiet_to"))
        return decide(event, dict(choice), busy=busy, quiet=quiet)

    def _schedule_recount(self, *_args: object) -> None:
        if not self._closed:
            self._recount.start()

    def refresh_unread(self) -> None:
        if not self._closed:
            self.tray.set_unread(self.watcher.unread_total())

    def set_presence(self, status: str) -> None:
        self.tray.set_presence(status)

    def close(self) -> None:
        self._closed = True
        self._clock.stop()
        self._recount.stop()
        self.notifier.end_shake()
        self.tray.hide()
        self.tray.deleteLater()

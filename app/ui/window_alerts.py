"""The signed-in window's alerts: the watcher, the channels, the tray icon, the clock (H10.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from app.services.alerts import Alert, AlertWatcher
from app.services.preferences import Preferences
from app.services.runtime import Applied
from app.ui.notifier import Notifier, SoundPlayer
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
        self.deliver(self.watcher.tick(self.window.clock.now()))  # the server's time

    def deliver(self, alerts: list[Alert]) -> None:
        self.notifier.notify_all(alerts)

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

"""The window's status bar and banner: presence (H2.1), sync state (H11.1), undo a transfer."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QStatusBar

from app.i18n import Tr
from app.services.runtime import SyncStatus
from kefu_protocol.wire import TRANSFER_UNDO_SECONDS

PRESENCE = ("online", "busy", "away", "offline")


class StatusArea(QObject):
    """Owns the widgets it puts on the status bar and the banner above the panes."""

    presence_chosen = Signal(str)
    """online | busy | away | offline, as the agent picked it."""
    undo_requested = Signal(str)
    """The conversation id of the transfer to take back (H3.4)."""

    def __init__(self, tr: Tr, bar: QStatusBar, banner: QLabel) -> None:
        super().__init__(bar)
        self.tr_ = tr
        self.banner = banner
        self.presence = QComboBox()
        for status in PRESENCE:
            self.presence.addItem(tr(f"status.{status}"), status)
        self.presence.setCurrentIndex(PRESENCE.index("offline"))
        self.presence.activated.connect(lambda i: self.presence_chosen.emit(PRESENCE[i]))
        self.sync_label = QLabel(tr("sync.connecting"))
        self.clock_label = QLabel("")
        """Shown while this desk's clock is minutes or more off the server's (issue 9)."""
        self.clock_label.setObjectName("warning")
        self.clock_label.setWordWrap(False)
        self.clock_label.hide()
        self.undo_button = QPushButton("")
        self.undo_button.setProperty("flat", True)
        self.undo_button.hide()
        self.undo_button.clicked.connect(self._undo)
        self._undo_for = ""
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self.undo_button.hide)
        bar.addWidget(self.presence)
        bar.addWidget(self.undo_button)
        bar.addPermanentWidget(self.clock_label)
        bar.addPermanentWidget(self.sync_label)

    def show_presence(self, status: str) -> None:
        self.presence.setCurrentIndex(PRESENCE.index(status))

    def show_status(self, status: SyncStatus) -> None:
        tr = self.tr_
        if status.bootstrapped_rows is not None:
            text = tr("sync.bootstrap", count=status.bootstrapped_rows)
        elif status.state == "offline" and status.offline_since is not None:
            text = tr("sync.offline_since",
                      time=status.offline_since.astimezone().strftime("%H:%M"))
        elif status.state == "degraded":
            text = tr("sync.degraded")
        elif status.state == "connecting":
            text = tr("sync.connecting")
        else:
            text = tr("sync.synced")
        if status.pending:
            text = f"{text} · {tr('sync.pending', count=status.pending)}"
        if status.rejected:
            text = f"{text} · {tr('sync.rejected', count=status.rejected)}"
        self.sync_label.setText(text)
        if status.last_error == "session_expired":
            self.banner.setText(tr("banner.session"))
            self.banner.show()
        elif status.state == "offline":
            self.banner.setText(tr("banner.offline"))
            self.banner.show()
        else:
            self.banner.hide()

    def show_clock(self, skew: float | None) -> None:
        """`skew`: server minus local seconds worth telling (None: the clocks agree)."""
        if skew is None:
            self.clock_label.hide()
            return
        key = "clock.behind" if skew > 0 else "clock.ahead"
        text = self.tr_(key, amount=clock_amount(self.tr_, abs(skew)))
        self.clock_label.setText(text)
        self.clock_label.setToolTip(text)
        self.clock_label.show()

    def offer_undo(self, conversation_id: str, name: str) -> None:
        """H3.4: for TRANSFER_UNDO_SECONDS a wrong transfer can be pulled back."""
        self._undo_for = conversation_id
        self.undo_button.setText(self.tr_("transfer.undo", name=name,
                                          seconds=TRANSFER_UNDO_SECONDS))
        self.undo_button.show()
        self._undo_timer.start(TRANSFER_UNDO_SECONDS * 1000)

    def _undo(self) -> None:
        self.undo_button.hide()
        self._undo_timer.stop()
        self.undo_requested.emit(self._undo_for)


def clock_amount(tr: Tr, seconds: float) -> str:
    """"1 天 2 小时" / "3 小时 5 分钟" / "12 分钟": how far off, to the minute."""
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return tr("clock.days", days=days, hours=hours)
    if hours:
        return tr("clock.hours", hours=hours, minutes=minutes)
    return tr("clock.minutes", minutes=minutes)

"""Alert channels (sound, desktop popup, flash) and the policy choosing them (H10.1, H2.2)."""

# Alerts fire even while the window has focus: agents of competing tools complain that theirs
# stay silent then. Busy (when `busy_mutes` is on) silences all but the urgent events; quiet
# hours silence only the sound, the popup and the flash still show.

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, QVariantAnimation
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.i18n import Tr
from app.services.alerts import Alert
from app.services.preferences import Preferences
from app.settings import DEFAULT_NOTIFY, URGENT_EVENTS
from app.ui.sound import PlatformSound

log = logging.getLogger(__name__)

PRIORITY = ("surge", "response_breach", "transferred", "handover_overdue", "system_notice",
            "new_conversation", "handover", "response_warning", "new_message")
"""When a page brings several alerts, the sound of the first event here is the one played."""
NOTICE_KINDS = ("note_conflict", "escalation", "bad_feed_row")
TOAST_MS = 4000
SHAKE_MS = 300
SHAKE_PX = 8


def resource_path(folder: str, name: str) -> Path | None:
    """resources/<folder>/<name> in the source tree, or <folder>/<name> next to the packaged
    executable (like app.ui.app.icon_path)."""
    for candidate in (Path(__file__).resolve().parents[2] / "resources" / folder / name,
                      Path(sys.executable).resolve().parent / folder / name):
        if candidate.exists():
            return candidate
    return None


class SoundPlayer:
    """Plays resources/sounds/<name>.wav at a volume (app.ui.sound); without a player on this
    computer it logs once and stays silent. `last` and `requested` record every request."""

    def __init__(self, backend: PlatformSound | None = None) -> None:
        self.last: tuple[str, int] | None = None
        """(sound, volume 0-100) last requested, played or not."""
        self.requested = 0
        self.played = 0
        self.backend = backend if backend is not None else PlatformSound()

    def play(self, name: str, volume: int) -> None:
        self.last = (name, volume)
        self.requested += 1
        path = resource_path("sounds", f"{name}.wav")
        if path is None:
            log.warning("alert sound %s.wav not found", name)
            return
        if self.backend.play(path, volume):
            self.played += 1


def in_quiet_hours(now: dt.time, start: str, end: str) -> bool:
    """[start, end) in HH:MM; a range may cross midnight (22:00-08:00); equal means none."""
    begin, until = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
    moment = now.replace(second=0, microsecond=0, tzinfo=None)
    if begin <= until:
        return begin <= moment < until
    return moment >= begin or moment < until


@dataclass(frozen=True)
class Decision:
    sound: str
    volume: int
    popup: bool
    flash: bool


def decide(event: str, choice: dict[str, Any], *, busy: bool, quiet: bool) -> Decision | None:
    """The channels an event gets now; None when busy mutes it. `busy` already includes the
    busy_mutes setting, `quiet` the quiet_hours one."""
    if busy and event not in URGENT_EVENTS:
        return None
    return Decision("" if quiet else str(choice.get("sound", "")),
                    int(choice.get("volume", 70)), bool(choice.get("popup")),
                    bool(choice.get("flash")))


class PopupTarget(Protocol):
    def can_show_messages(self) -> bool: ...
    def show_message(self, title: str, body: str, urgent: bool) -> None: ...


class Notifier(QObject):
    """Shows alerts on the channels the agent chose; every channel is observable for tests:
    `player.last`, `last_popup` (title, body, 'tray' | 'toast'), `alerts_raised`, `shaking`."""

    def __init__(self, prefs: Preferences, tr: Tr, *, window_getter: Callable[[], QWidget | None],
                 tray: PopupTarget | None, player: SoundPlayer,
                 presence_getter: Callable[[], str],
                 clock: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        super().__init__()
        self.prefs = prefs
        self.tr_ = tr
        self.window_getter = window_getter
        self.tray = tray
        self.player = player
        self.presence_getter = presence_getter
        self.clock = clock
        self.last_popup: tuple[str, str, str] | None = None
        self.alerts_raised = 0
        self._shake: QVariantAnimation | None = None
        self._shake_end: Callable[[], None] | None = None
        self._toast: QLabel | None = None

    @property
    def shaking(self) -> bool:
        return self._shake is not None

    # ---- policy ---------------------------------------------------------------------------

    def decision(self, event: str) -> Decision | None:
        busy = self.presence_getter() == "busy" and bool(self.prefs.get("busy_mutes"))
        quiet = bool(self.prefs.get("quiet_hours")) and in_quiet_hours(
            self.clock().time(), self.prefs.get("quiet_from"), self.prefs.get("quiet_to"))
        return decide(event, self._choice(event), busy=busy, quiet=quiet)

    def _choice(self, event: str) -> dict[str, Any]:
        """The agent's choice; the default for an event newer than their saved table."""
        saved = (self.prefs.get("notify") or {}).get(event)
        return dict(saved if saved is not None else DEFAULT_NOTIFY.get(event, {}))

    def notify(self, alert: Alert) -> None:
        self.notify_all([alert])

    def notify_all(self, alerts: Iterable[Alert]) -> None:
        """A page's alerts together: one sound (the most pressing), one popup, one flash."""
        allowed = [(a, d) for a in alerts if (d := self.decision(a.event)) is not None]
        if not allowed:
            return
        allowed.sort(key=lambda pair: PRIORITY.index(pair[0].event))
        sounding = next((d for _a, d in allowed if d.sound), None)
        if sounding is not None:
            self.player.play(sounding.sound, sounding.volume)
        popups = [a for a, d in allowed if d.popup]
        if len(popups) == 1:
            title, body = self.texts(popups[0])
            self.popup(title, body, popups[0].urgent)
        elif popups:
            self.popup(self.tr_("notify.summary", count=len(popups)),
                       "\n".join(self.texts(a)[0] for a in popups[:4]),
                       any(a.urgent for a in popups))
        if any(d.flash for _a, d in allowed):
            self.flash()

    def test(self, event: str, choice: dict[str, Any] | None = None) -> None:
        """The settings page's 测试 button: the channels as chosen, whatever busy or quiet."""
        picked = dict(choice) if choice is not None else self._choice(event)
        if picked.get("sound"):
            self.player.play(str(picked["sound"]), int(picked.get("volume", 70)))
        label = self.tr_(f"notify.event.{event}")
        if picked.get("popup"):
            self.popup(self.tr_("notify.test_title", event=label),
                       self.tr_("notify.test_body", event=label), event in URGENT_EVENTS)
        if picked.get("flash"):
            self.flash()

    def texts(self, alert: Alert) -> tuple[str, str]:
        nickname = alert.nickname or self.tr_("notify.visitor")
        colleague = alert.colleague or self.tr_("notify.colleague")
        title = self.tr_(f"notify.title.{alert.event}", nickname=nickname, colleague=colleague)
        body = alert.preview
        if alert.event == "system_notice":
            kind = alert.kind if alert.kind in NOTICE_KINDS else "other"
            body = self.tr_(f"notify.notice.{kind}", reason=alert.preview, nickname=nickname)
        return title, body

    # ---- channels -------------------------------------------------------------------------

    def popup(self, title: str, body: str, urgent: bool = False) -> None:
        """The tray's desktop notification, or a toast in the window without a system tray."""
        if self.tray is not None and self.tray.can_show_messages():
            self.tray.show_message(title, body, urgent)
            self.last_popup = (title, body, "tray")
            return
        window = self.window_getter()
        if window is None:
            log.info("alert not shown: no system tray and no window")
            return
        self._show_toast(window, title, body)
        self.last_popup = (title, body, "toast")

    def _show_toast(self, window: QWidget, title: str, body: str) -> None:
        toast = self._toast
        if toast is None or toast.parent() is not window:
            toast = QLabel(window)
            toast.setObjectName("alertToast")
            toast.setWordWrap(True)
            toast.setTextFormat(Qt.TextFormat.PlainText)
            toast.setStyleSheet("QLabel#alertToast { background: palette(tooltip-base); "
                                "color: palette(tooltip-text); border: 1px solid palette(mid); "
                                "border-radius: 6px; padding: 8px 12px; }")
            toast.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self._toast = toast
        toast.setText(f"{title}\n{body}" if body else title)
        toast.setFixedWidth(min(320, max(160, window.width() - 24)))
        toast.adjustSize()
        toast.move(window.width() - toast.width() - 12, 12)
        toast.show()
        toast.raise_()
        QTimer.singleShot(TOAST_MS, toast, toast.hide)

    def flash(self) -> None:
        """"Vibration": the taskbar entry asks for attention and the window shakes briefly."""
        window = self.window_getter()
        if window is None:
            return
        QApplication.alert(window, 0)  # until the agent looks at the window
        self.alerts_raised += 1
        self._start_shake(window)

    def _start_shake(self, window: QWidget) -> None:
        if self._shake is not None or not window.isVisible() or window.isMinimized() \
                or window.isMaximized() or window.isFullScreen():
            return
        origin = QPoint(window.pos())
        shake = QVariantAnimation(self)
        shake.setDuration(SHAKE_MS)
        shake.setStartValue(0.0)
        shake.setEndValue(1.0)

        def step(value: Any) -> None:
            offset = round(SHAKE_PX * (1 - float(value)) * math.sin(float(value) * 6 * math.pi))
            try:
                window.move(origin.x() + offset, origin.y())
            except RuntimeError:  # the window went away mid-shake
                self._shake_end = None
                self.end_shake()

        def restore() -> None:
            with contextlib.suppress(RuntimeError):  # the window may be gone
                window.move(origin)  # exactly where it was

        shake.valueChanged.connect(step)
        shake.finished.connect(self.end_shake)
        self._shake = shake
        self._shake_end = restore
        shake.start()

    def end_shake(self) -> None:
        """Stops a shake (at its end, or early: the window is closing) where it started."""
        shake, restore = self._shake, self._shake_end
        self._shake = self._shake_end = None
        if shake is not None:
            shake.stop()
        if restore is not None:
            restore()

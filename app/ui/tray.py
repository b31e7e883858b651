"""The tray icon (H10.1): unread count as a badge, status, open and quit; the desktop popups."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from app.i18n import Tr
from app.ui.notifier import resource_path

TRAY_PRESENCE = ("online", "busy", "away")
ICON_PX = 64
POPUP_MS = 6000
URGENT_POPUP_MS = 15000


def badge_text(unread: int) -> str:
    return "" if unread <= 0 else ("99+" if unread > 99 else str(unread))


def activate(window: QWidget) -> None:
    """Brings the window back: restored if minimised, shown if hidden, raised, focused."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


class TrayIcon(QSystemTrayIcon):
    """Without a system tray (QSystemTrayIcon.isSystemTrayAvailable() False) it stays hidden,
    keeps its state and refuses popups, so the notifier shows them in the window instead."""

    presence_chosen = Signal(str)
    open_requested = Signal()
    quit_requested = Signal()

    def __init__(self, tr: Tr, *, window_getter: Callable[[], QWidget | None] | None = None,
                 icon: QIcon | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.window_getter = window_getter
        self.unread = 0
        self.presence = "offline"
        self.last_message: tuple[str, str] | None = None
        """(title, body) of the last desktop popup requested."""
        # The app's own icon (build_application sets it from the source tree or the bundle);
        # the source tree's file otherwise (tests build a tray without the app).
        path = resource_path("icons", "kefudesk.svg")
        fallback = QIcon(str(path)) if path else QIcon()
        app_icon = QApplication.windowIcon()
        self.base_icon = icon if icon is not None else (
            app_icon if not app_icon.isNull() else fallback)
        self.menu = QMenu()
        self.status_menu = self.menu.addMenu(tr("tray.status"))
        self.status_group = QActionGroup(self.menu)
        self.status_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.status_actions: dict[str, QAction] = {}
        for status in TRAY_PRESENCE:
            action = self.status_menu.addAction(tr(f"status.{status}"))
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, s=status: self._choose(s))
            self.status_group.addAction(action)
            self.status_actions[status] = action
        self.menu.addSeparator()
        self.open_action = self.menu.addAction(tr("tray.open"))
        self.open_action.triggered.connect(self._open)
        self.quit_action = self.menu.addAction(tr("tray.quit"))
        self.quit_action.triggered.connect(self.quit_requested.emit)
        self.setContextMenu(self.menu)
        self.activated.connect(self._on_activated)
        self._refresh()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def start(self) -> None:
        """Shows the icon where a tray exists (a no-op elsewhere)."""
        if self.available():
            self.show()

    # ---- state ----------------------------------------------------------------------------

    def set_unread(self, count: int) -> None:
        if count != self.unread:
            self.unread = max(0, count)
            self._refresh()

    def set_presence(self, status: str) -> None:
        self.presence = status
        for name, action in self.status_actions.items():
            action.setChecked(name == status)
        self._refresh()

    def badge_text(self) -> str:
        return badge_text(self.unread)

    def _refresh(self) -> None:
        self.setIcon(self._badged_icon())
        tip = self.tr_("tray.tooltip_unread", count=self.unread) if self.unread \
            else self.tr_("tray.tooltip")
        self.setToolTip(self.tr_("tray.tooltip_status", tip=tip,
                                 status=self.tr_(f"status.{self.presence}")))

    def _badged_icon(self) -> QIcon:
        pixmap = self.base_icon.pixmap(ICON_PX, ICON_PX)
        if pixmap.isNull():
            pixmap = QPixmap(ICON_PX, ICON_PX)
            pixmap.fill(QColor("#2f6fde"))
        text = self.badge_text()
        if not text:
            return QIcon(pixmap)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = 30 if len(text) == 1 else 40 if len(text) == 2 else 52
        badge = QRect(ICON_PX - width, 0, width, 30)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#d93025"))
        painter.drawRoundedRect(badge, 15, 15)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(20)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        return QIcon(pixmap)

    # ---- popups (app.ui.notifier.PopupTarget) ---------------------------------------------

    def can_show_messages(self) -> bool:
        return self.available() and QSystemTrayIcon.supportsMessages() and self.isVisible()

    def show_message(self, title: str, body: str, urgent: bool = False) -> None:
        self.last_message = (title, body)
        icon = QSystemTrayIcon.MessageIcon.Warning if urgent \
            else QSystemTrayIcon.MessageIcon.Information
        self.showMessage(title, body, icon, URGENT_POPUP_MS if urgent else POPUP_MS)

    # ---- the agent's choices --------------------------------------------------------------

    def _choose(self, status: str) -> None:
        self.set_presence(status)
        self.presence_chosen.emit(status)

    def _open(self) -> None:
        window = self.window_getter() if self.window_getter is not None else None
        if window is not None:
            activate(window)
        self.open_requested.emit()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self._open()

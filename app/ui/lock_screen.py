"""H1.7: the lock screen, and the cover that hides the app's windows and stops their input."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QWindow
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.ui.idle import INPUT_EVENTS

_BLOCKED = INPUT_EVENTS | {
    QEvent.Type.ShortcutOverride, QEvent.Type.Shortcut, QEvent.Type.ContextMenu,
    QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop, QEvent.Type.TouchEnd,
    QEvent.Type.TabletMove, QEvent.Type.TabletRelease, QEvent.Type.HoverEnter,
    QEvent.Type.HoverMove,
}


class LockScreen(QWidget):
    """Who is signed in, why the desk is locked, a password field, 解锁 and 注销. It cannot be
    closed by the window manager or Escape; only the session flow releases it."""

    unlock_requested = Signal(str)
    """The password typed (never stored or logged)."""
    logout_requested = Signal()

    def __init__(self, tr: Tr, *, name: str, account: str, reason: str) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.tr_ = tr
        self._released = False
        self.setWindowTitle(tr("session.lock.title"))
        self.setMinimumWidth(420)
        title = QLabel(tr("session.lock.heading"))
        title.setObjectName("chatTitle")
        self.who = QLabel(tr("session.lock.who", name=name, account=account))
        self.reason = QLabel(reason)
        self.reason.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(tr("session.lock.password"))
        self.password.returnPressed.connect(self._submit)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.unlock = QPushButton(tr("session.lock.unlock"))
        self.unlock.setDefault(True)
        self.unlock.clicked.connect(self._submit)
        self.logout = QPushButton(tr("session.lock.logout"))
        self.logout.clicked.connect(self.logout_requested.emit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.logout)
        buttons.addWidget(self.unlock)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (title, self.who, self.reason, self.password, self.message):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def _submit(self) -> None:
        if not self.unlock.isEnabled():
            return
        if not self.password.text():
            self.show_message(self.tr_("session.lock.empty"))
            return
        self.set_busy(True)
        self.unlock_requested.emit(self.password.text())

    def set_reason(self, text: str) -> None:
        self.reason.setText(text)

    def set_busy(self, busy: bool) -> None:
        self.unlock.setEnabled(not busy)
        self.password.setEnabled(not busy)
        self.unlock.setText(self.tr_("session.lock.checking" if busy else "session.lock.unlock"))
        if busy:
            self.message.setText("")

    def show_message(self, text: str) -> None:
        """A refusal: the field is cleared for the next try and keeps the focus."""
        self.set_busy(False)
        self.message.setText(text)
        self.password.clear()
        self.password.setFocus()

    def release(self) -> None:
        """The session flow is done with the lock: it may close now."""
        self._released = True
        self.password.clear()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._released:
            super().closeEvent(event)
        else:
            event.ignore()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() != Qt.Key.Key_Escape:
            super().keyPressEvent(event)


@dataclass
class _Hidden:
    window: QWidget
    geometry: QByteArray
    state: Qt.WindowState
    enabled: bool


class Cover(QObject):
    """While engaged, every other window of the app is hidden and disabled, and an event
    filter on the QApplication drops keyboard and mouse input meant for anything but the lock
    screen (and dialogs it opens). Released, the windows come back as they were."""

    def __init__(self, lock: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lock = lock
        self.hidden: list[_Hidden] = []
        self.focus: QWidget | None = None
        self.dropped = 0

    def engage(self) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.focus = app.focusWidget()
        app.installEventFilter(self)
        self.lock.show()
        self.lock.raise_()
        self.lock.activateWindow()
        for window in app.topLevelWidgets():
            if window is self.lock or not window.isVisible():
                continue
            if window.windowType() in (Qt.WindowType.Popup, Qt.WindowType.ToolTip):
                window.close()  # an open menu or tooltip is not brought back
                continue
            self.hidden.append(_Hidden(window, window.saveGeometry(), window.windowState(),
                                       window.isEnabled()))
            window.setEnabled(False)
            window.hide()

    def release(self, *, restore: bool = True) -> None:
        """Input flows again; with `restore` the hidden windows come back as they were."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        hidden, self.hidden = (self.hidden if restore else []), []
        for item in hidden:
            item.window.setEnabled(item.enabled)
            item.window.restoreGeometry(item.geometry)
            item.window.setWindowState(item.state)
            item.window.show()
        if hidden:
            hidden[0].window.raise_()
            hidden[0].window.activateWindow()
        if hidden and self.focus is not None and self.focus.isVisible():
            self.focus.setFocus()
        self.focus = None

    def forget(self, window: QWidget) -> None:
        """`window` is being closed for good: it is not shown again at release."""
        self.hidden = [item for item in self.hidden if item.window is not window]

    def _allowed(self, watched: QObject) -> bool:
        if isinstance(watched, QWindow):
            return True  # delivered on to a widget, which is checked then
        widget: QObject | None = watched
        while widget is not None and not isinstance(widget, QWidget):
            widget = widget.parent()  # a QAction or QShortcut: its widget decides
        while isinstance(widget, QWidget):
            if widget is self.lock:
                return True
            widget = widget.parentWidget()
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _BLOCKED and not self._allowed(watched):
            self.dropped += 1
            return True
        return False

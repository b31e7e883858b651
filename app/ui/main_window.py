"""The agent's main window (H2.1): conversations left, chat centre, status and sync below."""

from __future__ import annotations

import logging

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import Tr
from app.services.chat import MessageTooLong
from app.services.runtime import Applied, Runtime, SyncStatus
from app.ui.chat_panel import ChatPanel
from app.ui.conversation_list import ConversationListModel, make_conversation_view
from app.ui.theme import Palette
from app.workers import Workers

log = logging.getLogger(__name__)

PRESENCE = ("online", "busy", "away", "offline")
_RELOAD_ABOVE = 2000


class MainWindow(QMainWindow):
    """Thin assembly: widgets below do the drawing, the runtime's services do the work."""

    logout_requested = Signal()
    """The agent chose 注销 (log out)."""
    settings_requested = Signal()
    about_requested = Signal()
    away_requested = Signal()
    """The agent chose 离开 (away, H1.7): the session flow locks the window."""
    presence_requested = Signal(str)
    """The agent picked a status other than away: online | busy | offline."""
    auto_login_toggled = Signal(bool)
    """The agent switched auto-login for this desk on or off (H1.9)."""

    def __init__(self, runtime: Runtime, workers: Workers, palette: Palette, tr: Tr) -> None:
        super().__init__()
        self.runtime = runtime
        self.workers = workers
        self.tr_ = tr
        self.current: str | None = None
        self.closed = False
        agent = runtime.signed_in.agent
        self.setWindowTitle(f"{tr('app.title')} · {agent.name} ({runtime.signed_in.account})")
        self.resize(1280, 800)
        chat = runtime.chat
        self.list_model = ConversationListModel(chat.conversation_order, chat.conversation_rows,
                                                chat.sort_keys)
        self.list_view = make_conversation_view(self.list_model, palette, tr)
        self.list_view.selectionModel().selectionChanged.connect(self._on_selection)
        self.chat_panel = ChatPanel(palette, tr)
        self.chat_panel.send_requested.connect(self._send)
        self.chat_panel.retry_requested.connect(self._retry)
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list_view)
        splitter.addWidget(self.chat_panel)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 960])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self._build_status_bar()
        self._build_menu()
        self.list_model.reload()
        self._tick = QTimer(self)  # waiting times move even when nothing syncs
        self._tick.timeout.connect(self.list_view.viewport().update)
        self._tick.start(1000)

    def _build_status_bar(self) -> None:
        self.presence = QComboBox()
        for status in PRESENCE:
            self.presence.addItem(self.tr_(f"status.{status}"), status)
        self.presence.setCurrentIndex(PRESENCE.index("offline"))
        self.presence.activated.connect(self._presence_chosen)
        self.sync_label = QLabel(self.tr_("sync.connecting"))
        self.statusBar().addWidget(self.presence)
        self.statusBar().addPermanentWidget(self.sync_label)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr_("app.title"))
        logout = QAction(self.tr_("menu.logout"), self)
        logout.triggered.connect(self.logout_requested.emit)
        quit_action = QAction(self.tr_("menu.quit"), self)
        quit_action.setShortcut("Ctrl+Q")
        quit_action.triggered.connect(self.close)
        settings = QAction(self.tr_("menu.settings"), self)
        settings.setShortcut("Ctrl+,")
        settings.triggered.connect(self.settings_requested.emit)
        menu.addAction(settings)
        menu.addSeparator()
        menu.addAction(logout)
        menu.addAction(quit_action)
        about = QAction(self.tr_("menu.about"), self)
        about.triggered.connect(self.about_requested.emit)
        self.menuBar().addMenu(self.tr_("menu.help")).addAction(about)

    # ---- sync feedback (Qt thread, via the bridge) ----------------------------------------

    def show_status(self, status: SyncStatus) -> None:
        if self.closed:
            return
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

    def apply_changes(self, applied: Applied) -> None:
        """Refreshes only what the page touched."""
        if self.closed:
            return
        changed = applied.conversations | applied.message_conversations
        if len(changed) > _RELOAD_ABOVE:  # a bootstrap or a long catch-up: one new query
            self.list_model.reload()
        elif changed:
            self.list_model.refresh(changed)
        if applied.customers:  # nicknames and VIP levels show in every row
            self.list_model.forget_rows()
        self._keep_selection()
        if self.current and (self.current in applied.message_conversations
                             or applied.acked or applied.rejected):
            self._reload_chat()
            if self.current in applied.message_conversations:
                self._mark_read(self.current)  # the open conversation is being read

    def _keep_selection(self) -> None:
        """Rows that move are repainted in place, so the selection follows the id here."""
        if self.current is None:
            return
        position = self.list_model.position_of(self.current)
        if position is None or position == self.list_view.currentIndex().row():
            return
        self.list_view.setAutoScroll(False)  # the agent's scroll position stays put
        self.list_view.setCurrentIndex(self.list_model.index(position))
        self.list_view.setAutoScroll(True)

    # ---- user actions ---------------------------------------------------------------------

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        conversation_id = self.list_model.id_at(indexes[0].row())
        if conversation_id is None or conversation_id == self.current:
            return
        self.current = conversation_id
        row = self.runtime.chat.conversation_rows([conversation_id]).get(conversation_id)
        title = row.nickname if row else ""
        self.chat_panel.show_conversation(title, self.runtime.chat.messages(conversation_id))
        self.chat_panel.composer.setFocus()
        self._mark_read(conversation_id)

    @asyncSlot(str)
    async def _mark_read(self, conversation_id: str) -> None:
        if self.closed:
            return
        await self.workers.in_db(self.runtime.chat.mark_read, conversation_id)
        self.list_model.refresh({conversation_id})
        self._keep_selection()

    def _reload_chat(self) -> None:
        if self.current:
            self.chat_panel.show_messages(self.runtime.chat.messages(self.current))

    @asyncSlot(str)
    async def _send(self, text: str) -> None:
        conversation_id = self.current
        if conversation_id is None:
            return
        try:
            await self.workers.in_db(self.runtime.chat.send, conversation_id, text)
        except MessageTooLong as exc:
            self.chat_panel.hint.setText(
                self.tr_("composer.too_long", length=exc.length, limit=exc.limit))
            return
        self.chat_panel.clear_composer()
        self._reload_chat()
        self.chat_panel.view.scrollToBottom()

    @asyncSlot(int)
    async def _retry(self, outbox_seq: int) -> None:
        await self.workers.in_db(self.runtime.chat.retry, outbox_seq)
        self._reload_chat()

    def _presence_chosen(self, position: int) -> None:
        status = PRESENCE[position]
        if status == "away":
            self.away_requested.emit()
        else:
            self.presence_requested.emit(status)

    def show_presence(self, status: str) -> None:
        """Shows the status the session flow has set (after login, lock, idle, unlock)."""
        self.presence.setCurrentIndex(PRESENCE.index(status))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed = True
        self._tick.stop()
        super().closeEvent(event)

"""The agent's main window (H2.1): list left, chat centre with the action bar, customer right."""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import QByteArray, QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.commands import COMMANDS
from app.config import Config
from app.i18n import Tr
from app.services.listing import ConversationRow, ListQuery
from app.services.preferences import Preferences
from app.services.runtime import Applied, Runtime, SyncStatus
from app.services.workstation import workstation_for
from app.sync.clock import ServerClock
from app.ui.admin_desk import AdminDesk
from app.ui.appearance import Appearance
from app.ui.cache_notice import tell_cache_state
from app.ui.chat_panel import ChatPanel
from app.ui.conversation_actions import ConversationActions
from app.ui.conversation_list import ConversationListModel, make_conversation_view
from app.ui.customer_panel import CustomerPanel
from app.ui.kb_desk import KbDesk
from app.ui.list_header import ListHeader
from app.ui.order_desk import OrderDesk
from app.ui.product_desk import ProductDesk
from app.ui.search_dialog import SearchDialog, make_search_dialog
from app.ui.settings_dialog import PageFactory
from app.ui.status_area import StatusArea
from app.ui.theme import Palette
from app.ui.window_alerts import WindowAlerts
from app.ui.window_chat import ChatController
from app.ui.window_commands import WindowCommands
from app.ui.window_prefs import WindowPreferences
from app.ui.window_shift import ShiftDesk
from app.workers import Workers
from kefu_protocol.wire import has_permission

log = logging.getLogger(__name__)

_RELOAD_ABOVE = 2000


class MainWindow(QMainWindow):
    """Thin assembly: widgets below do the drawing, the workstation's services do the work."""

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
    tool_requested = Signal(str)
    conversation_opened = Signal(str)
    """The agent opened a conversation (its id): side panels follow the customer in it."""
    pages_applied = Signal(object)
    """Each applied page (Applied), after the window's own views: for its other windows
    (the lead's board)."""
    """logs | diagnostics | security: IT's tools, opened by the session flow (H10.3, H1.14)."""

    def __init__(self, runtime: Runtime, workers: Workers, palette: Palette, tr: Tr,
                 config: Config | None = None, *, prefs: Preferences | None = None,
                 appearance: Appearance | None = None, clock: ServerClock | None = None) -> None:
        super().__init__()
        self.runtime = runtime
        self.clock = clock or ServerClock()
        """The server's time: waiting times and alerts do not trust this desk's clock."""
        self.workers = workers
        self.tr_ = tr
        self.config = config
        self.prefs = prefs if prefs is not None else (
            Preferences(config) if config is not None else None)
        self.appearance = appearance
        if appearance is not None:
            palette = appearance.palette
        self.ws = workstation_for(runtime)
        self.current: str | None = None
        self.current_row: ConversationRow | None = None
        self.presence_status = "offline"
        self.alerts: WindowAlerts | None = None
        self.search_dialog: SearchDialog | None = None
        self.closed = False
        agent = runtime.signed_in.agent
        self.setWindowTitle(f"{tr('app.title')} · {agent.name} ({runtime.signed_in.account})")
        self.setMinimumSize(1024, 640)
        self.resize(1280, 800)
        self.query = self._initial_query()
        chat = runtime.chat
        self.list_model = ConversationListModel(
            lambda: chat.conversation_order(self.query),
            lambda ids: chat.conversation_rows(ids, self.query),
            lambda ids: chat.sort_keys(ids, self.query))
        self.list_view = make_conversation_view(self.list_model, palette, tr, self.clock.now)
        self.list_view.selectionModel().selectionChanged.connect(self._on_selection)
        self.list_header = ListHeader(tr, self.query)
        self.list_header.query_changed.connect(self._query_changed)
        self.chat_panel = ChatPanel(palette, tr)
        self.customer_panel = CustomerPanel(tr)
        self.customer_panel.note_requested.connect(lambda: self.actions.run("conversation.note"))
        self.customer_panel.tags_requested.connect(lambda: self.actions.run("conversation.tag"))
        self.chat = ChatController(self)
        self.actions = ConversationActions(self.ws, workers, tr, self, self.chat_panel,
                                           lambda: self.current_row)
        self.actions.changed.connect(self._after_action)
        self.actions.customer_changed.connect(lambda _cid: self._show_customer())
        self.actions.transferred.connect(lambda cid, name: self.status.offer_undo(cid, name))
        self.customer_panel.conversation_requested.connect(self.open_conversation)
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.shift = ShiftDesk(self)
        """Handover (H13.2), problem log (H13.4), the surge banner (H11.4), the board entry."""
        self.side_tabs = QTabWidget()
        """Right-hand side: the customer first; the order and knowledge desks add their tabs."""
        self.side_tabs.addTab(self.customer_panel, tr("side.customer"))
        self.order_desk = OrderDesk(self)
        """Orders of the customer in the chat (H5): look up, details, status changes."""
        self.kb_desk = KbDesk(self)
        """The knowledge base beside the chat (H9): search, insert, suggested answers."""
        self.product_desk = ProductDesk(self)
        """Products, specs, stock and promotions beside the chat (H6)."""
        self.admin_desk = AdminDesk(self)
        """Supervisors' grants (H10.2) and the tag library (H4.3), from the 客服台 menu."""
        self._build_layout()
        self._build_commands()
        self.status = StatusArea(tr, self.statusBar(), self.banner)
        self.status.presence_chosen.connect(self._presence_chosen)
        self.status.undo_requested.connect(self.actions.undo_transfer)
        self.presence, self.sync_label = self.status.presence, self.status.sync_label
        self.undo_button = self.status.undo_button
        self.status.show_clock(self.clock.off_by())
        self._build_menu()
        self.list_model.reload()
        self._tick = QTimer(self)  # waiting times move even when nothing syncs
        self._tick.timeout.connect(self.list_view.viewport().update)
        self._tick.start(1000)
        self._update_commands()
        self.shift.refresh()
        self.window_prefs = WindowPreferences(self, self.prefs, appearance) \
            if self.prefs is not None else None
        if self.prefs is not None:
            self.alerts = WindowAlerts(self, self.prefs)
        self.chat.wire_phrases()
        self.cache_notice: QMessageBox | None = None
        """The rebuilt-cache or no-keyring warning, shown once the window is up (None
        normally)."""
        QTimer.singleShot(0, self, lambda: setattr(
            self, "cache_notice", tell_cache_state(self, tr, runtime)))

    # ---- assembly -------------------------------------------------------------------------

    def _initial_query(self) -> ListQuery:
        if self.config is None or self.prefs is None:
            return ListQuery()
        return ListQuery(view=self.config.get("list_view"), sort=self.config.get("list_sort"),
                         auto_pin_vip=int(self.prefs.get("auto_pin_vip_level")))

    def _build_layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(0)
        left_layout.addWidget(self.list_header)
        left_layout.addWidget(self.list_view, 1)
        self.action_bar = QToolBar(self.tr_("actions.bar"))
        self.action_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        centre_layout.addWidget(self.action_bar)
        centre_layout.addWidget(self.chat_panel, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(centre)
        side = QWidget()  # suggested answers stay in view whichever tab is open (H9)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.kb_desk.panel.suggestions)
        side_layout.addWidget(self.side_tabs, 1)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([300, 680, 300])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.shift.banner)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        if self.config is not None:
            geometry = self.config.get("window_geometry")
            if geometry:
                self.restoreGeometry(QByteArray.fromBase64(geometry.encode()))
            sizes = self.config.get("window_splitter")
            if sizes:
                self.splitter.restoreState(QByteArray.fromBase64(sizes.encode()))

    def _build_commands(self) -> None:
        """Every action from the one registry: its text, its keys, its place on the bar."""
        self.window_commands = WindowCommands(self)
        self.commands = self.window_commands.actions

    def _build_menu(self) -> None:
        self.auto_login = self.window_commands.build_menu()

    def apply_shortcuts(self) -> None:
        """The agent's own keys (the `shortcuts` setting) on every action, live (H2.3)."""
        self.window_commands.apply_keymap()

    def setting_pages(self) -> dict[str, PageFactory]:
        """Editors for the settings that need more than a field: alerts and shortcuts."""
        return self.window_prefs.setting_pages() if self.window_prefs is not None else {}

    def _update_commands(self) -> None:
        row = self.current_row
        open_ = row is not None and row.state != "closed"
        for command in COMMANDS:
            if command.context == "conversation":
                self.commands[command.id].setEnabled(open_)
        if row is not None:
            self.commands["conversation.accept"].setEnabled(open_ and not row.mine)
            self.commands["conversation.return"].setEnabled(
                open_ and bool(row.transferred_from_id) and row.mine)
            pin = self.commands["conversation.pin"]
            pin.setText(self.tr_("cmd.unpin" if row.pinned else "cmd.pin"))
            converted = self.ws.problems.converted(row.id)
            self.commands["conversation.convert"].setText(
                self.tr_("cmd.unconvert" if converted else "cmd.convert"))

    # ---- sync feedback (Qt thread, via the bridge) ----------------------------------------

    def show_status(self, status: SyncStatus) -> None:
        if not self.closed:
            self.status.show_status(status)
            self.status.show_clock(self.clock.off_by())

    def apply_changes(self, applied: Applied) -> None:
        """Refreshes only what the page touched."""
        if self.closed:
            return
        if self.alerts is not None:
            self.alerts.after_page(applied)
        self.shift.after_page(applied)
        changed = applied.conversations | applied.message_conversations
        if len(changed) > _RELOAD_ABOVE or applied.acked or applied.rejected:
            self.list_model.reload()  # queued intents settled: the overlay is gone
        elif changed:
            self.list_model.refresh(changed)
        if applied.customers:  # nicknames and VIP levels show in every row
            self.list_model.forget_rows()
        self._keep_selection()
        if self.current and (self.current in changed or applied.acked or applied.rejected):
            self.refresh_current()
            if self.current in applied.message_conversations:
                self._mark_read(self.current)  # the open conversation is being read
        if self.current_row is not None and (
                self.current_row.customer_id in applied.customers or applied.records):
            self._show_customer()
        self.pages_applied.emit(applied)

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

    def _query_changed(self, query: ListQuery) -> None:
        self.query = replace(query, auto_pin_vip=self.query.auto_pin_vip)
        if self.config is not None:
            self.config.set("list_view", query.view)
            self.config.set("list_sort", query.sort)
        self.list_model.reload()
        self._keep_selection()

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        conversation_id = self.list_model.id_at(indexes[0].row())
        if conversation_id is None or conversation_id == self.current:
            return
        self.chat_panel.flush_draft()  # the draft belongs to the conversation being left
        self.open_conversation(conversation_id)

    def open_conversation(self, conversation_id: str) -> None:
        self.current = conversation_id
        chat = self.runtime.chat
        self.current_row = chat.conversation_rows([conversation_id], self.query).get(
            conversation_id)
        title = self.current_row.nickname if self.current_row else ""
        rows = chat.messages(conversation_id)
        seqs = [r.seq for r in rows if r.seq is not None]
        self.chat.oldest_seq = min(seqs) if seqs else None
        self.chat_panel.show_conversation(title, rows,
                                          draft=self.ws.actions.draft(conversation_id),
                                          has_more=bool(seqs) and min(seqs) > 1)
        self.chat_panel.composer.setFocus()
        self._update_commands()
        self._show_customer()
        self._mark_read(conversation_id)
        self.conversation_opened.emit(conversation_id)

    def refresh_current(self) -> None:
        if self.current is None:
            return
        chat = self.runtime.chat
        self.current_row = chat.conversation_rows([self.current], self.query).get(self.current)
        self.chat_panel.show_messages(chat.messages(self.current))
        self._update_commands()

    def _show_customer(self) -> None:
        row = self.current_row
        if row is None:
            self.customer_panel.show_card(None)
            return
        card = self.ws.customers.card(row.customer_id, agent_names=self.ws.colleagues.names())
        me = self.ws.colleagues.me()
        may_reveal = has_permission(self.ws.role, me.grants if me else (), "customer.reveal")
        self.customer_panel.show_card(card, may_reveal=may_reveal)

    def _after_action(self, ids: set[str]) -> None:
        self.list_model.refresh(ids)
        self._keep_selection()
        if self.current in ids:
            self.refresh_current()

    @asyncSlot(str)
    async def _mark_read(self, conversation_id: str) -> None:
        if self.closed:
            return
        await self.workers.in_db(self.runtime.chat.mark_read, conversation_id)
        self.list_model.refresh({conversation_id})
        self._keep_selection()

    def open_board(self) -> None:
        """交接班看板 (H13.3): app.ui.board_window.open_board(self), imported when asked."""
        self.shift.open_board()

    def show_conversation(self, conversation_id: str) -> None:
        """Opens a conversation by id, selected in the list when the list shows it."""
        position = self.list_model.position_of(conversation_id)
        if position is not None:
            self.list_view.setCurrentIndex(self.list_model.index(position))
        if self.current != conversation_id:
            self.open_conversation(conversation_id)
        self.raise_()
        self.activateWindow()

    def open_search(self) -> None:
        """H14.3: one search window, kept; it opens on the current customer when there is one."""
        if self.search_dialog is None:
            self.search_dialog = make_search_dialog(self.ws, self.workers, self.tr_, self)
            self.search_dialog.open_requested.connect(self.open_conversation)
        if self.current_row is not None:
            self.search_dialog.limit_to_customer(self.current_row.customer_id,
                                                 self.current_row.nickname)
        self.search_dialog.show()
        self.search_dialog.raise_()
        self.search_dialog.text.setFocus()

    def presence_chosen_elsewhere(self, status: str) -> None:
        """The tray's status menu: the same as the status bar's."""
        self._presence_chosen(status)

    def _presence_chosen(self, status: str) -> None:
        if status == "away":
            self.away_requested.emit()
        else:
            self.presence_requested.emit(status)

    def show_auto_login(self, on: bool) -> None:
        """The auto-login item shows what is in force (also after the session refused it)."""
        self.auto_login.blockSignals(True)
        self.auto_login.setChecked(on)
        self.auto_login.blockSignals(False)

    def show_presence(self, status: str) -> None:
        """Shows the status the session flow has set (after login, lock, idle, unlock)."""
        self.presence_status = status
        self.status.show_presence(status)
        if self.alerts is not None:
            self.alerts.set_presence(status)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.chat_panel.flush_draft()
        if self.config is not None:
            self.config.set("window_geometry", bytes(self.saveGeometry().toBase64()).decode())
            self.config.set("window_splitter",
                            bytes(self.splitter.saveState().toBase64()).decode())
        self.closed = True
        if self.window_prefs is not None:
            self.window_prefs.close()
        if self.alerts is not None:
            self.alerts.close()
        self._tick.stop()
        super().closeEvent(event)

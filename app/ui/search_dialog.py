"""Chat-record search (H14.3): text as you type, filters by agent, customer, time and tag."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import Tr
from app.services.colleagues import Colleague
from app.services.customers import Tag
from app.services.search import SearchHit, SearchQuery
from app.services.workstation import Workstation
from app.workers import Workers

log = logging.getLogger(__name__)

PERIODS = ("all", "today", "week", "month")
_DAYS = {"today": 0, "week": 7, "month": 30}


class SearchDialog(QDialog):
    """Local results at once; older history the cache does not hold on the server (button)."""

    open_requested = Signal(str)
    """A conversation id to open in the main window."""

    def __init__(self, tr: Tr, *, local: Callable[[SearchQuery], Awaitable[list[SearchHit]]],
                 remote: Callable[[SearchQuery, str | None],
                                  Awaitable[tuple[list[SearchHit], str | None]]],
                 colleagues: list[Colleague], tags: tuple[Tag, ...], parent: QWidget) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.local = local
        self.remote = remote
        self.remote_next: str | None = None
        self._generation = 0
        self.setWindowTitle(tr("search.title"))
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("search.placeholder"))
        self.text.setClearButtonEnabled(True)
        self.agent = QComboBox()
        self.agent.addItem(tr("search.any_agent"), None)
        for person in colleagues:
            self.agent.addItem(person.name, person.id)
        self.period = QComboBox()
        for period in PERIODS:
            self.period.addItem(tr(f"search.period.{period}"), period)
        self.tag = QComboBox()
        self.tag.addItem(tr("search.any_tag"), None)
        for tag in tags:
            self.tag.addItem(tag.path, tag.id)
        self.customer_id: str | None = None
        self.only_customer = QPushButton("")
        self.only_customer.setCheckable(True)
        self.only_customer.setProperty("flat", True)
        self.only_customer.hide()
        self.results = QListWidget()
        self.results.setWordWrap(True)
        self.results.itemActivated.connect(self._open)
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.more = QPushButton(tr("search.server"))
        self.more.clicked.connect(self._search_server)
        filters = QHBoxLayout()
        for widget in (self.agent, self.period, self.tag, self.only_customer):
            filters.addWidget(widget)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.more)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(filters)
        layout.addWidget(self.results, 1)
        layout.addLayout(bottom)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self._search)
        self.text.textChanged.connect(lambda _t: self._debounce.start())
        for combo in (self.agent, self.period, self.tag):
            combo.activated.connect(lambda _i: self._search())
        self.only_customer.toggled.connect(lambda _on: self._search())
        self.resize(640, 560)

    def limit_to_customer(self, customer_id: str, nickname: str) -> None:
        """Offers 'only this customer' (the open conversation's), switched on."""
        self.customer_id = customer_id
        self.only_customer.setText(self.tr_("search.only_customer", name=nickname))
        self.only_customer.show()

    def query(self) -> SearchQuery:
        period = self.period.currentData()
        since = None
        if period in _DAYS:
            today = dt.datetime.now().astimezone().replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
            since = (today - dt.timedelta(days=_DAYS[period])).astimezone(dt.UTC)
        return SearchQuery(
            text=self.text.text(), agent_id=self.agent.currentData(), since=since,
            tag_id=self.tag.currentData(),
            customer_id=self.customer_id if self.only_customer.isChecked() else None)

    @asyncSlot()
    async def _search(self) -> None:
        query = self.query()
        self._generation += 1
        generation = self._generation
        self.remote_next = None
        if not query.text.strip() and not (query.agent_id or query.customer_id or query.tag_id):
            self.results.clear()
            self.status.setText("")
            return
        try:
            hits = await self.local(query)
        except Exception as exc:  # an agent never sees a traceback
            log.warning("local search failed: %s", type(exc).__name__)
            self.status.setText(self.tr_("search.failed"))
            return
        if generation != self._generation:
            return  # the agent typed on
        self.results.clear()
        self._add(hits)
        self.status.setText(self.tr_("search.local_count", count=len(hits)))

    @asyncSlot()
    async def _search_server(self) -> None:
        query = self.query()
        if not query.text.strip():
            self.status.setText(self.tr_("search.server_needs_text"))
            return
        self.more.setEnabled(False)
        try:
            hits, self.remote_next = await self.remote(query, self.remote_next)
        except Exception as exc:  # offline, refused …: said, not raised
            log.info("server search failed: %s", type(exc).__name__)
            self.status.setText(self.tr_("search.server_failed"))
            return
        finally:
            self.more.setEnabled(True)
        known = {self.results.item(i).data(Qt.ItemDataRole.UserRole + 1)
                 for i in range(self.results.count())}
        fresh = [h for h in hits if h.message_id not in known]
        self._add(fresh)
        self.status.setText(self.tr_("search.server_count", count=len(fresh)))

    def _add(self, hits: list[SearchHit]) -> None:
        tr = self.tr_
        for hit in hits:
            when = hit.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if hit.created_at else ""
            if hit.kind == "customer":
                text = tr("search.hit_customer", name=hit.customer_nickname, time=when)
            else:
                text = tr("search.hit_message", name=hit.customer_nickname, time=when,
                          who=tr(f"search.sender.{hit.sender or 'customer'}"), text=hit.text)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, hit.conversation_id)
            item.setData(Qt.ItemDataRole.UserRole + 1, hit.message_id)
            self.results.addItem(item)

    def _open(self, item: QListWidgetItem) -> None:
        conversation_id = item.data(Qt.ItemDataRole.UserRole)
        if conversation_id:
            self.open_requested.emit(conversation_id)


def make_search_dialog(ws: Workstation, workers: Workers, tr: Tr,
                       parent: QWidget) -> SearchDialog:
    """The dialog over this session's cache (net workers) and the server's older history."""

    async def local(query: SearchQuery) -> list[SearchHit]:
        return await workers.in_net(ws.search.search, query)

    async def remote(query: SearchQuery, before: str | None) -> tuple[list[SearchHit], str | None]:
        page = await workers.in_net(ws.search_server, query, before)
        return list(page.hits), page.next

    return SearchDialog(tr, local=local, remote=remote,
                        colleagues=ws.colleagues.all(include_me=True),
                        tags=ws.customers.tag_library(), parent=parent)

"""The 知识库 tab's widgets: suggested replies, search, filter, results, full body, edit buttons."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.knowledge import KbHit, KnowledgeService
from app.ui.category_filter import refill_categories
from app.ui.handover_dialog import local_time
from app.ui.kb_editor import KbTools, RefusalList
from app.ui.kb_models import KbHitModel

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class SuggestionStrip(QGroupBox):
    """建议回复 (H9): up to three entries matched on the customer's last message."""

    insert_requested = Signal(str)
    """The body of the suggestion the agent clicked."""
    entry_used = Signal(str)
    """Its entry id, just before (the use count, H9.1)."""

    def __init__(self, tr: Tr) -> None:
        super().__init__(tr("kb.suggested"))
        self.tr_ = tr
        self.hits: tuple[KbHit, ...] = ()
        self.empty = QLabel(tr("kb.suggested_none"))
        self.empty.setWordWrap(True)
        self.buttons: list[QPushButton] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addWidget(self.empty)
        for n in range(MAX_SUGGESTIONS):
            button = QPushButton()
            button.setFlat(True)
            button.setStyleSheet("text-align: left")
            button.clicked.connect(lambda _checked=False, n=n: self._clicked(n))
            button.hide()
            layout.addWidget(button)
            self.buttons.append(button)

    def show_hits(self, hits: tuple[KbHit, ...]) -> None:
        self.hits = tuple(hits[:MAX_SUGGESTIONS])
        for n, button in enumerate(self.buttons):
            hit = self.hits[n] if n < len(self.hits) else None
            button.setVisible(hit is not None)
            if hit is not None:
                button.setText(self.tr_("kb.suggestion", title=hit.title))
                button.setToolTip(hit.body)
        self.empty.setVisible(not self.hits)

    def titles(self) -> list[str]:
        return [h.title for h in self.hits]

    def _clicked(self, n: int) -> None:
        if n < len(self.hits):
            self.entry_used.emit(self.hits[n].id)
            self.insert_requested.emit(self.hits[n].body)


class KbPanel(QWidget):
    """Reads go to the KnowledgeService directly (an in-memory index over the local cache)."""

    insert_requested = Signal(str)
    """An entry's body, for the composer."""
    entry_used = Signal(str)
    """The inserted entry's id, just before its body (the use count, H9.1)."""

    def __init__(self, tr: Tr, knowledge: KnowledgeService,
                 name_of: Callable[[str], str] = str) -> None:
        super().__init__()
        self.tr_ = tr
        self.knowledge = knowledge
        self.name_of = name_of
        """Employee id -> how the agent reads who changed an entry."""
        self.suggestions = SuggestionStrip(tr)
        self.suggestions.entry_used.connect(self.entry_used)
        self.suggestions.insert_requested.connect(self.insert_requested)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("kb.search_hint"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self.refresh())
        self.search.installEventFilter(self)
        self.category = QComboBox()
        self.category.currentIndexChanged.connect(lambda _i: self.refresh())
        self.model = KbHitModel(tr)
        self.results = QListView()
        self.results.setModel(self.model)
        self.results.setWordWrap(True)
        self.results.setUniformItemSizes(False)
        self.results.setAlternatingRowColors(True)
        self.results.selectionModel().currentChanged.connect(lambda _c, _p: self._show_body())
        self.results.doubleClicked.connect(lambda _i: self.insert_current())
        self.results.installEventFilter(self)
        self.count = QLabel("")
        self.body = QPlainTextEdit()
        self.body.setReadOnly(True)
        self.body.setPlaceholderText(tr("kb.pick"))
        self.insert = QPushButton(tr("kb.insert"))
        self.insert.setToolTip(tr("kb.insert_tip"))
        self.insert.setEnabled(False)
        self.insert.clicked.connect(self.insert_current)
        self.changed = QLabel("")
        self.changed.setWordWrap(True)
        self.refusals = RefusalList(tr)
        self.tools = KbTools(tr)
        self.shown_categories: tuple[tuple[str, int], ...] = ()
        self._build_layout()
        self.reload_categories()

    def _build_layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.category)
        below = QWidget()
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(self.body, 1)
        below_layout.addWidget(self.changed)
        row = QHBoxLayout()
        row.addWidget(self.count, 1)
        row.addWidget(self.insert)
        below_layout.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.results)
        split.addWidget(below)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.suggestions)
        layout.addLayout(filters)
        layout.addWidget(self.tools)
        layout.addWidget(self.refusals)
        layout.addWidget(split, 1)

    # ---- reading the service ------------------------------------------------------------------

    def reload_categories(self) -> None:
        """全部 first, then the cached categories; the chosen one stays chosen if it remains."""
        try:
            categories = self.knowledge.categories()
        except Exception:  # the agent sees a line, never a traceback
            log.exception("kb categories")
            categories = ()
        self.shown_categories = categories
        refill_categories(self.category, self.tr_("kb.all"), [
            (self.tr_("kb.category_item", category=name, count=count), name)
            for name, count in categories])
        self.refresh()

    def refresh(self) -> None:
        """Runs the search again (as the agent types, on a filter change, after a sync)."""
        kept = self.current_hit()
        try:
            hits = self.knowledge.search(self.search.text(), category=self.category.currentData(),
                                         limit=50)
            self.count.setText(self.tr_("kb.count", count=len(hits)) if hits
                               else self.tr_("kb.none"))
        except Exception:
            log.exception("kb search")
            hits = ()
            self.count.setText(self.tr_("kb.unavailable"))
        self.model.set_hits(hits)
        row = self.model.row_of(kept.id) if kept is not None else None
        if hits:
            self.results.selectionModel().setCurrentIndex(
                self.model.index(row if row is not None else 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self._show_body()

    def suggest_for(self, customer_text: str) -> None:
        """Fills 建议回复 from the customer's last message (empty text clears it)."""
        try:
            hits = self.knowledge.suggest(customer_text, MAX_SUGGESTIONS) \
                if customer_text.strip() else ()
        except Exception:
            log.exception("kb suggest")
            hits = ()
        self.suggestions.show_hits(hits)

    # ---- the agent's actions ------------------------------------------------------------------

    def current_hit(self) -> KbHit | None:
        index = self.results.currentIndex()
        return self.model.hit_at(index.row()) if index.isValid() else None

    def insert_current(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            self.entry_used.emit(hit.id)
            self.insert_requested.emit(hit.body)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _show_body(self) -> None:
        hit = self.current_hit()
        self.body.setPlainText(hit.body if hit is not None else "")
        self.insert.setEnabled(hit is not None)
        self.tools.follow(hit)
        if hit is None:
            self.changed.setText("")
        elif hit.pending:
            self.changed.setText(self.tr_("kb.changed_pending"))
        elif hit.updated_by:
            self.changed.setText(self.tr_("kb.changed_by", name=self.name_of(hit.updated_by),
                                          when=local_time(hit.updated_at) or "—"))
        else:
            self.changed.setText(self.tr_("kb.changed_unknown"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter inserts (in the search box and the list); ↓ in the search box goes to the list."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in _ENTER and watched in (self.search, self.results):
                self.insert_current()
                return True
            if event.key() == Qt.Key.Key_Down and watched is self.search and self.model.hits:
                self.results.setFocus()
                return True
        return super().eventFilter(watched, event)

"""The 商品 tab's widgets (H6): search, category filter, the product list, details, promotions."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.products import ProductDetail, ProductService
from app.ui import product_text as text
from app.ui.category_filter import refill_categories
from app.ui.product_detail import ProductDetailView
from app.ui.product_models import ProductListModel
from app.ui.product_promotions import PromotionsPage

log = logging.getLogger(__name__)

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class ProductPanel(QWidget):
    """Reads go to the ProductService directly (short reads of the local cache); 插入 goes out
    as `insert_requested` with the text for the composer."""

    insert_requested = Signal(str)

    def __init__(self, tr: Tr, service: ProductService) -> None:
        super().__init__()
        self.tr_ = tr
        self.service = service
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("products.search_hint"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self.refresh())
        self.search.installEventFilter(self)
        self.category = QComboBox()
        self.category.currentIndexChanged.connect(lambda _i: self.refresh())
        self.model = ProductListModel(tr, service.rows)
        self.results = QListView()
        self.results.setModel(self.model)
        self.results.setUniformItemSizes(True)  # thousands of rows lay out at once
        self.results.setAlternatingRowColors(True)
        self.results.selectionModel().currentChanged.connect(lambda _c, _p: self.show_current())
        self.results.doubleClicked.connect(lambda _i: self.insert_current())
        self.results.installEventFilter(self)
        self.count = QLabel("")
        self.detail = ProductDetailView(tr)
        self.insert = QPushButton(tr("products.insert"))
        self.insert.setToolTip(tr("products.insert_tip"))
        self.insert.setEnabled(False)
        self.insert.clicked.connect(self.insert_current)
        self.promotions = PromotionsPage(tr)
        self.promotions.insert_requested.connect(self.insert_requested)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.shown_categories: tuple[tuple[str, int], ...] = ()
        self._build_layout()
        self.reload_categories()
        self.refresh_promotions()

    def _build_layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.category)
        below = QWidget()
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(self.detail, 1)
        row = QHBoxLayout()
        row.addWidget(self.count, 1)
        row.addWidget(self.insert)
        below_layout.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.results)
        split.addWidget(below)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        products = QWidget()
        layout = QVBoxLayout(products)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        self.pages.addTab(products, self.tr_("products.page_list"))
        self.pages.addTab(self.promotions, self.tr_("products.page_promotions", count=0))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(self.pages, 1)
        QWidget.setTabOrder(self.search, self.category)
        QWidget.setTabOrder(self.category, self.results)
        QWidget.setTabOrder(self.results, self.insert)

    # ---- reading the service ------------------------------------------------------------------

    def reload_categories(self) -> None:
        """全部分类 first, then the cached categories; the chosen one stays if it remains."""
        try:
            categories = self.service.categories()
        except Exception:  # the agent sees a line, never a traceback
            log.exception("product categories")
            categories = ()
        self.shown_categories = categories
        refill_categories(self.category, self.tr_("products.all_categories"), [
            (self.tr_("products.category_item", count=count,
                      category=name or self.tr_("products.no_category")), name)
            for name, count in categories])
        self.refresh()

    def refresh(self) -> None:
        """Runs the search again (as the agent types, on a filter change, after a sync); the
        selected product stays selected while it still matches, else the first row is."""
        kept = self.current_id()
        try:
            ids = self.service.search(self.search.text(), category=self.category.currentData())
            self.count.setText(self.tr_("products.count", count=len(ids)) if ids
                               else self.tr_("products.none"))
        except Exception:
            log.exception("product search")
            ids = ()
            self.count.setText(self.tr_("products.unavailable"))
        self.model.set_ids(ids)
        row = self.model.row_of(kept) if kept is not None else None
        if ids:
            self.results.selectionModel().setCurrentIndex(
                self.model.index(row if row is not None else 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.show_current()

    def refresh_promotions(self) -> None:
        """当前活动: every promotion in force now (the clock moves them in and out too)."""
        try:
            promotions = self.service.promotions_now()
        except Exception:
            log.exception("promotions now")
            promotions = ()
        self.promotions.show_promotions(promotions)
        self.pages.setTabText(1, self.tr_("products.page_promotions", count=len(promotions)))

    def show_current(self) -> None:
        """Reads the selected product's detail again (stock, offers in force now)."""
        product_id = self.current_id()
        detail: ProductDetail | None = None
        if product_id is not None:
            try:
                detail = self.service.detail(product_id)
            except Exception:
                log.exception("product detail")
        self.detail.show_detail(detail)
        self.insert.setEnabled(detail is not None)

    # ---- the agent's actions ------------------------------------------------------------------

    def current_id(self) -> str | None:
        index = self.results.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def insert_current(self) -> None:
        detail = self.detail.shown
        if detail is not None:
            self.insert_requested.emit(text.summary(self.tr_, detail))

    def focus_search(self) -> None:
        self.pages.setCurrentIndex(0)
        self.search.setFocus()
        self.search.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter inserts (in the search box and the list); ↓ in the search box goes to the list."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in _ENTER and watched in (self.search, self.results):
                self.insert_current()
                return True
            if event.key() == Qt.Key.Key_Down and watched is self.search and self.model.ids:
                self.results.setFocus()
                return True
        return super().eventFilter(watched, event)

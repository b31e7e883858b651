"""One product in the 商品 tab (H6): price, stock state, specs as a table, offers in force."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.products import ProductDetail
from app.ui import product_text as text

STOCK_COLOURS = {"low": "#b9770e", "out": "#c0392b"}
"""Stock states worth the agent's eye before promising a delivery."""


def _label(object_name: str, *, bold: bool = False) -> QLabel:
    label = QLabel("")
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


class ProductDetailView(QScrollArea):
    """Draws what the panel hands it; reads nothing itself."""

    def __init__(self, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.shown: ProductDetail | None = None
        self.title = _label("productTitle", bold=True)
        self.meta = _label("productMeta")
        self.price = _label("productPrice", bold=True)
        self.stock = _label("productStock")
        self.specs = QTableWidget(0, 2)
        self.specs.setHorizontalHeaderLabels([tr("products.spec_name"), tr("products.spec_value")])
        self.specs.verticalHeader().hide()
        self.specs.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.specs.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.specs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.specs.setWordWrap(True)
        header = self.specs.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.offers_title = _label("productOffersTitle", bold=True)
        self.offers_title.setText(tr("products.offers_title"))
        self.offers = _label("productOffers")
        self.best = _label("productBest", bold=True)
        self.own = _label("productOwnPromotion")
        self.empty = _label("productEmpty")
        self.empty.setText(tr("products.pick"))
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (self.empty, self.title, self.meta, self.price, self.stock, self.specs,
                       self.offers_title, self.best, self.offers, self.own):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.show_detail(None)

    def show_detail(self, detail: ProductDetail | None) -> None:
        tr = self.tr_
        self.shown = detail
        self.empty.setVisible(detail is None)
        for widget in (self.title, self.meta, self.price, self.stock, self.specs,
                       self.offers_title, self.offers, self.best, self.own):
            widget.setVisible(detail is not None)
        if detail is None:
            return
        row = detail.row
        self.title.setText(row.name)
        self.meta.setText(tr("products.meta", sku=row.sku,
                             category=row.category or tr("products.no_category")))
        self.price.setText(tr("products.price", price=text.money(tr, row.price_cents)))
        self.stock.setText(text.stock(tr, row))
        colour = STOCK_COLOURS.get(row.stock_state)
        self.stock.setStyleSheet(f"color: {colour};" if colour else "")
        self._fill_specs(detail)
        self.offers.setText("\n\n".join(text.offer_lines(tr, o, row.price_cents)
                                        for o in detail.offers)
                            or tr("products.offers_none"))
        self.best.setText(text.best(tr, detail))
        self.best.setVisible(bool(self.best.text()))
        self.own.setText(tr("products.own_promotion", promotion=row.promotion.strip())
                         if row.promotion.strip() else "")
        self.own.setVisible(bool(self.own.text()))

    def _fill_specs(self, detail: ProductDetail) -> None:
        self.specs.setRowCount(len(detail.specs))
        for n, (name, value) in enumerate(detail.specs):
            self.specs.setItem(n, 0, QTableWidgetItem(name))
            self.specs.setItem(n, 1, QTableWidgetItem(value))
        self.specs.resizeRowsToContents()
        height = self.specs.horizontalHeader().height() + 2 * self.specs.frameWidth() + sum(
            self.specs.rowHeight(n) for n in range(self.specs.rowCount()))
        self.specs.setFixedHeight(height)
        if not detail.specs:
            self.specs.hide()

    def spec_rows(self) -> list[tuple[str, str]]:
        """The table as the agent reads it (for tests and accessibility checks)."""
        return [(self.specs.item(n, 0).text(), self.specs.item(n, 1).text())
                for n in range(self.specs.rowCount())]

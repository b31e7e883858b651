"""当前活动 in the 商品 tab (H6): every promotion in force for the shop, to read out or insert."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.product_offers import Promotion
from app.ui import product_text as text

ID_ROLE = Qt.ItemDataRole.UserRole
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class PromotionsPage(QWidget):
    """The agent's quick answer to 现在有什么活动: the list (ending soonest first), 插入活动 for
    the selected one (Enter, double-click) and 插入全部活动 for all of them."""

    insert_requested = Signal(str)

    def __init__(self, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.shown: tuple[Promotion, ...] = ()
        self.empty = QLabel(tr("products.promotions_none"))
        self.empty.setWordWrap(True)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.itemDoubleClicked.connect(lambda _item: self.insert_current())
        self.list.installEventFilter(self)
        self.insert_one = QPushButton(tr("products.insert_promotion"))
        self.insert_one.setToolTip(tr("products.insert_promotion_tip"))
        self.insert_one.clicked.connect(self.insert_current)
        self.insert_all = QPushButton(tr("products.insert_all"))
        self.insert_all.clicked.connect(self.insert_every)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.insert_one)
        buttons.addWidget(self.insert_all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.show_promotions(())

    def show_promotions(self, promotions: tuple[Promotion, ...]) -> None:
        """Redraws the list; the selected promotion stays selected while it is in force."""
        kept = self.current()
        self.shown = tuple(promotions)
        self.list.clear()
        for promotion in self.shown:
            item = QListWidgetItem(text.promotion_row(self.tr_, promotion))
            item.setData(ID_ROLE, promotion.id)
            item.setToolTip(promotion.rule)
            self.list.addItem(item)
        if self.shown:
            ids = [p.id for p in self.shown]
            self.list.setCurrentRow(ids.index(kept.id) if kept is not None and kept.id in ids
                                    else 0)
        self.empty.setVisible(not self.shown)
        self.insert_one.setEnabled(bool(self.shown))
        self.insert_all.setEnabled(bool(self.shown))

    def current(self) -> Promotion | None:
        row = self.list.currentRow()
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def names(self) -> list[str]:
        return [p.name for p in self.shown]

    def insert_current(self) -> None:
        promotion = self.current()
        if promotion is not None:
            self.insert_requested.emit(text.promotion_sentence(self.tr_, promotion))

    def insert_every(self) -> None:
        if self.shown:
            self.insert_requested.emit(text.promotions_summary(self.tr_, self.shown))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the list inserts the selected promotion."""
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in _ENTER and watched is self.list):
            self.insert_current()
            return True
        return super().eventFilter(watched, event)

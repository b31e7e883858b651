"""The tag-library manager (H4.3): the three-level tree, add / rename / delete as queued intents."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import Tr
from app.services.tag_library import (
    REFUSAL_CODES,
    TagLibrary,
    TagLibraryService,
    TagNode,
    TagRefused,
)
from app.ui.modal import finished
from app.workers import Workers
from kefu_protocol.shop import TAG_MAX_LEVEL

log = logging.getLogger(__name__)
NAME_MAX = 60


class TagLibraryDialog(QDialog):
    """Every change is queued on the DB worker (works offline), shown pending until the server
    confirms it; a refusal stays listed with the server's reason until dismissed."""

    def __init__(self, service: TagLibraryService, workers: Workers, tr: Tr,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.workers, self.tr_ = service, workers, tr
        self.library = TagLibrary((), ())
        self.items: dict[str, QStandardItem] = {}
        """Tag id -> its name cell (column 0) in `model`."""
        self.prompt: QInputDialog | None = None
        """The name prompt while it is open (tests fill it in)."""
        self.setWindowTitle(tr("taglib.title"))
        self.resize(560, 520)
        self.model = QStandardItemModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setEditTriggers(QTreeView.EditTrigger.NoEditTriggers)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        self.tree.doubleClicked.connect(lambda _index: self.rename.click())
        self.empty = QLabel(tr("taglib.empty"))
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.add_sibling = self._button("taglib.add_sibling", self.on_add_sibling)
        self.add_child = self._button("taglib.add_child", self.on_add_child)
        self.rename = self._button("taglib.rename", self.on_rename)
        self.delete = self._button("taglib.delete", self.on_delete)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.refused_title = QLabel(tr("taglib.refusals"))
        self.refused = QListWidget()
        self.refused.setMaximumHeight(96)
        self.dismiss = self._button("taglib.dismiss", self.on_dismiss)
        self._layout()
        self.refresh()

    def _button(self, key: str, slot: Callable[[], Any]) -> QPushButton:
        button = QPushButton(self.tr_(key))
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def _layout(self) -> None:
        intro = QLabel(self.tr_("taglib.intro"))
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        actions = QHBoxLayout()
        for button in (self.add_sibling, self.add_child, self.rename, self.delete):
            actions.addWidget(button)
        actions.addStretch(1)
        close = self._button("taglib.close", self.accept)
        actions.addWidget(close)
        refusals = QHBoxLayout()
        refusals.addWidget(self.refused, 1)
        refusals.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.refused_title)
        layout.addLayout(refusals)
        layout.addWidget(self.status)
        layout.addLayout(actions)

    # ---- showing ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-reads the tree (after a page, an ack or a change queued here); keeps the current
        tag and the expanded state."""
        try:
            self.library = self.service.library()
        except Exception:
            log.exception("tag library: reading")
            self.status.setText(self.tr_("error.unexpected"))
            return
        keep = self.current_id()
        self.model.clear()
        self.model.setHorizontalHeaderLabels([self.tr_("taglib.col.name"),
                                              self.tr_("taglib.col.customers"),
                                              self.tr_("taglib.col.state")])
        items: dict[str, QStandardItem] = {}
        for node in self.library.nodes:
            row = [QStandardItem(node.name), QStandardItem(str(node.customers)),
                   QStandardItem(self._state(node))]
            row[0].setData(node.id, Qt.ItemDataRole.UserRole)
            row[0].setToolTip(node.path)
            row[1].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if node.pending:
                font = row[0].font()
                font.setItalic(True)
                row[0].setFont(font)
            for cell in row:
                cell.setEditable(False)
            parent = items.get(node.parent_id or "")
            (parent or self.model.invisibleRootItem()).appendRow(row)
            items[node.id] = row[0]
        self.items = items
        self.tree.expandAll()
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        if keep in items:
            self.tree.setCurrentIndex(items[keep].index())
        self.empty.setVisible(not self.library.nodes)
        self.refused.clear()
        for refusal in self.library.refusals:
            self.refused.addItem(self.tr_(f"taglib.refusal.{refusal.action}",
                                          name=refusal.name, reason=refusal.reason))
        for widget in (self.refused_title, self.refused, self.dismiss):
            widget.setVisible(bool(self.library.refusals))
        self._update_buttons()

    def _state(self, node: TagNode) -> str:
        return self.tr_(f"taglib.pending.{node.pending}") if node.pending else ""

    def current_id(self) -> str | None:
        index: QModelIndex = self.tree.currentIndex()
        if not index.isValid():
            return None
        return str(index.siblingAtColumn(0).data(Qt.ItemDataRole.UserRole))

    def cell(self, tag_id: str, column: int) -> str:
        """The text the tree shows for the tag in `column` (0 name, 1 customers, 2 state)."""
        return str(self.items[tag_id].index().siblingAtColumn(column).data() or "")

    def current(self) -> TagNode | None:
        tag_id = self.current_id()
        return self.library.get(tag_id) if tag_id else None

    def select(self, tag_id: str) -> None:
        item = self.items.get(tag_id)
        if item is not None:
            self.tree.setCurrentIndex(item.index())

    def _update_buttons(self) -> None:
        node = self.current()
        live = node is not None and node.pending != "delete"
        self.add_sibling.setEnabled(node is None or live)
        deep = node is not None and node.level >= TAG_MAX_LEVEL
        self.add_child.setEnabled(live and not deep)
        self.add_child.setToolTip(self.tr_("taglib.max_level") if deep else "")
        self.rename.setEnabled(live)
        self.delete.setEnabled(live)

    # ---- changes ------------------------------------------------------------------------------

    @asyncSlot()
    async def on_add_sibling(self) -> None:
        node = self.current()
        parent = self.library.get(node.parent_id) if node and node.parent_id else None
        await self._add(parent)

    @asyncSlot()
    async def on_add_child(self) -> None:
        node = self.current()
        if node is not None:
            await self._add(node)

    async def _add(self, parent: TagNode | None) -> None:
        label = self.tr_("taglib.ask.add_under", parent=parent.path) if parent \
            else self.tr_("taglib.ask.add_top")
        name = await self.ask_name(self.tr_("taglib.ask.add_title"), label, "")
        if name is None:
            return
        new_id = await self._run(self.service.add, parent.id if parent else None, name,
                                 name=name)
        if new_id:
            self.refresh()
            self.select(str(new_id))
            self.status.setText(self.tr_("taglib.done.add", name=name.strip()))

    @asyncSlot()
    async def on_rename(self) -> None:
        node = self.current()
        if node is None:
            return
        name = await self.ask_name(self.tr_("taglib.ask.rename_title"),
                                   self.tr_("taglib.ask.rename", path=node.path), node.name)
        if name is None:
            return
        if await self._run(self.service.rename, node.id, name, name=name):
            self.refresh()
            self.status.setText(self.tr_("taglib.done.rename", name=name.strip()))

    @asyncSlot()
    async def on_delete(self) -> None:
        node = self.current()
        if node is None:
            return
        if node.children:  # refused before asking: the reason, visibly
            self.status.setText(self.tr_("taglib.refused.tag_has_children", name=node.name))
            return
        ask = QMessageBox(QMessageBox.Icon.Question, self.tr_("taglib.confirm.title"),
                          self.tr_("taglib.confirm.delete", path=node.path,
                                   count=node.customers),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        ask.button(QMessageBox.StandardButton.Yes).setText(self.tr_("taglib.delete"))
        ask.button(QMessageBox.StandardButton.Cancel).setText(self.tr_("dialog.cancel"))
        if await finished(ask) != QMessageBox.StandardButton.Yes.value:
            return
        if await self._run(self.service.delete, node.id, name=node.name) is not None:
            self.refresh()
            self.status.setText(self.tr_("taglib.done.delete", name=node.name))

    @asyncSlot()
    async def on_dismiss(self) -> None:
        seqs = [r.seq for r in self.library.refusals]
        if seqs:
            await self._run(self.service.dismiss, seqs, name="")
            self.refresh()

    async def ask_name(self, title: str, label: str, initial: str) -> str | None:
        """A name from a small window-modal prompt; None when cancelled."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        dialog.setLabelText(label)
        dialog.setTextValue(initial)
        dialog.setOkButtonText(self.tr_("taglib.ask.ok"))
        dialog.setCancelButtonText(self.tr_("dialog.cancel"))
        field = dialog.findChild(QLineEdit)
        if field is not None:
            field.setMaxLength(NAME_MAX)
        self.prompt = dialog
        try:
            if await finished(dialog) != QDialog.DialogCode.Accepted.value:
                return None
            return dialog.textValue()
        finally:
            self.prompt = None
            dialog.deleteLater()

    async def _run(self, fn: Callable[..., Any], *args: Any, name: str) -> Any:
        """A write on the DB worker: returns its result (True when it returned None), or None
        after telling why it was refused."""
        try:
            result = await self.workers.in_db(fn, *args)
        except TagRefused as exc:
            key = exc.code if exc.code in REFUSAL_CODES else "invalid_name"
            self.status.setText(self.tr_(f"taglib.refused.{key}", name=name.strip(),
                                         message=exc.message or exc.code))
            return None
        except Exception:
            log.exception("tag library: write")
            self.status.setText(self.tr_("error.unexpected"))
            return None
        return True if result is None else result

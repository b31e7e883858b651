"""The command palette (Ctrl+K): type part of an action's name, Enter runs it (H2.3)."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.commands import BY_ID
from app.i18n import Tr
from app.ui.command_actions import action_keys, is_runnable, key_text

ID_ROLE = Qt.ItemDataRole.UserRole
_HIDDEN = frozenset({"palette.open"})


def _haystack(command_id: str, action: QAction) -> str:
    """The translated name, the Chinese and English names and the id, for substring search."""
    names = [action.text(), command_id]
    command = BY_ID.get(command_id)
    if command is not None:
        names += [Tr("zh")(command.text), Tr("en")(command.text)]
    return " ".join(names).casefold()


class CommandPalette(QDialog):
    """Lists every action with its keys; disabled ones are greyed and cannot be run."""

    def __init__(self, actions: Mapping[str, QAction], tr: Tr,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions = actions
        self.tr_ = tr
        self.setWindowTitle(tr("shortcuts.palette.title"))
        self.resize(560, 440)
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText(tr("shortcuts.palette.filter"))
        self.filter_box.textChanged.connect(self._filter)
        self.filter_box.returnPressed.connect(self.run_current)
        self.list = QTreeWidget()
        self.list.setColumnCount(2)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.itemActivated.connect(lambda _item, _col: self.run_current())
        self.empty = QLabel(tr("shortcuts.palette.empty"))
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_box)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)

    def open_palette(self) -> None:
        """Fresh names, keys and enabled states; empty filter; focus in the filter box."""
        self.list.clear()
        for command_id, action in self.actions.items():
            if command_id in _HIDDEN or not action.isVisible():
                continue
            item = QTreeWidgetItem([action.text(), key_text(action_keys(action), self.tr_)])
            item.setData(0, ID_ROLE, command_id)
            item.setIcon(0, action.icon())
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if not is_runnable(action):
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addTopLevelItem(item)
        self.filter_box.clear()
        self._filter("")
        self.open()
        self.filter_box.setFocus()

    def visible_ids(self) -> list[str]:
        return [item.data(0, ID_ROLE) for item in self._items() if not item.isHidden()]

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(0, ID_ROLE) if item is not None and not item.isHidden() else None

    def run_current(self) -> None:
        """Closes the palette, then triggers the highlighted action if it can run."""
        command_id = self.current_id()
        action = self.actions.get(command_id) if command_id else None
        if action is None or not is_runnable(action):
            return
        self.accept()
        action.trigger()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self._move(1 if event.key() == Qt.Key.Key_Down else -1)
            return
        super().keyPressEvent(event)

    def _items(self) -> list[QTreeWidgetItem]:
        return [self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount())]

    def _runnable_visible(self) -> list[QTreeWidgetItem]:
        return [item for item in self._items()
                if not item.isHidden() and item.flags() & Qt.ItemFlag.ItemIsEnabled]

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for item in self._items():
            command_id = item.data(0, ID_ROLE)
            item.setHidden(bool(needle) and needle not in _haystack(command_id,
                                                                     self.actions[command_id]))
        choices = self._runnable_visible()
        if choices:
            self.list.setCurrentItem(choices[0])
        else:
            self.list.setCurrentIndex(QModelIndex())
        self.empty.setVisible(not self.visible_ids())

    def _move(self, step: int) -> None:
        choices = self._runnable_visible()
        if not choices:
            return
        current = self.list.currentItem()
        index = choices.index(current) + step if current in choices else 0
        self.list.setCurrentItem(choices[max(0, min(index, len(choices) - 1))])

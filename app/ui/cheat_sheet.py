"""The cheat sheet (Ctrl+/): every action's keys in force, grouped by where they apply (H2.3)."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.commands import BY_ID, CONTEXTS
from app.i18n import Tr
from app.ui.command_actions import action_keys, key_text

ID_ROLE = Qt.ItemDataRole.UserRole


class CheatSheet(QDialog):
    """Read-only and filterable; the keys come from the actions, so it shows what works now."""

    def __init__(self, actions: Mapping[str, QAction], tr: Tr,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions = actions
        self.tr_ = tr
        self.setWindowTitle(tr("shortcuts.cheat.title"))
        self.resize(560, 640)
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText(tr("shortcuts.cheat.filter"))
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.textChanged.connect(self._filter)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([tr("shortcuts.column.name"), tr("shortcuts.column.keys")])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        hint = QLabel(tr("shortcuts.cheat.hint"))
        hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_box)
        layout.addWidget(self.tree, 1)
        layout.addWidget(hint)
        self.refresh()

    def show_sheet(self) -> None:
        """The keys in force right now; Esc closes."""
        self.refresh()
        self.filter_box.clear()
        self.open()
        self.filter_box.setFocus()

    def refresh(self) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for context in CONTEXTS:
            group = QTreeWidgetItem([tr_context(self.tr_, context), ""])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            groups[context] = group
            self.tree.addTopLevelItem(group)
        for command_id, action in self.actions.items():
            command = BY_ID.get(command_id)
            group = groups[command.context if command is not None else "window"]
            item = QTreeWidgetItem([action.text(), key_text(action_keys(action), self.tr_)])
            item.setData(0, ID_ROLE, command_id)
            group.addChild(item)
        self.tree.expandAll()

    def keys_shown(self) -> dict[str, str]:
        """Command id -> the keys as the sheet shows them."""
        shown: dict[str, str] = {}
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for c in range(group.childCount()):
                item = group.child(c)
                shown[item.data(0, ID_ROLE)] = item.text(1)
        return shown

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            visible = 0
            for c in range(group.childCount()):
                item = group.child(c)
                haystack = f"{item.text(0)} {item.text(1)} {item.data(0, ID_ROLE)}".casefold()
                item.setHidden(bool(needle) and needle not in haystack)
                visible += not item.isHidden()
            group.setHidden(visible == 0)


def tr_context(tr: Tr, context: str) -> str:
    return tr(f"shortcuts.context.{context}")

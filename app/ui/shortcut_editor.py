"""The 快捷键 page: every command with its keys, capture a new one, conflicts refused (H2.3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.commands import BY_ID, COMMANDS
from app.i18n import Tr
from app.keymap import Conflict, check_assignment, clean_keys, default_keys, effective_keys
from app.ui.command_actions import key_text, portable_key

ID_ROLE = Qt.ItemDataRole.UserRole


def conflict_text(tr: Tr, conflict: Conflict) -> str:
    """Why a key was refused, naming the command that has it and where that one applies."""
    name = tr(BY_ID[conflict.command_id].text) if conflict.command_id in BY_ID else ""
    if conflict.reason == "taken":
        return tr("shortcuts.conflict.taken", shortcut=key_text([conflict.key], tr),
                  other=tr(BY_ID[conflict.other_id].text),
                  context=tr(f"shortcuts.context.{conflict.other_context}"))
    if conflict.reason in ("reserved", "invalid"):
        return tr(f"shortcuts.conflict.{conflict.reason}", shortcut=conflict.key)
    if conflict.reason == "read_only":
        return tr("shortcuts.conflict.read_only", name=name)
    return tr("shortcuts.conflict.too_many")


def _searchable(command_id: str) -> str:
    text = BY_ID[command_id].text
    return " ".join((Tr("zh")(text), Tr("en")(text), command_id)).casefold()


class ShortcutEditor(QWidget):
    """Embeddable in the settings dialog. Holds the agent's overrides (only what differs from
    the defaults; ids this version does not know are kept untouched for the version that
    does) and emits `changed` after each accepted edit."""

    changed = Signal()

    def __init__(self, tr: Tr, overrides: Mapping[str, Sequence[str]], send_key: str,
                 locked_reason: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.send_key = send_key
        self.locked = locked_reason is not None
        self._overrides: dict[str, tuple[str, ...]] = {}
        self._foreign: dict[str, list[str]] = {}
        self.locked_label = QLabel(tr("shortcuts.locked", reason=locked_reason or ""))
        self.locked_label.setWordWrap(True)
        self.locked_label.setObjectName("banner")
        self.locked_label.setVisible(locked_reason is not None)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("shortcuts.search"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.table = QTableWidget(len(COMMANDS), 3)
        self.table.setHorizontalHeaderLabels([tr("shortcuts.column.name"),
                                              tr("shortcuts.column.context"),
                                              tr("shortcuts.column.keys")])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for row, command in enumerate(COMMANDS):
            name = QTableWidgetItem(tr(command.text))
            name.setData(ID_ROLE, command.id)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(tr(f"shortcuts.context.{command.context}")))
            self.table.setItem(row, 2, QTableWidgetItem(""))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.capture = QKeySequenceEdit()
        self.capture.setMaximumSequenceLength(1)
        self.capture.setToolTip(tr("shortcuts.capture"))
        self.capture.editingFinished.connect(self._captured)
        self.clear_button = QPushButton(tr("shortcuts.clear"))
        self.clear_button.clicked.connect(lambda: self._with_current(self.clear_keys))
        self.reset_button = QPushButton(tr("shortcuts.reset_one"))
        self.reset_button.clicked.connect(lambda: self._with_current(self.reset))
        self.reset_all_button = QPushButton(tr("shortcuts.reset_all"))
        self.reset_all_button.clicked.connect(self.reset_all)
        self.note = QLabel(tr("shortcuts.capture_help"))
        self.note.setWordWrap(True)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("hint")
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(tr("shortcuts.capture")))
        buttons.addWidget(self.capture, 1)
        for button in (self.clear_button, self.reset_button, self.reset_all_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (self.locked_label, self.search, self.table):
            layout.addWidget(widget, 1 if widget is self.table else 0)
        layout.addLayout(buttons)
        layout.addWidget(self.note)
        layout.addWidget(self.message)
        self.set_overrides(overrides)
        if self.locked:
            for widget in (self.search, self.table, self.capture, self.clear_button,
                           self.reset_button, self.reset_all_button):
                widget.setEnabled(False)
        self.table.selectRow(0)

    # ---- the model --------------------------------------------------------------------------

    def overrides(self) -> dict[str, list[str]]:
        """Only the commands whose keys differ from the defaults (the `shortcuts` setting)."""
        mine = {cid: list(keys) for cid, keys in self._overrides.items()}
        return {**{k: list(v) for k, v in self._foreign.items()}, **mine}

    def set_overrides(self, overrides: Mapping[str, Sequence[str]]) -> None:
        self._overrides, self._foreign = {}, {}
        for command_id, keys in overrides.items():
            command = BY_ID.get(command_id)
            if command is None:
                self._foreign[command_id] = [k for k in keys if isinstance(k, str)]
            elif command.context != "composer":
                self._store(command_id, clean_keys([k for k in keys if isinstance(k, str)]))
        self._refresh()

    def value(self) -> dict[str, list[str]]:
        """The settings dialog's page protocol (PageEditor): the `shortcuts` value."""
        return self.overrides()

    def set_value(self, value: Mapping[str, Sequence[str]]) -> None:
        self.set_overrides(value)

    def set_send_key(self, send_key: str) -> None:
        """The 发送键 setting changed: send and new line show their new keys."""
        self.send_key = send_key
        self._refresh()

    def keymap(self) -> dict[str, tuple[str, ...]]:
        return effective_keys(self._overrides, self.send_key)

    def assign(self, command_id: str, keys: Sequence[str]) -> Conflict | None:
        """Gives `command_id` these keys unless they clash; the message says what happened."""
        conflict = check_assignment(self.keymap(), command_id, keys)
        if conflict is not None:
            self.message.setText(conflict_text(self.tr_, conflict))
            return conflict
        self._store(command_id, clean_keys(keys))
        name = self.tr_(BY_ID[command_id].text)
        self.message.setText(self.tr_("shortcuts.assigned", name=name,
                                      shortcut=key_text(clean_keys(keys), self.tr_)) if keys
                             else self.tr_("shortcuts.cleared", name=name))
        self._edited()
        return None

    def clear_keys(self, command_id: str) -> None:
        self.assign(command_id, [])

    def reset(self, command_id: str) -> None:
        if BY_ID[command_id].context == "composer":
            return
        self._overrides.pop(command_id, None)
        name = self.tr_(BY_ID[command_id].text)
        self.message.setText(self.tr_("shortcuts.reset_done", name=name))
        self._edited()

    def reset_all(self) -> None:
        self._overrides, self._foreign = {}, {}
        self.message.setText(self.tr_("shortcuts.reset_all_done"))
        self._edited()

    def select(self, command_id: str) -> None:
        row = next(i for i, c in enumerate(COMMANDS) if c.id == command_id)
        self.table.selectRow(row)

    def current_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).data(ID_ROLE) if rows else None

    # ---- inside -----------------------------------------------------------------------------

    def _store(self, command_id: str, keys: tuple[str, ...]) -> None:
        if keys == clean_keys(default_keys(command_id)):
            self._overrides.pop(command_id, None)
        else:
            self._overrides[command_id] = keys

    def _edited(self) -> None:
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        keymap = self.keymap()
        for row, command in enumerate(COMMANDS):
            self.table.item(row, 2).setText(key_text(keymap[command.id], self.tr_))
            bold = command.id in self._overrides
            font = self.table.item(row, 2).font()
            font.setBold(bold)
            self.table.item(row, 2).setFont(font)
        self._filter(self.search.text())
        self._selection_changed()

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row, command in enumerate(COMMANDS):
            haystack = f"{_searchable(command.id)} {self.table.item(row, 2).text().casefold()}"
            self.table.setRowHidden(row, bool(needle) and needle not in haystack)

    def _selection_changed(self) -> None:
        command_id = self.current_id()
        editable = command_id is not None and BY_ID[command_id].context != "composer"
        for widget in (self.capture, self.clear_button, self.reset_button):
            widget.setEnabled(editable and not self.locked)
        if command_id is not None and not editable:
            self.note.setText(self.tr_("shortcuts.composer_note",
                                       name=self.tr_(BY_ID[command_id].text)))
        else:
            self.note.setText(self.tr_("shortcuts.capture_help"))

    def _with_current(self, do: Callable[[str], None]) -> None:
        command_id = self.current_id()
        if command_id is not None:
            do(command_id)

    def _captured(self) -> None:
        sequence = self.capture.keySequence()
        command_id = self.current_id()
        if sequence.isEmpty() or command_id is None:
            return
        self.capture.clear()
        self.assign(command_id, [portable_key(sequence)])

"""Small dialogs behind the quick actions: note or reason, transfer and tag pickers, warnings."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.colleagues import Colleague
from app.services.customers import Tag
from app.services.sensitive import Finding

TRANSFER_REASONS = ("misrouted", "expertise", "customer_asked", "shift_end", "other")


def sensitive_question(tr: Tr, findings: list[Finding], parent: QWidget) -> QMessageBox:
    """H11.3: says what looks private; the safe choice (go back and edit) is the default."""
    kinds = "、".join(dict.fromkeys(tr(f"sensitive.{f.kind}") for f in findings))
    box = QMessageBox(QMessageBox.Icon.Warning, tr("sensitive.title"),
                      tr("sensitive.question", kinds=kinds),
                      QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, parent)
    box.button(QMessageBox.StandardButton.Ok).setText(tr("sensitive.send"))
    box.button(QMessageBox.StandardButton.Cancel).setText(tr("sensitive.edit"))
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box


def _buttons(dialog: QDialog, tr: Tr, ok_key: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(tr(ok_key))
    box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("dialog.cancel"))
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class TextPrompt(QDialog):
    """One required text (a note, an escalation reason); OK stays off while it is blank."""

    def __init__(self, tr: Tr, *, title: str, label: str, ok_key: str, parent: QWidget,
                 max_chars: int = 500) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.max_chars = max_chars
        self.text = QPlainTextEdit()
        self.text.setFixedHeight(90)
        box = _buttons(self, tr, ok_key)
        self.ok = box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(False)
        self.text.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(label))
        layout.addWidget(self.text)
        layout.addWidget(box)
        self.resize(420, 220)

    def _check(self) -> None:
        value = self.text.toPlainText()
        self.ok.setEnabled(bool(value.strip()) and len(value) <= self.max_chars)

    def value(self) -> str:
        return self.text.toPlainText().strip()


def _enabled(item: QListWidgetItem) -> bool:
    return bool(item.flags() & Qt.ItemFlag.ItemIsEnabled)


class TransferDialog(QDialog):
    """H3.4: pick a colleague (presence and load shown), say why, add a note for them."""

    def __init__(self, tr: Tr, colleagues: list[Colleague], parent: QWidget, *,
                 preselect: str | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.setWindowTitle(tr("transfer.title"))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(tr("transfer.filter"))
        self.people = QListWidget()
        for person in colleagues:
            item = QListWidgetItem(tr("transfer.person", name=person.name, team=person.team,
                                      status=tr(f"status.{person.presence}"), load=person.load))
            item.setData(Qt.ItemDataRole.UserRole, person.id)
            if not person.reachable:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(tr("transfer.offline"))
            self.people.addItem(item)
            if person.id == preselect and person.reachable:
                self.people.setCurrentItem(item)
        self.reason = QComboBox()
        for reason in TRANSFER_REASONS:
            self.reason.addItem(tr(f"transfer.reason.{reason}"), reason)
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("transfer.note_hint"))
        box = _buttons(self, tr, "transfer.ok")
        self.ok = box.button(QDialogButtonBox.StandardButton.Ok)
        form = QFormLayout()
        form.addRow(tr("transfer.reason"), self.reason)
        form.addRow(tr("transfer.note"), self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.people, 1)
        layout.addLayout(form)
        layout.addWidget(QLabel(tr("transfer.customer_told")))
        layout.addWidget(box)
        self.filter.textChanged.connect(self._filter)
        self.filter.installEventFilter(self)
        self.people.currentItemChanged.connect(lambda *_: self._check())
        self.people.itemDoubleClicked.connect(lambda _item: self.ok.isEnabled() and self.accept())
        self._check()
        self.resize(460, 480)

    def _filter(self, text: str) -> None:
        """Narrows the list; typing a name picks the first reachable match (the highlighted
        one), so the keyboard goes name, Enter."""
        for row in range(self.people.count()):
            item = self.people.item(row)
            item.setHidden(bool(text) and text.lower() not in item.text().lower())
        current = self.people.currentItem()
        if text and (current is None or current.isHidden() or not _enabled(current)):
            first = next((item for item in self._visible() if _enabled(item)), None)
            self.people.setCurrentItem(first)
        self._check()

    def _visible(self) -> list[QListWidgetItem]:
        return [self.people.item(row) for row in range(self.people.count())
                if not self.people.item(row).isHidden()]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up and Down in the name filter move through the people, as in the list."""
        if (watched is self.filter and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)):
            rows = [row for row in range(self.people.count())
                    if not self.people.item(row).isHidden()
                    and _enabled(self.people.item(row))]
            if rows:
                current = self.people.currentRow()
                step = 1 if event.key() == Qt.Key.Key_Down else -1
                index = rows.index(current) + step if current in rows else 0
                self.people.setCurrentRow(rows[max(0, min(index, len(rows) - 1))])
            return True
        return super().eventFilter(watched, event)

    def _check(self) -> None:
        item = self.people.currentItem()
        self.ok.setEnabled(item is not None and not item.isHidden() and _enabled(item))

    def choice(self) -> tuple[str, str, str]:
        """(colleague id, reason text, note)."""
        item = self.people.currentItem()
        return (str(item.data(Qt.ItemDataRole.UserRole)) if item else "",
                self.reason.currentText(), self.note.text().strip())


class TagPicker(QDialog):
    """H4.3: the three-level library as a tree; ticked tags are the customer's."""

    def __init__(self, tr: Tr, library: tuple[Tag, ...], chosen: set[str],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("tags.title"))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(tr("tags.filter"))
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        items: dict[str, QTreeWidgetItem] = {}
        for tag in sorted(library, key=lambda t: (t.level, t.path)):
            parent_item = items.get(tag.parent_id or "")
            item = QTreeWidgetItem([tag.name])
            item.setData(0, Qt.ItemDataRole.UserRole, tag.id)
            item.setToolTip(0, tag.path)
            item.setCheckState(0, Qt.CheckState.Checked if tag.id in chosen
                               else Qt.CheckState.Unchecked)
            if parent_item is None:
                self.tree.addTopLevelItem(item)
            else:
                parent_item.addChild(item)
            items[tag.id] = item
        self.items = items
        self.tree.expandAll()
        self.filter.textChanged.connect(self._filter)
        self.filter.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(_buttons(self, tr, "tags.ok"))
        self.resize(380, 460)

    def _filter(self, text: str) -> None:
        for item in self.items.values():
            item.setHidden(False)
        if not text:
            return
        for item in self.items.values():
            if text.lower() not in item.toolTip(0).lower():
                item.setHidden(True)
        for item in self.items.values():  # keep the parents of a match visible
            if not item.isHidden():
                parent = item.parent()
                while parent is not None:
                    parent.setHidden(False)
                    parent = parent.parent()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the filter goes to the first tag that matches it (not a parent kept
        visible for it); Space then ticks it."""
        if (watched is self.filter and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down):
            needle = self.filter.text().lower()
            shown = [item for item in self._in_order() if not item.isHidden()]
            first = next((item for item in shown if needle in item.toolTip(0).lower()
                          and (not needle or needle in item.text(0).lower())), None)
            first = first or next(iter(shown), None)
            if first is not None:
                current = self.tree.currentItem()
                if current is None or current.isHidden():
                    self.tree.setCurrentItem(first)
                self.tree.setFocus()
            return True
        return super().eventFilter(watched, event)

    def _in_order(self) -> list[QTreeWidgetItem]:
        """Every item as the tree shows them, top to bottom."""
        out: list[QTreeWidgetItem] = []

        def walk(item: QTreeWidgetItem) -> None:
            out.append(item)
            for child in range(item.childCount()):
                walk(item.child(child))

        for top in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(top))
        return out

    def chosen(self) -> set[str]:
        return {tid for tid, item in self.items.items()
                if item.checkState(0) == Qt.CheckState.Checked}

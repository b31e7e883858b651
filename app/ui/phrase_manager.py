"""Managing quick phrases (H2.2): personal ones by everyone, team ones by leads."""

from __future__ import annotations

import logging
import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.i18n import Tr
from app.services.phrases import Phrase, PhraseRefused, PhraseService, Scope
from app.ui.phrase_popup import preview
from app.workers import Workers

log = logging.getLogger(__name__)


class PhraseManager(QDialog):
    """A list with search and group filter beside an edit form; writes await the DB worker."""

    changed = Signal()
    """A phrase was queued (added, edited or deleted): views showing phrases may refresh."""

    def __init__(self, service: PhraseService, workers: Workers, tr: Tr,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.workers = workers
        self.tr_ = tr
        self.editing: Phrase | None = None
        self.setWindowTitle(tr("phrases.manager.title"))
        self.resize(760, 480)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("phrases.search"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        self.group_filter = QComboBox()
        self.group_filter.currentIndexChanged.connect(self.refresh)
        self.items = QListWidget()
        self.items.currentItemChanged.connect(self._on_current)
        self.scope = QComboBox()
        self.scope.addItem(tr("phrases.scope.personal"), "personal")
        if service.may_edit_team():
            self.scope.addItem(tr("phrases.scope.team"), "team")
        self.group = QLineEdit()
        self.group.setMaxLength(40)
        self.title = QLineEdit()
        self.title.setMaxLength(60)
        self.text = QPlainTextEdit()
        self.readonly_note = QLabel(tr("phrases.team_readonly"))
        self.readonly_note.setObjectName("hint")
        self.readonly_note.setWordWrap(True)
        self.readonly_note.hide()
        variables = QLabel(tr("phrases.variables", customer="{客户} / {customer}",
                              agent="{客服} / {agent}", order_no="{订单号} / {order_no}"))
        variables.setObjectName("hint")
        variables.setWordWrap(True)
        variables.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.new_button = QPushButton(tr("phrases.new"))
        self.new_button.clicked.connect(self.start_new)
        self.save_button = QPushButton(tr("phrases.save"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton(tr("phrases.delete"))
        self.delete_button.clicked.connect(self.remove)
        close = QPushButton(tr("phrases.close"))
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        self._layout(variables, close)
        self.refresh()
        self.start_new()

    def _layout(self, variables: QLabel, close: QPushButton) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.group_filter)
        left = QVBoxLayout()
        left.addLayout(filters)
        left.addWidget(self.items, 1)
        form = QFormLayout()
        form.addRow(self.tr_("phrases.scope"), self.scope)
        form.addRow(self.tr_("phrases.group"), self.group)
        form.addRow(self.tr_("phrases.title"), self.title)
        form.addRow(self.tr_("phrases.text"), self.text)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        right = QVBoxLayout()
        right.addLayout(form, 1)
        right.addWidget(self.readonly_note)
        right.addWidget(variables)
        right.addWidget(self.status)
        right.addLayout(buttons)
        body = QHBoxLayout(self)
        body.addLayout(left, 2)
        body.addLayout(right, 3)

    def refresh(self) -> None:
        """Re-reads the phrases (also after a sync page touched them); keeps the selection."""
        groups = self.service.groups()
        chosen = self.group_filter.currentData() or ""
        self.group_filter.blockSignals(True)
        self.group_filter.clear()
        self.group_filter.addItem(self.tr_("phrases.all_groups"), "")
        for group in groups:
            self.group_filter.addItem(group, group)
        self.group_filter.setCurrentIndex(max(0, self.group_filter.findData(chosen)))
        self.group_filter.blockSignals(False)
        self.group.setCompleter(QCompleter(list(groups), self.group))
        keep = self.editing.id if self.editing is not None else None
        chosen = self.group_filter.currentData() or ""
        self.items.blockSignals(True)
        self.items.clear()
        for phrase in self.service.phrases(self.search.text()):
            if chosen and phrase.group != chosen:
                continue
            self.items.addItem(self._item(phrase))
            if phrase.id == keep:
                self.items.setCurrentRow(self.items.count() - 1)
        self.items.blockSignals(False)

    def _item(self, phrase: Phrase) -> QListWidgetItem:
        label = self.tr_("phrases.item", title=phrase.title, text=preview(phrase.text, 40)) \
            if phrase.title else preview(phrase.text, 50)
        if phrase.pending:
            label = self.tr_("phrases.item_pending", item=label)
        if phrase.scope == "team":
            label = self.tr_("phrases.team_group", group=label)
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, phrase)
        item.setToolTip(phrase.text)
        return item

    def phrase_ids(self) -> list[str]:
        """The listed phrases' ids, in order (for tests and keyboard checks)."""
        return [self.items.item(i).data(Qt.ItemDataRole.UserRole).id
                for i in range(self.items.count())]

    def _editable(self, phrase: Phrase | None) -> bool:
        return phrase is None or phrase.scope == "personal" or self.service.may_edit_team()

    def _on_current(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        phrase: Phrase = item.data(Qt.ItemDataRole.UserRole)
        self._show(phrase)

    def start_new(self) -> None:
        self.items.setCurrentRow(-1)
        self._show(None)
        self.title.setFocus()

    def _show(self, phrase: Phrase | None) -> None:
        self.editing = phrase
        editable = self._editable(phrase)
        scope = phrase.scope if phrase is not None else "personal"
        self.scope.setCurrentIndex(max(0, self.scope.findData(scope)))
        self.scope.setEnabled(phrase is None and self.scope.count() > 1)
        self.group.setText(phrase.group if phrase else "")
        self.title.setText(phrase.title if phrase else "")
        self.text.setPlainText(phrase.text if phrase else "")
        for field in (self.group, self.title):
            field.setReadOnly(not editable)
        self.text.setReadOnly(not editable)
        self.readonly_note.setVisible(not editable)
        self.save_button.setEnabled(editable)
        self.delete_button.setEnabled(phrase is not None and editable)
        self.status.setText("")

    @asyncSlot()
    async def save(self) -> None:
        text = self.text.toPlainText()
        if not text.strip():
            self.status.setText(self.tr_("phrases.need_text"))
            return
        phrase_id = self.editing.id if self.editing is not None else str(uuid.uuid4())
        scope: Scope = "team" if self.scope.currentData() == "team" else "personal"
        done = await self._run(self.service.upsert, phrase_id=phrase_id, scope=scope,
                               group=self.group.text(), title=self.title.text(), text=text)
        if done:
            self.editing = next((p for p in self.service.phrases() if p.id == phrase_id), None)
            self.refresh()
            self.status.setText(self.tr_("phrases.saved"))

    @asyncSlot()
    async def remove(self) -> None:
        if self.editing is None:
            return
        if await self._run(self.service.delete, self.editing.id):
            self.editing = None
            self.refresh()
            self._show(None)
            self.status.setText(self.tr_("phrases.deleted"))

    async def _run(self, fn: object, *args: object, **kwargs: object) -> bool:
        """Runs a write on the DB worker; a refusal or failure is told, never raised."""
        self.save_button.setEnabled(False)
        try:
            await self.workers.in_db(fn, *args, **kwargs)  # type: ignore[arg-type]
        except PhraseRefused as exc:
            self.status.setText(self.tr_(f"phrases.refused.{exc.reason}"))
            return False
        except Exception:
            log.exception("quick phrase write failed")
            self.status.setText(self.tr_("error.unexpected"))
            return False
        finally:
            self.save_button.setEnabled(self._editable(self.editing))
        self.changed.emit()
        return True

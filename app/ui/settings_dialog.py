"""The settings dialog: one page per group, generated from the declarations, applied live."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.config import Config
from app.i18n import Tr
from app.services.preferences import Preferences
from app.settings import PAGES, SETTINGS, Setting, check_value

Editor = QCheckBox | QComboBox | QSpinBox | QLineEdit | QTimeEdit


class PageEditor(Protocol):
    """A whole-setting editor another module provides (the notification table, the keys)."""

    changed: Signal

    def value(self) -> Any: ...

    def set_value(self, value: Any) -> None: ...


PageFactory = Callable[[Any, "str | None"], QWidget]
"""(current value, lock note or None) -> an editor widget with value()/set_value()/changed."""


def _editor(setting: Setting, tr: Tr, value: Any) -> Editor:
    if setting.type is bool:
        box = QCheckBox()
        box.setChecked(bool(value))
        return box
    if setting.choices:
        combo = QComboBox()
        for choice in setting.choices:
            combo.addItem(tr(f"setting.{setting.key}.{choice}"), choice)
        combo.setCurrentIndex(max(0, combo.findData(value)))
        return combo
    if setting.type is int:
        spin = QSpinBox()
        low, high = setting.bounds or (0, 1_000_000)
        spin.setRange(low, high)
        spin.setValue(int(value))
        spin.setMaximumWidth(120)
        return spin
    if setting.kind == "clock":
        clock = QTimeEdit(QTime.fromString(str(value), "HH:mm"))
        clock.setDisplayFormat("HH:mm")
        clock.setMaximumWidth(120)
        return clock
    return QLineEdit(str(value))


def _value(editor: Editor | QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return editor.currentData()
    if isinstance(editor, QSpinBox):
        return editor.value()
    if isinstance(editor, QTimeEdit):
        return editor.time().toString("HH:mm")
    if isinstance(editor, QLineEdit):
        return editor.text().strip()
    return editor.value()  # type: ignore[attr-defined]


def _set_value(editor: Editor | QWidget, value: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QComboBox):
        editor.setCurrentIndex(max(0, editor.findData(value)))
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    elif isinstance(editor, QTimeEdit):
        editor.setTime(QTime.fromString(str(value), "HH:mm"))
    elif isinstance(editor, QLineEdit):
        editor.setText(str(value))
    else:
        editor.set_value(value)  # type: ignore[attr-defined]


class SettingsDialog(QDialog):
    """Edits the user's settings; Apply and OK put them in force at once (no restart, except
    the language). `changed` collects every key saved while the dialog was open."""

    def __init__(self, prefs: Preferences | Config, tr: Tr, parent: QWidget | None = None, *,
                 pages: Mapping[str, PageFactory] | None = None) -> None:
        super().__init__(parent)
        self.prefs = prefs if isinstance(prefs, Preferences) else Preferences(prefs)
        self.tr_ = tr
        self.changed: set[str] = set()
        self.editors: dict[str, Editor | QWidget] = {}
        self.lock_notes: dict[str, QLabel] = {}
        self.setWindowTitle(tr("settings.title"))
        self.setMinimumSize(640, 480)
        self.tabs = QTabWidget()
        factories = dict(pages or {})
        for page in PAGES:
            shown = [s for s in SETTINGS if s.user and s.page == page
                     and (s.type is not dict or s.key in factories)]
            if shown:
                self.tabs.addTab(self._page(shown, factories), tr(f"settings.page.{page}"))
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Apply
                                   | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setText(tr("settings.apply"))
        self.apply_button.clicked.connect(self.apply)
        self.reset_button = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.reset_button.setText(tr("settings.reset_all"))
        self.reset_button.clicked.connect(self._confirm_reset)
        notes = QLabel(tr("settings.roaming_note") + "\n" + tr("settings.language_note"))
        notes.setObjectName("hint")
        notes.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(notes)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def _page(self, settings: list[Setting], factories: Mapping[str, PageFactory]) -> QWidget:
        body = QWidget()
        form = QFormLayout(body)
        for setting in settings:
            reason = self.prefs.lock_reason(setting.key)
            note_text = None if reason is None else self.tr_(
                f"settings.locked.{reason}", source=str(self.prefs.config.policy.path))
            value = self.prefs.get(setting.key)
            if setting.key in factories:
                editor: Editor | QWidget = factories[setting.key](value, note_text)
            else:
                editor = _editor(setting, self.tr_, value)
                editor.setToolTip(self.tr_(f"setting.{setting.key}.help"))
            self.editors[setting.key] = editor
            row = QVBoxLayout()
            row.addWidget(editor)
            if note_text is not None:
                editor.setEnabled(False)
                note = QLabel(note_text)
                note.setObjectName("hint")
                note.setWordWrap(True)
                editor.setToolTip(note_text)
                self.lock_notes[setting.key] = note
                row.addWidget(note)
            label = self.tr_(f"setting.{setting.key}")
            if setting.roaming:
                label = self.tr_("settings.roaming_mark", label=label)
            if setting.type is dict:
                form.addRow(QLabel(label))
                form.addRow(row)
            else:
                form.addRow(label, row)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        return scroll

    def pending(self) -> dict[str, Any]:
        """The values the agent changed and has not applied yet."""
        values = {}
        for key, editor in self.editors.items():
            if self.prefs.locked(key):
                continue
            value = _value(editor)
            if value != self.prefs.get(key):
                values[key] = value
        return values

    def apply(self) -> bool:
        """Puts the changed values in force; a refused value is named and nothing is saved."""
        values = self.pending()
        try:
            self.prefs.set_many(values)
        except ValueError:
            bad = next((k for k, v in values.items() if not self._valid(k, v)), "")
            self.message.setText(self.tr_("settings.invalid", setting=self.tr_(f"setting.{bad}")))
            if bad in self.editors:
                self.editors[bad].setFocus()
            return False
        self.changed.update(values)
        self.message.setText(self.tr_("settings.applied") if values else "")
        return True

    def _valid(self, key: str, value: Any) -> bool:
        return check_value("dialog", key, value) is None

    def save(self) -> None:
        if self.apply():
            self.accept()

    def _confirm_reset(self) -> None:
        answer = QMessageBox.question(self, self.tr_("settings.reset_all"),
                                      self.tr_("settings.reset_all.confirm"))
        if answer == QMessageBox.StandardButton.Yes:
            self.restore_defaults()

    def restore_defaults(self) -> None:
        """Back to the defaults (or IT's values) for every setting the agent may change."""
        keys = [k for k in self.editors if not self.prefs.locked(k)
                and not self.prefs.is_default(k)]
        self.prefs.reset_many(keys)
        self.changed.update(keys)
        for key, editor in self.editors.items():
            _set_value(editor, self.prefs.get(key))

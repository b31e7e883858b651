"""The settings dialog, generated from the declarations; IT-locked ones greyed with the reason."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.config import Config
from app.i18n import Tr
from app.settings import SETTINGS, Setting

Editor = QCheckBox | QComboBox | QSpinBox | QLineEdit


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
        return spin
    return QLineEdit(str(value))


def _value(editor: Editor) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return editor.currentData()
    if isinstance(editor, QSpinBox):
        return editor.value()
    return editor.text().strip()


class SettingsDialog(QDialog):
    """Edits the user's settings; `changed` lists the keys saved when the dialog closes."""

    def __init__(self, config: Config, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.tr_ = tr
        self.changed: set[str] = set()
        self.editors: dict[str, Editor] = {}
        self.lock_notes: dict[str, QLabel] = {}
        self.setWindowTitle(tr("settings.title"))
        self.setMinimumWidth(560)
        form = QFormLayout()
        for setting in (s for s in SETTINGS if s.user):
            editor = _editor(setting, tr, config.get(setting.key))
            editor.setToolTip(tr(f"setting.{setting.key}.help"))
            self.editors[setting.key] = editor
            row = QVBoxLayout()
            row.addWidget(editor)
            reason = config.lock_reason(setting.key)
            if reason is not None:
                editor.setEnabled(False)
                note = QLabel(tr(f"settings.locked.{reason}", source=str(config.policy.path)))
                note.setObjectName("hint")
                note.setWordWrap(True)
                editor.setToolTip(note.text())
                self.lock_notes[setting.key] = note
                row.addWidget(note)
            form.addRow(tr(f"setting.{setting.key}"), row)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self.restore_defaults)
        note = QLabel(tr("settings.restart_note"))
        note.setObjectName("hint")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def save(self) -> None:
        """Saves what changed; a refused value keeps the dialog open with the reason."""
        for key, editor in self.editors.items():
            if self.config.locked(key):
                continue
            value = _value(editor)
            if value == self.config.get(key):
                continue
            try:
                self.config.set(key, value)
            except ValueError:
                self.message.setText(self.tr_("settings.invalid",
                                              setting=self.tr_(f"setting.{key}")))
                editor.setFocus()
                return
            self.changed.add(key)
        self.accept()

    def restore_defaults(self) -> None:
        """Back to the defaults (or IT's values) for every setting the user may change."""
        for key in self.editors:
            if not self.config.locked(key) and self.config.source(key) == "user":
                self.config.reset(key)
                self.changed.add(key)
        for key, editor in self.editors.items():
            _set_value(editor, self.config.get(key))


def _set_value(editor: Editor, value: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QComboBox):
        editor.setCurrentIndex(max(0, editor.findData(value)))
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    else:
        editor.setText(str(value))

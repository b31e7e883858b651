"""For leads: the team's response standards (H8.1), scripts (H3.6) and shift rules (H1.3, H13.2)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.scripts import ShiftRules
from kefu_protocol.wire import MAX_SCRIPT_CHARS, SCRIPT_FIELDS


class TeamSettingsDialog(QDialog):
    """Edits one team's values; `changes()` gives the team.configure arguments."""

    def __init__(self, tr: Tr, *, team_name: str, first_s: int, complaint_s: int,
                 scripts: dict[str, str], parent: QWidget,
                 rules: ShiftRules | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("team.title", team=team_name))
        self.first = QSpinBox()
        self.first.setRange(5, 3600)
        self.first.setSuffix(tr("team.seconds"))
        self.first.setValue(first_s)
        self.complaint = QSpinBox()
        self.complaint.setRange(30, 86400)
        self.complaint.setSuffix(tr("team.seconds"))
        self.complaint.setValue(complaint_s)
        self.scripts: dict[str, QPlainTextEdit] = {}
        form = QFormLayout()
        form.addRow(tr("team.first_response"), self.first)
        form.addRow(tr("team.complaint_response"), self.complaint)
        self.rules = rules
        """None: the caller has not read the shift rules; they are neither shown nor sent."""
        self.late_lock = QCheckBox(tr("team.late_login_lock"))
        self.late_grace = QSpinBox()
        self.late_grace.setRange(1, 180)
        self.late_grace.setSuffix(tr("team.minutes"))
        self.handover_alert = QSpinBox()
        self.handover_alert.setRange(1, 1440)
        self.handover_alert.setSuffix(tr("team.minutes"))
        if rules is not None:
            self.late_lock.setChecked(rules.late_login_lock)
            self.late_grace.setValue(rules.late_login_grace_min)
            self.handover_alert.setValue(rules.handover_alert_min)
            self.late_lock.toggled.connect(self.late_grace.setEnabled)
            self.late_grace.setEnabled(rules.late_login_lock)
            form.addRow("", self.late_lock)
            form.addRow(tr("team.late_login_grace"), self.late_grace)
            form.addRow(tr("team.handover_alert"), self.handover_alert)
        for key in SCRIPT_FIELDS:
            edit = QPlainTextEdit(scripts.get(key, ""))
            edit.setFixedHeight(56)
            self.scripts[key] = edit
            form.addRow(tr(f"team.script.{key}"), edit)
        self.hint = QLabel(tr("team.fields"))
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        box.button(QDialogButtonBox.StandardButton.Ok).setText(tr("team.save"))
        box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("dialog.cancel"))
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        self.ok = box.button(QDialogButtonBox.StandardButton.Ok)
        for edit in self.scripts.values():
            edit.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(box)
        self.resize(520, 520)

    def _check(self) -> None:
        self.ok.setEnabled(all(len(e.toPlainText()) <= MAX_SCRIPT_CHARS
                               for e in self.scripts.values()))

    def changes(self) -> dict[str, object]:
        values: dict[str, object] = {
            "first_response_s": self.first.value(),
            "complaint_response_s": self.complaint.value(),
            "scripts": {k: e.toPlainText().strip() for k, e in self.scripts.items()}}
        if self.rules is not None:
            values.update(late_login_lock=self.late_lock.isChecked(),
                          late_login_grace_min=self.late_grace.value(),
                          handover_alert_min=self.handover_alert.value())
        return values

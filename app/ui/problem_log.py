"""The agent's problem log (问题登记本, H13.4): add what went wrong, see the lead's review."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.problems import PROBLEM_CATEGORIES, Problem, ProblemService
from app.ui.handover_dialog import local_time

MAX_CHARS = 2000


class ProblemLogDialog(QDialog):
    """Adding asks the window (`add_requested`), which queues it on the DB worker."""

    add_requested = Signal(str, str, object)
    """(text, category, conversation id or None)."""

    def __init__(self, tr: Tr, service: ProblemService, *, conversation_id: str | None,
                 conversation_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.service = service
        self.conversation_id = conversation_id
        self.setWindowTitle(tr("problem.title"))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(tr("problem.text_hint"))
        self.text.setFixedHeight(90)
        self.category = QComboBox()
        for category in PROBLEM_CATEGORIES:
            self.category.addItem(tr(f"problem.category.{category}"), category)
        self.link = QCheckBox(tr("problem.link", name=conversation_name))
        self.link.setEnabled(conversation_id is not None)
        self.link.setChecked(conversation_id is not None)
        self.add = QPushButton(tr("problem.add"))
        self.add.setEnabled(False)
        self.text.textChanged.connect(self._check)
        self.add.clicked.connect(self._add)
        self.entries = QListWidget()
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("problem.category")))
        row.addWidget(self.category)
        row.addWidget(self.link, 1)
        row.addWidget(self.add)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addWidget(QLabel(tr("problem.mine")))
        layout.addWidget(self.entries, 1)
        close = QPushButton(tr("handover.close"))
        close.clicked.connect(self.accept)
        layout.addWidget(close)
        self.resize(560, 520)
        self.refresh()

    def _check(self) -> None:
        value = self.text.toPlainText()
        self.add.setEnabled(bool(value.strip()) and len(value) <= MAX_CHARS)

    def _add(self) -> None:
        conversation = self.conversation_id if self.link.isChecked() else None
        self.add_requested.emit(self.text.toPlainText().strip(),
                                str(self.category.currentData()), conversation)
        self.text.clear()

    def refresh(self) -> None:
        self.entries.clear()
        for problem in self.service.mine():
            self.entries.addItem(QListWidgetItem(self.line(problem)))

    def line(self, problem: Problem) -> str:
        tr = self.tr_
        category = tr(f"problem.category.{problem.category}") \
            if problem.category in PROBLEM_CATEGORIES else problem.category
        if problem.pending:
            state = tr("problem.state.unsent")
        elif problem.reviewed:
            state = tr("problem.state.reviewed", comment=problem.review_comment or "-")
        else:
            state = tr("problem.state.pending")
        return tr("problem.line", category=category, text=problem.text, state=state,
                  at=local_time(problem.created_at))

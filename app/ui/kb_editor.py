"""The knowledge-base entry editor (new, edit, suggest, H9.2), its buttons, refused edits."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.kb_editing import (
    DELETE,
    REVIEW,
    SUGGEST,
    EntryDraft,
    KbRefusal,
    draft_problem,
    split_keywords,
)
from app.services.knowledge import KbHit

Mode = Literal["new", "edit", "suggest_new", "suggest_change"]
_TITLES: dict[str, str] = {"new": "kb.editor_new", "edit": "kb.editor_edit",
                           "suggest_new": "kb.editor_suggest_new",
                           "suggest_change": "kb.editor_suggest_change"}
_PROBLEMS: dict[str, str] = {"fields": "kb.problem_fields", "keywords": "kb.problem_keywords"}
_REFUSED: dict[str, str] = {DELETE: "kb.refused_delete", SUGGEST: "kb.refused_suggest",
                            REVIEW: "kb.refused_review"}


class KbEditorDialog(QDialog):
    """Category (an editable list of the existing ones), title, body and keywords; in a
    suggestion mode also the reason. Save is enabled once the wire model would accept it."""

    def __init__(self, tr: Tr, mode: Mode, categories: tuple[str, ...],
                 draft: EntryDraft | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.mode = mode
        self.suggesting = mode.startswith("suggest")
        self.setWindowTitle(tr(_TITLES[mode]))
        self.setMinimumWidth(520)
        self.category = QComboBox()
        self.category.setEditable(True)
        self.category.addItems(list(categories))
        self.category.setCurrentText(draft.category if draft is not None else "")
        self.title = QLineEdit(draft.title if draft is not None else "")
        self.title.setMaxLength(200)
        self.body = QPlainTextEdit(draft.body if draft is not None else "")
        self.body.setTabChangesFocus(True)
        self.keywords = QLineEdit(" ".join(draft.keywords) if draft is not None else "")
        self.keywords.setPlaceholderText(tr("kb.keywords_hint"))
        self.reason = QLineEdit()
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText(tr("kb.reason_hint"))
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.save = self.buttons.addButton(
            tr("kb.send_suggestion" if self.suggesting else "kb.save"),
            QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(tr("kb.cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._build_layout()
        for edit in (self.title, self.keywords):
            edit.textChanged.connect(lambda _t: self._check())
        self.category.editTextChanged.connect(lambda _t: self._check())
        self.body.textChanged.connect(self._check)
        self._check()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow(self.tr_("kb.field_category"), self.category)
        form.addRow(self.tr_("kb.field_title"), self.title)
        form.addRow(self.tr_("kb.field_body"), self.body)
        form.addRow(self.tr_("kb.field_keywords"), self.keywords)
        layout = QVBoxLayout(self)
        layout.addLayout(form, 1)
        if self.suggesting:
            form.addRow(self.tr_("kb.field_reason"), self.reason)
            tip = QLabel(self.tr_("kb.suggest_tip"))
            tip.setWordWrap(True)
            layout.addWidget(tip)
        else:
            self.reason.hide()
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def draft(self) -> EntryDraft:
        return EntryDraft(category=self.category.currentText().strip(),
                          title=self.title.text().strip(), body=self.body.toPlainText().strip(),
                          keywords=split_keywords(self.keywords.text()))

    def reason_text(self) -> str:
        return self.reason.text().strip()

    def _check(self) -> None:
        problem = draft_problem(self.draft())
        self.problem.setText(self.tr_(_PROBLEMS[problem]) if problem else "")
        self.problem.setVisible(problem is not None)
        self.save.setEnabled(problem is None)


class KbTools(QWidget):
    """新建 / 编辑 / 删除 and 待审核 for kb.edit holders, 建议新增 / 建议修改 for the others
    (H10.2: hidden, not just refused), 我的建议 for everyone, and what became of the last one."""

    def __init__(self, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.buttons = {key: QPushButton(tr(key)) for key in (
            "kb.new", "kb.edit", "kb.delete", "kb.suggest_new", "kb.suggest_change")}
        self.review = QPushButton(tr("kb.review_button", count=0))
        self.mine = QPushButton(tr("kb.mine_button"))
        self.note = QLabel("")
        """Queued, or why not (the agent's last edit, suggestion or review)."""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for button in (*self.buttons.values(), self.review, self.mine):
            layout.addWidget(button)
        layout.addWidget(self.note, 1)
        self.set_permissions(False, 0)

    def set_permissions(self, may_edit: bool, to_review: int) -> None:
        for key in ("kb.new", "kb.edit", "kb.delete"):
            self.buttons[key].setVisible(may_edit)
        for key in ("kb.suggest_new", "kb.suggest_change"):
            self.buttons[key].setVisible(not may_edit)
        self.review.setVisible(may_edit)
        self.review.setText(self.tr_("kb.review_button", count=to_review))

    def follow(self, hit: KbHit | None) -> None:
        """编辑, 删除 and 建议修改 need a chosen entry."""
        for key in ("kb.edit", "kb.delete", "kb.suggest_change"):
            self.buttons[key].setEnabled(hit is not None)

    def shown(self) -> list[str]:
        return [key for key, button in self.buttons.items() if not button.isHidden()]


class RefusalList(QGroupBox):
    """未生效的操作: each refused edit, suggestion or review with the server's reason, until the
    agent dismisses it (never lost silently); a refused edit or suggestion can be edited again."""

    reedit_requested = Signal(object)
    """The KbRefusal whose text the agent wants back in the editor."""
    dismiss_requested = Signal(int)
    """The refusal's outbox position."""

    def __init__(self, tr: Tr) -> None:
        super().__init__(tr("kb.refusals"))
        self.tr_ = tr
        self.refusals: tuple[KbRefusal, ...] = ()
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(6, 4, 6, 4)
        self.hide()

    def show_refusals(self, refusals: tuple[KbRefusal, ...]) -> None:
        if refusals == self.refusals:
            return
        self.refusals = refusals
        while self.rows.count():
            item = self.rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for refusal in refusals:
            self.rows.addWidget(self._row(refusal))
        self.setVisible(bool(refusals))

    def texts(self) -> list[str]:
        return [self.line(r) for r in self.refusals]

    def line(self, refusal: KbRefusal) -> str:
        return self.tr_(_REFUSED.get(refusal.name, "kb.refused_upsert"),
                        title=refusal.title or "—", reason=refusal.reason)

    def _row(self, refusal: KbRefusal) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(self.line(refusal))
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(label, 1)
        if refusal.draft is not None:
            again = QPushButton(self.tr_("kb.reedit"))
            again.clicked.connect(lambda _c=False, r=refusal: self.reedit_requested.emit(r))
            layout.addWidget(again)
        dismiss = QPushButton(self.tr_("kb.dismiss"))
        dismiss.clicked.connect(lambda _c=False, s=refusal.seq: self.dismiss_requested.emit(s))
        layout.addWidget(dismiss)
        return row

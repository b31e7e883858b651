"""待审核 knowledge-base suggestions with what they change, 采纳 / 驳回 (H9.2); my suggestions."""

from __future__ import annotations

import difflib
import html
from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.kb_editing import EntryDraft, Suggestion
from app.ui.handover_dialog import local_time
from app.ui.kb_models import SuggestionModel, status_text

ReviewMode = Literal["review", "mine"]
_FIELDS = (("kb.field_category", "category"), ("kb.field_title", "title"),
           ("kb.field_keywords", "keywords"), ("kb.field_body", "body"))


def _value(draft: EntryDraft, field: str) -> str:
    return " ".join(draft.keywords) if field == "keywords" else str(getattr(draft, field))


def _marked(old: str, new: str) -> str:
    """Character diff (Chinese has no word breaks): removed text struck out red, added green."""
    parts = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            parts.append(f"<s style='color:#c0392b'>{html.escape(old[a0:a1])}</s>")
        if op in ("insert", "replace"):
            parts.append(f"<b style='color:#1e8449'>{html.escape(new[b0:b1])}</b>")
        if op == "equal":
            parts.append(html.escape(old[a0:a1]))
    return "".join(parts).replace("\n", "<br>")


def diff_html(tr: Tr, suggestion: Suggestion) -> str:
    """Each field: for a change, unchanged ones marked so and changed ones old → new with the
    differences marked; for a new entry, the proposed text."""
    rows = []
    old = suggestion.current
    for label_key, field in _FIELDS:
        new = _value(suggestion.draft, field)
        label = html.escape(tr(label_key))
        if old is None:
            shown = html.escape(new).replace("\n", "<br>")
        elif _value(old, field) == new:
            shown = f"{html.escape(new)} <i>{html.escape(tr('kb.unchanged'))}</i>"
        else:
            was = html.escape(_value(old, field)).replace("\n", "<br>")
            shown = (f"{html.escape(tr('kb.diff_old'))}：{was}<br>"
                     f"{html.escape(tr('kb.diff_new'))}：{_marked(_value(old, field), new)}")
        rows.append(f"<p><b>{label}</b><br>{shown}</p>")
    return "".join(rows)


class KbReviewDialog(QDialog):
    """In "review" mode the pending suggestions with 采纳 / 驳回 and a comment; in "mine" mode
    the agent's own suggestions with their outcome (read only)."""

    decided = Signal(str, bool, str)
    """Suggestion id, approve, comment."""

    def __init__(self, tr: Tr, mode: ReviewMode, name_of: Callable[[str], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.mode = mode
        self.name_of = name_of
        self.setWindowTitle(tr("kb.review_title" if mode == "review" else "kb.mine_title"))
        self.resize(760, 520)
        self.model = SuggestionModel(tr)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.selectionModel().currentChanged.connect(lambda _c, _p: self._show())
        self.empty = QLabel(tr("kb.review_none" if mode == "review" else "kb.mine_none"))
        self.head = QLabel("")
        self.head.setWordWrap(True)
        self.head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.diff = QTextBrowser()
        self.comment = QLineEdit()
        self.comment.setMaxLength(500)
        self.comment.setPlaceholderText(tr("kb.comment_hint"))
        self.approve = QPushButton(tr("kb.approve"))
        self.reject = QPushButton(tr("kb.reject"))
        self.approve.clicked.connect(lambda: self._decide(True))
        self.reject.clicked.connect(lambda: self._decide(False))
        self.close_button = QPushButton(tr("kb.close"))
        self.close_button.clicked.connect(self.accept)
        self._build_layout()
        self._show()

    def _build_layout(self) -> None:
        right = QWidget()
        details = QVBoxLayout(right)
        details.setContentsMargins(0, 0, 0, 0)
        details.addWidget(self.head)
        details.addWidget(self.diff, 1)
        details.addWidget(self.comment)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.empty)
        left_layout.addWidget(self.list, 1)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        if self.mode == "review":
            buttons.addWidget(self.approve)
            buttons.addWidget(self.reject)
        else:
            self.comment.hide()
            self.approve.hide()
            self.reject.hide()
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)

    def set_items(self, items: tuple[Suggestion, ...]) -> None:
        """Keeps the chosen suggestion chosen while it is still listed."""
        kept = self.current()
        self.model.set_items(items)
        row = self.model.row_of(kept.id) if kept is not None else None
        if items:
            self.list.setCurrentIndex(self.model.index(row if row is not None else 0))
        self.empty.setVisible(not items)
        self._show()

    def current(self) -> Suggestion | None:
        index = self.list.currentIndex()
        return self.model.item_at(index.row()) if index.isValid() else None

    def _show(self) -> None:
        item = self.current()
        for widget in (self.approve, self.reject, self.comment):
            widget.setEnabled(item is not None and item.status == "待审核" and not item.pending)
        if item is None:
            self.head.setText("")
            self.diff.clear()
            return
        tr = self.tr_
        head = tr("kb.suggestion_head",
                  kind=tr("kb.kind_change" if item.entry_id else "kb.kind_new"),
                  author=item.author_name or tr("kb.me"), when=local_time(item.created_at) or "—",
                  reason=item.reason or tr("kb.no_reason"))
        if item.status != "待审核":
            head += "\n" + tr("kb.outcome", status=status_text(tr, item),
                              reviewer=self.name_of(item.reviewed_by) or "—",
                              when=local_time(item.reviewed_at) or "—",
                              comment=item.comment or tr("kb.no_reason"))
        if item.entry_id and item.current is None and item.status == "待审核":
            head += "\n" + tr("kb.entry_gone")
        self.head.setText(head)
        self.diff.setHtml(diff_html(tr, item))

    def _decide(self, approve: bool) -> None:
        item = self.current()
        if item is not None:
            self.decided.emit(item.id, approve, self.comment.text().strip())
            self.comment.clear()

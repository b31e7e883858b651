"""The centre of the window: one conversation's messages and the composer below them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.chat import MessageRow
from app.services.phrases import Phrase
from app.ui.message_view import MessageListModel, MessageView, with_days
from app.ui.phrase_popup import PhraseCompleter, PhrasePopup
from app.ui.theme import Palette
from kefu_protocol.wire import MAX_MESSAGE_CHARS

SEND_KEYS = ("enter", "ctrl_enter")
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def _placeholder_keys(send_key: str) -> dict[str, str]:
    """The keys the composer's placeholder names: what sends and what starts a new line."""
    if send_key == "ctrl_enter":
        return {"send": "Ctrl+Enter", "newline": "Enter"}
    return {"send": "Enter", "newline": "Shift+Enter"}


class Composer(QPlainTextEdit):
    """The send key (H2.3): "enter" sends with Enter and Ctrl+Enter is a new line, "ctrl_enter"
    the reverse; Shift+Enter is always a new line. The phrase popup sees keys first."""

    send_requested = Signal(str)
    """The agent pressed the send key with this text."""

    def __init__(self) -> None:
        super().__init__()
        self.send_key = "enter"

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() in _ENTER):
            event.accept()  # Enter combinations belong to the composer, not window shortcuts
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() not in _ENTER:
            super().keyPressEvent(event)
            return
        mods = event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if not shift and ctrl == (self.send_key == "ctrl_enter"):
            self.send_requested.emit(self.toPlainText())
        else:
            self.textCursor().insertText("\n")
            self.ensureCursorVisible()


class ChatPanel(QWidget):
    """Title, message list and composer; knows nothing about storage."""

    send_requested = Signal(str)
    """Text to send to the open conversation."""
    retry_requested = Signal(int)
    """Outbox position of a refused message to queue again."""
    draft_changed = Signal(str)
    """The composer's text, after the agent paused typing (H3.2)."""
    older_requested = Signal()
    """The agent scrolled to the top: load the page before the first message."""
    manage_phrases_requested = Signal()
    """The agent asked to add or edit quick phrases (the popup's 管理 button)."""

    def __init__(self, palette: Palette, tr: Tr) -> None:
        super().__init__()
        self.tr_ = tr
        self.loading_older = False
        self.has_more = False
        self.title = QLabel(tr("chat.none"))
        self.title.setObjectName("chatTitle")
        self.history_note = QLabel("")
        self.history_note.setObjectName("hint")
        self.history_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.history_note.hide()
        self.model = MessageListModel()
        self.view = MessageView(palette, tr)
        self.view.setModel(self.model)
        self.view.doubleClicked.connect(self._on_double_click)
        self.view.verticalScrollBar().valueChanged.connect(self._on_scroll)
        self.composer = Composer()
        self.composer.setFixedHeight(96)
        self.composer.send_requested.connect(self._on_send)
        self.composer.textChanged.connect(self._check_length)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(800)
        self._draft_timer.timeout.connect(self.flush_draft)
        self.composer.textChanged.connect(self._draft_timer.start)
        self.send_button = QPushButton(tr("composer.send"))
        self.send_button.clicked.connect(lambda: self._on_send(self.composer.toPlainText()))
        self.phrase_popup = PhrasePopup(tr, self)
        self.phrase_popup.manage_requested.connect(self._on_manage_phrases)
        self.phrases = PhraseCompleter(self.composer, self.phrase_popup)
        self.phrase_button = QPushButton(tr("phrases.button"))
        self.phrase_button.setToolTip(tr("phrases.button_tip"))
        self.phrase_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.phrase_button.clicked.connect(self.open_phrase_popup)
        self.hint = QLabel("")
        self.hint.setObjectName("error")
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.phrase_button)
        bottom.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.history_note)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.composer)
        layout.addLayout(bottom)
        self.set_enabled(False)
        self.set_send_key("enter")

    def set_enabled(self, enabled: bool) -> None:
        self.composer.setEnabled(enabled)
        self.send_button.setEnabled(enabled)
        self.phrase_button.setEnabled(enabled)
        if not enabled:
            self.phrases.close()

    # ---- quick phrases (H2.2), send key and chat font (H2.3) ---------------------------------

    def set_phrase_source(self, list_phrases: Callable[[str], Sequence[Phrase]],
                          render: Callable[[Phrase], str]) -> None:
        """`list_phrases(query)` in display order; `render` fills the open conversation's
        customer, agent and order number."""
        self.phrases.set_source(list_phrases, render)

    def set_send_key(self, key: str) -> None:
        """ "enter" or "ctrl_enter" (the setting `send_key`); anything else means "enter"."""
        self.composer.send_key = key if key in SEND_KEYS else "enter"
        self.composer.setPlaceholderText(self.tr_("composer.placeholder_keys",
                                                  **_placeholder_keys(self.composer.send_key)))

    def set_chat_font_pt(self, pt: int) -> None:
        for widget in (self.composer, self.view):
            font = widget.font()
            font.setPointSize(pt)
            widget.setFont(font)

    def insert_phrase_number(self, n: int) -> bool:
        """Ctrl+n: the n-th quick phrase (1…9) at the cursor; False when there is none."""
        if not self.composer.isEnabled():
            return False
        self.composer.setFocus()
        return self.phrases.insert_number(n)

    def open_phrase_popup(self) -> None:
        """Every phrase, for the mouse (the button) and the palette command."""
        if self.composer.isEnabled():
            self.composer.setFocus()
            self.phrases.open_all()

    def _on_manage_phrases(self) -> None:
        self.phrases.close()
        self.manage_phrases_requested.emit()

    def show_conversation(self, title: str, rows: list[MessageRow], *, draft: str = "",
                          has_more: bool = False) -> None:
        """A newly opened conversation: its latest page, its kept draft, scrolled to the end."""
        self._draft_timer.stop()
        self.phrases.close()
        self.title.setText(title)
        self.has_more = has_more
        self.loading_older = False
        self.history_note.hide()
        self.model.set_rows([])
        self.model.set_rows(with_days(rows, self.tr_))
        self.composer.blockSignals(True)
        self.composer.setPlainText(draft)
        self.composer.blockSignals(False)
        self.composer.moveCursor(self.composer.textCursor().MoveOperation.End)
        self._check_length()
        self.set_enabled(True)
        self.view.scrollToBottom()
        self._fill()

    def _fill(self) -> None:
        """Asks for older pages while the loaded ones do not fill the view (no scroll bar)."""
        if self.has_more and not self.loading_older and self.model.rowCount():
            self.view.doItemsLayout()
            if self.view.verticalScrollBar().maximum() == 0:
                self.loading_older = True
                QTimer.singleShot(0, self.older_requested.emit)

    def show_messages(self, rows: list[MessageRow]) -> None:
        """The latest messages again (a sync page, a send): older loaded pages stay."""
        bar = self.view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        current = self.model.rows()
        first_new = rows[0].created_at if rows else None
        kept = [r for r in current if r.sender != "day" and first_new is not None
                and r.created_at < first_new and r.id not in {x.id for x in rows}]
        self.model.set_rows(with_days(kept + rows, self.tr_))
        if at_bottom:
            self.view.scrollToBottom()

    def show_older(self, rows: list[MessageRow], *, has_more: bool, offline: bool) -> None:
        """Puts an older page on top and keeps what the agent was reading in place."""
        self.loading_older = False
        self.has_more = has_more
        bar = self.view.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        self.model.prepend(with_days(rows, self.tr_))
        self.view.doItemsLayout()
        bar.setValue(bar.maximum() - from_bottom)
        if offline:
            self.history_note.setText(self.tr_("chat.older_offline"))
            self.history_note.show()
        elif not has_more:
            self.history_note.setText(self.tr_("chat.history_start"))
            self.history_note.show()
        else:
            self.history_note.hide()
        if not offline:
            self._fill()

    def _on_scroll(self, value: int) -> None:
        if value == 0 and self.has_more and not self.loading_older and self.model.rowCount():
            self.loading_older = True
            self.older_requested.emit()

    def _check_length(self) -> None:
        length = len(self.composer.toPlainText())
        too_long = length > MAX_MESSAGE_CHARS
        self.hint.setText(self.tr_("composer.too_long", length=length, limit=MAX_MESSAGE_CHARS)
                          if too_long else "")
        self.send_button.setEnabled(self.composer.isEnabled() and not too_long)

    def send_current(self) -> None:
        """Sends what the composer holds (the send key, the button, the command palette)."""
        self._on_send(self.composer.toPlainText())

    def _on_send(self, text: str) -> None:
        if not text.strip() or len(text) > MAX_MESSAGE_CHARS:
            self._check_length()
            return
        self.send_requested.emit(text)

    def insert_text(self, text: str) -> None:
        """A script or phrase goes into the composer for the agent to check, not out at once."""
        current = self.composer.toPlainText()
        if current.strip():
            self.composer.moveCursor(self.composer.textCursor().MoveOperation.End)
            self.composer.insertPlainText("\n" + text)
        else:
            self.composer.setPlainText(text)
            self.composer.moveCursor(self.composer.textCursor().MoveOperation.End)
        self.composer.setFocus()

    def flush_draft(self) -> None:
        self._draft_timer.stop()
        if self.composer.isEnabled():
            self.draft_changed.emit(self.composer.toPlainText())

    def clear_composer(self) -> None:
        self.composer.clear()
        self.flush_draft()

    def _on_double_click(self, index: object) -> None:
        row = self.model.row_at(index.row())  # type: ignore[attr-defined]
        if row is not None and row.delivery == "rejected" and row.outbox_seq is not None:
            self.retry_requested.emit(row.outbox_seq)

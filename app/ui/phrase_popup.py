"""The quick-phrase popup (H2.2): opened by `/` in the composer, filtered as the agent types."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.i18n import Tr
from app.services.phrases import Phrase

ListPhrases = Callable[[str], Sequence[Phrase]]
RenderPhrase = Callable[[Phrase], str]
_CHOOSE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab)
_DIGITS = {getattr(Qt.Key, f"Key_{n}"): n for n in range(1, 10)}


def preview(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class PhrasePopup(QFrame):
    """A child of the window that never takes focus: the composer keeps the keyboard."""

    chosen = Signal(object)
    """The Phrase the agent clicked."""
    manage_requested = Signal()

    def __init__(self, tr: Tr, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("phrasePopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAutoFillBackground(True)
        self.items = QTreeWidget()
        self.items.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.items.setHeaderHidden(True)
        self.items.setRootIsDecorated(False)
        self.items.setColumnCount(4)
        self.items.setUniformRowHeights(True)
        header = self.items.header()
        header.setStretchLastSection(False)
        for column in (0, 1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.items.itemClicked.connect(lambda item, _col: self.chosen.emit(self._phrase(item)))
        self.empty = QLabel(tr("phrases.popup.none"))
        self.empty.setObjectName("hint")
        self.keys = QLabel(tr("phrases.popup.keys"))
        self.keys.setObjectName("hint")
        self.manage = QPushButton(tr("phrases.manage"))
        self.manage.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.manage.setFlat(True)
        self.manage.clicked.connect(self.manage_requested.emit)
        footer = QHBoxLayout()
        footer.addWidget(self.keys, 1)
        footer.addWidget(self.manage)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.items, 1)
        layout.addWidget(self.empty)
        layout.addLayout(footer)
        self.tr_ = tr
        self.hide()

    def set_phrases(self, phrases: Sequence[Phrase], numbers: dict[str, int],
                    render: RenderPhrase | None = None) -> None:
        """`numbers`: phrase id -> its Ctrl+number (the first nine of the whole list);
        `render`: the text as it would be inserted, for the preview column."""
        self.items.clear()
        for phrase in phrases:
            number = numbers.get(phrase.id)
            where = phrase.group
            if phrase.scope == "team":
                where = (self.tr_("phrases.team_group", group=phrase.group) if phrase.group
                         else self.tr_("phrases.team"))
            shown = render(phrase) if render is not None else phrase.text
            item = QTreeWidgetItem([str(number) if number else "", phrase.title,
                                    preview(shown), where])
            item.setData(0, Qt.ItemDataRole.UserRole, phrase)
            item.setToolTip(2, shown)
            self.items.addTopLevelItem(item)
        self.empty.setVisible(not phrases)
        self.items.setVisible(bool(phrases))
        if phrases:
            self.items.setCurrentItem(self.items.topLevelItem(0))

    def count(self) -> int:
        return self.items.topLevelItemCount()

    def move_selection(self, delta: int) -> None:
        if not self.count():
            return
        row = self.items.indexOfTopLevelItem(self.items.currentItem())
        row = max(0, min(self.count() - 1, row + delta))
        self.items.setCurrentItem(self.items.topLevelItem(row))

    def current(self) -> Phrase | None:
        item = self.items.currentItem()
        return self._phrase(item) if item is not None else None

    def _phrase(self, item: QTreeWidgetItem) -> Phrase:
        phrase: Phrase = item.data(0, Qt.ItemDataRole.UserRole)
        return phrase

    def show_near(self, editor: QPlainTextEdit) -> None:
        """Under the text cursor when the window has room, above it otherwise."""
        window = editor.window()
        if self.parentWidget() is not window:
            self.setParent(window)
        rows = max(1, min(8, self.count()))
        row_height = max(self.items.sizeHintForRow(0), self.fontMetrics().height() + 4)
        footer = self.keys.sizeHint().height() + self.manage.sizeHint().height() // 2
        width = min(max(360, editor.width()), max(window.width() - 8, 200))
        self.resize(width, rows * row_height + footer + 24)
        rect = editor.cursorRect()
        below = editor.viewport().mapTo(window, rect.bottomLeft() + QPoint(0, 4))
        above = editor.viewport().mapTo(window, rect.topLeft()) - QPoint(0, self.height() + 4)
        spot = below if below.y() + self.height() <= window.height() else above
        x = max(4, min(spot.x(), window.width() - self.width() - 4))
        self.move(x, max(4, spot.y()))
        self.show()
        self.raise_()


class PhraseCompleter(QObject):
    """Watches the composer: `/query` at the start or after white space opens the popup."""

    inserted = Signal(object)
    """The Phrase that went into the composer."""

    def __init__(self, editor: QPlainTextEdit, popup: PhrasePopup) -> None:
        super().__init__(editor)
        self.editor = editor
        self.popup = popup
        self.list_phrases: ListPhrases = lambda _query: ()
        self.render: RenderPhrase = lambda phrase: phrase.text
        self._anchor: int | None = None  # position of the '/' being completed
        self._dismissed: int | None = None  # the '/' the agent closed with Esc
        self._inserting = False
        editor.textChanged.connect(self._on_text_changed)
        editor.cursorPositionChanged.connect(self._on_cursor_moved)
        editor.installEventFilter(self)
        popup.chosen.connect(self.insert)

    def set_source(self, list_phrases: ListPhrases, render: RenderPhrase) -> None:
        self.list_phrases, self.render = list_phrases, render

    def _token(self) -> tuple[int, str] | None:
        """(position of '/', text typed after it) when the cursor ends such a token."""
        cursor = self.editor.textCursor()
        if cursor.hasSelection():
            return None
        before = cursor.block().text()[: cursor.positionInBlock()]
        slash = before.rfind("/")
        if slash < 0 or (slash > 0 and not before[slash - 1].isspace()):
            return None
        query = before[slash + 1:]
        if any(ch.isspace() for ch in query):
            return None
        return cursor.block().position() + slash, query

    def _on_text_changed(self) -> None:
        token = self._token()
        if self._inserting or token is None or token[0] == self._dismissed:
            if token is None:
                self._dismissed = None
            if self._inserting and token is not None:
                self._dismissed = token[0]  # a '/' inside the inserted phrase opens nothing
            self.close()
            return
        self._anchor = token[0]
        self._show(token[1])

    def _on_cursor_moved(self) -> None:
        if self.popup.isVisible() and self._anchor is not None:
            token = self._token()
            if token is None or token[0] != self._anchor:
                self.close()

    def open_all(self) -> None:
        """The unfiltered list (the phrases button, the palette): inserts at the cursor."""
        self._anchor = None
        self._show("")

    def _show(self, query: str) -> None:
        numbers = {p.id: i for i, p in enumerate(self.list_phrases("")[:9], start=1)}
        self.popup.set_phrases(self.list_phrases(query), numbers, self.render)
        self.popup.show_near(self.editor)

    def close(self) -> None:
        self.popup.hide()
        self._anchor = None

    def insert(self, phrase: Phrase | None) -> None:
        """Replaces the `/query` being typed (or nothing) with the rendered phrase."""
        if phrase is None:
            return
        text = self.render(phrase)
        cursor = self.editor.textCursor()
        if self._anchor is not None:
            cursor.setPosition(self._anchor, QTextCursor.MoveMode.KeepAnchor)
        self._inserting = True
        try:
            cursor.insertText(text)
            self.editor.setTextCursor(cursor)
        finally:
            self._inserting = False
        self.close()
        self.editor.setFocus()
        self.inserted.emit(phrase)

    def insert_number(self, number: int) -> bool:
        """Ctrl+1…9: the n-th phrase of the whole list; False when there is none."""
        phrases = self.list_phrases("")
        if not 1 <= number <= min(9, len(phrases)):
            return False
        if not self.popup.isVisible():
            self._anchor = None
        self.insert(phrases[number - 1])
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.editor:
            return False
        if event.type() == QEvent.Type.FocusOut and self.popup.isVisible():
            self.hide_later()
        if event.type() not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        assert isinstance(event, QKeyEvent)
        key, mods = event.key(), event.modifiers()
        if key in _DIGITS and mods & Qt.KeyboardModifier.ControlModifier:
            if event.type() == QEvent.Type.ShortcutOverride:
                event.accept()  # the composer's own keys win over window shortcuts
                return False
            self.insert_number(_DIGITS[key])
            return True
        if event.type() != QEvent.Type.KeyPress or not self.popup.isVisible():
            return False
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.popup.move_selection(-1 if key == Qt.Key.Key_Up else 1)
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.popup.move_selection(-8 if key == Qt.Key.Key_PageUp else 8)
        elif key in _CHOOSE_KEYS:
            self.insert(self.popup.current())  # never sends, even with nothing matching
        elif key == Qt.Key.Key_Escape:
            self._dismissed = self._anchor
            self.close()
        else:
            return False
        return True

    def hide_later(self) -> None:
        """The composer lost focus: close unless it comes straight back (a click on the list)."""
        QTimer.singleShot(0, self, self._close_unless_focused)

    def _close_unless_focused(self) -> None:
        if not self.editor.hasFocus():
            self.close()

"""QActions from the one command registry (app.commands): text, icon, keys, tool tips (H2.3)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QToolBar, QWidget

from app.commands import BY_ID, COMMANDS
from app.i18n import Tr
from app.keymap import effective_keys

KEYS_PROPERTY = "command_keys"
"""Each action's keys in force (portable text), also for the composer's, which no QAction owns."""
WIRED_PROPERTY = "command_wired"
"""False for a command the window gave no handler: disabled, no keys bound, not runnable."""


def make_actions(window: QWidget, tr: Tr, *, run: Callable[[str], object],
                 handlers: Mapping[str, Callable[[], object]], toolbar: QToolBar,
                 keymap: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, QAction]:
    """One QAction per command, added to `window` (its shortcuts work anywhere in it) and,
    for bar commands, to `toolbar`. A bar command without its own handler goes to `run(id)`;
    any other command without a handler stays disabled and binds no key, so it never takes a
    key from an action built elsewhere. `keymap` defaults to the registry's defaults."""
    actions: dict[str, QAction] = {}
    for command in COMMANDS:
        action = QAction(tr(command.text), window)
        action.setObjectName(command.id)
        action.setData(command.id)
        if command.icon and hasattr(QStyle.StandardPixmap, command.icon):
            action.setIcon(window.style().standardIcon(getattr(QStyle.StandardPixmap,
                                                               command.icon)))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        handler = handlers.get(command.id)
        if handler is not None:
            action.triggered.connect(lambda _c=False, h=handler: h())
        elif command.toolbar:
            action.triggered.connect(lambda _c=False, i=command.id: run(i))
        wired = handler is not None or command.toolbar
        action.setProperty(WIRED_PROPERTY, wired)
        if not wired:
            action.setEnabled(False)
        window.addAction(action)
        if command.toolbar:
            toolbar.addAction(action)
        actions[command.id] = action
    apply_keymap(actions, keymap if keymap is not None else effective_keys({}, "enter"), tr)
    return actions


def apply_keymap(actions: Mapping[str, QAction], keymap: Mapping[str, tuple[str, ...]],
                 tr: Tr) -> None:
    """Live update: every action takes its keys from `keymap` (app.keymap.effective_keys) and
    shows them in its tool tip. The composer's send / new line keep no QAction shortcut: the
    composer reads the send key itself."""
    for command_id, action in actions.items():
        command = BY_ID.get(command_id)
        keys = tuple(keymap.get(command_id, ()))
        action.setProperty(KEYS_PROPERTY, list(keys))
        bound = command is not None and command.context != "composer" and is_wired(action)
        action.setShortcuts([QKeySequence(k) for k in keys] if bound else [])
        name = tr(command.text) if command is not None else action.text()
        action.setToolTip(tr("shortcuts.tooltip", name=name, keys=key_text(keys, tr))
                          if keys else name)


def is_wired(action: QAction) -> bool:
    return action.property(WIRED_PROPERTY) is not False


def is_runnable(action: QAction) -> bool:
    """Enabled and connected to something: what the palette may trigger."""
    return action.isEnabled() and is_wired(action)


def action_keys(action: QAction) -> tuple[str, ...]:
    """The keys in force of an action made here (portable text), else its own shortcuts."""
    keys = action.property(KEYS_PROPERTY)
    if isinstance(keys, (list, tuple)):
        return tuple(str(k) for k in keys)
    return tuple(s.toString(QKeySequence.SequenceFormat.PortableText)
                 for s in action.shortcuts())


def native_key(key: str) -> str:
    """How this platform writes a key (⌘ on macOS, Ctrl elsewhere)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) or key


def key_text(keys: Iterable[str], tr: Tr) -> str:
    """Keys for display, e.g. "Ctrl+=，Ctrl++"; "—" for none."""
    shown = list(dict.fromkeys(native_key(k) for k in keys))  # Return and Enter read alike
    return tr("shortcuts.key_separator").join(shown) if shown else tr("shortcuts.no_key")


def portable_key(sequence: QKeySequence) -> str:
    """A captured key (QKeySequenceEdit) in portable text, as the `shortcuts` setting keeps it."""
    return sequence.toString(QKeySequence.SequenceFormat.PortableText)

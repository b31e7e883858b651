"""Effective shortcut keys from the agent's overrides, and the conflicts between keys (H2.3)."""

# Plain Python, no Qt: keys are Qt's portable text ("Ctrl+Shift+K", "Ctrl+K, Ctrl+S"), brought
# to one spelling by `normalize`. Contexts overlap as app.commands describes: window and
# conversation keys are live in the whole window, composer keys only in the composer, so every
# pair that can be live at the same moment must not share a key (nor be a prefix of the other).

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from app.commands import BY_ID, COMMANDS, Context, composer_keys

MAX_KEYS = 3
"""Key sequences per command (the `shortcuts` setting allows as many)."""
Keymap = Mapping[str, tuple[str, ...]]
Reason = Literal["taken", "reserved", "invalid", "read_only", "too_many"]

_OVERLAP: dict[Context, frozenset[Context]] = {
    "window": frozenset({"window", "conversation", "composer"}),
    "conversation": frozenset({"window", "conversation", "composer"}),
    "composer": frozenset({"window", "conversation", "composer"}),
}
_MODIFIERS = {"meta": "Meta", "win": "Meta", "super": "Meta", "ctrl": "Ctrl", "control": "Ctrl",
              "alt": "Alt", "option": "Alt", "shift": "Shift"}
_ORDER = ("Meta", "Ctrl", "Alt", "Shift")  # Qt's order in portable text
_NAMES = {"esc": "Esc", "escape": "Esc", "return": "Return", "enter": "Enter", "tab": "Tab",
          "backtab": "Backtab", "backspace": "Backspace", "del": "Del", "delete": "Del",
          "ins": "Ins", "insert": "Ins", "home": "Home", "end": "End", "left": "Left",
          "right": "Right", "up": "Up", "down": "Down", "pgup": "PgUp", "pageup": "PgUp",
          "page up": "PgUp", "pgdown": "PgDown", "pagedown": "PgDown", "page down": "PgDown",
          "space": "Space", "pause": "Pause", "print": "Print", "menu": "Menu"}
_EDITING_NAMES = frozenset({"Esc", "Tab", "Backtab", "Backspace", "Del", "Ins", "Home", "End",
                            "Left", "Right", "Up", "Down", "PgUp", "PgDown", "Space", "Return",
                            "Enter", "Menu"})
_RESERVED = frozenset({
    "Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+Z", "Ctrl+Y", "Ctrl+A", "Ctrl+Shift+Z", "Ctrl+Ins",
    "Shift+Ins", "Shift+Del", "Ctrl+Backspace", "Ctrl+Del", "Ctrl+Left", "Ctrl+Right",
    "Ctrl+Shift+Left", "Ctrl+Shift+Right", "Ctrl+Home", "Ctrl+End", "Ctrl+Shift+Home",
    "Ctrl+Shift+End", "Ctrl+Tab", "Ctrl+Shift+Tab", "Ctrl+Backtab", "Alt+F4"})
"""Editing keys of the composer and the system: copy, paste, cut, undo, redo, select all,
word moves; plain typing and navigation keys are refused by rule in `reserved`."""
_FKEY = re.compile(r"f([1-9]|[1-2][0-9]|3[0-5])")
_CHORD_SPLIT = re.compile(r"(?<!\+),\s*")


@dataclass(frozen=True)
class Conflict:
    """Why `key` cannot be given to `command_id`; for "taken", the command that has it."""

    command_id: str
    key: str
    reason: Reason
    other_id: str = ""
    other_context: str = ""


def _parts(chord: str) -> tuple[list[str], str]:
    """(modifiers, key) of one chord; the "+" key itself is spelled "Ctrl++"."""
    if chord == "+":
        return [], "+"
    if chord.endswith("++"):
        return chord[:-2].split("+"), "+"
    *mods, key = chord.split("+")
    return mods, key


def _chord(text: str) -> str | None:
    mods, key = _parts(text.strip())
    names = []
    for mod in mods:
        name = _MODIFIERS.get(mod.strip().lower())
        if name is None:
            return None
        names.append(name)
    key = key.strip()
    if not key:
        return None
    lowered = key.lower()
    if len(key) == 1:
        key = key.upper()
    elif lowered in _NAMES:
        key = _NAMES[lowered]
    elif _FKEY.fullmatch(lowered):
        key = lowered.upper()
    else:
        key = key[0].upper() + key[1:]
    return "+".join([*(m for m in _ORDER if m in names), key])


def normalize(text: str) -> str | None:
    """One spelling of a key sequence: "shift+ctrl+k" -> "Ctrl+Shift+K"; None if unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    chords = [_chord(part) for part in _CHORD_SPLIT.split(text.strip())]
    if len(chords) > 4 or any(c is None for c in chords):
        return None
    return ", ".join(c for c in chords if c)


def reserved(key: str) -> bool:
    """True if the sequence starts with a key the composer or the system needs: typing a
    character, moving the cursor, copy / paste / undo and the like."""
    first = key.split(", ")[0]
    mods, name = _parts(first)
    if set(mods) <= {"Shift"} and (len(name) == 1 or name in _EDITING_NAMES):
        return True
    return first in _RESERVED


def _chords(key: str) -> list[str]:
    return key.split(", ")


def _clash(a: str, b: str) -> bool:
    """Equal, or one a prefix of the other (Qt would wait for the longer one)."""
    x, y = _chords(a), _chords(b)
    shortest = min(len(x), len(y))
    return x[:shortest] == y[:shortest]


def _overlap(a: Context, b: Context) -> bool:
    return b in _OVERLAP[a]


def _taken_by(keymap: Keymap, command_id: str, key: str) -> Conflict | None:
    context = BY_ID[command_id].context
    for other in COMMANDS:
        if other.id == command_id or not _overlap(context, other.context):
            continue
        if any(_clash(key, theirs) for theirs in keymap.get(other.id, ())):
            return Conflict(command_id, key, "taken", other.id, other.context)
    return None


def check_assignment(keymap: Keymap, command_id: str, keys: Sequence[str]) -> Conflict | None:
    """None if `command_id` may have `keys` (replacing its current ones), else the first
    reason it may not."""
    command = BY_ID.get(command_id)
    shown = keys[0] if keys else ""
    if command is None:
        return Conflict(command_id, shown, "invalid")
    if command.context == "composer":
        return Conflict(command_id, shown, "read_only")
    if len(keys) > MAX_KEYS:
        return Conflict(command_id, shown, "too_many")
    for raw in keys:
        key = normalize(raw)
        if key is None:
            return Conflict(command_id, raw, "invalid")
        taken = _taken_by(keymap, command_id, key)
        if taken is not None:
            return taken
        if reserved(key):
            return Conflict(command_id, key, "reserved")
    return None


def conflicts(keymap: Keymap) -> list[Conflict]:
    """Every key of `keymap` that another command in an overlapping context also has, and
    every reserved key outside the composer; each clash reported once, on the later command."""
    found: list[Conflict] = []
    for index, command in enumerate(COMMANDS):
        for key in keymap.get(command.id, ()):
            if command.context != "composer" and reserved(key):
                found.append(Conflict(command.id, key, "reserved"))
            for earlier in COMMANDS[:index]:
                if _overlap(command.context, earlier.context) and any(
                        _clash(key, theirs) for theirs in keymap.get(earlier.id, ())):
                    found.append(Conflict(command.id, key, "taken", earlier.id, earlier.context))
    return found


def default_keys(command_id: str, send_key: str = "enter") -> tuple[str, ...]:
    """What a command has when the agent changed nothing."""
    composer = composer_keys(send_key)
    return composer.get(command_id, BY_ID[command_id].keys)


def clean_keys(keys: Sequence[str]) -> tuple[str, ...]:
    """Normalized, unreadable and repeated entries dropped, at most MAX_KEYS."""
    out: list[str] = []
    for raw in keys:
        key = normalize(raw)
        if key is not None and key not in out:
            out.append(key)
    return tuple(out[:MAX_KEYS])


def effective_keys(overrides: Mapping[str, Sequence[str]], send_key: str
                   ) -> dict[str, tuple[str, ...]]:
    """Every command's keys in force: the composer's from `send_key`, then the agent's
    overrides (unknown ids, composer ids and reserved keys ignored: a value from a newer
    version must not break this one), then the defaults. A key that would clash with one
    already placed is left out, so the result never has conflicts."""
    placed: dict[str, tuple[str, ...]] = dict(composer_keys(send_key))
    wanted: dict[str, tuple[str, ...]] = {}
    for command in COMMANDS:
        keys = overrides.get(command.id)
        if command.context != "composer" and isinstance(keys, (list, tuple)):
            wanted[command.id] = clean_keys([k for k in keys if isinstance(k, str)])
    for source in (wanted, {c.id: c.keys for c in COMMANDS if c.id not in wanted}):
        for command_id, keys in source.items():
            if command_id in placed:
                continue
            placed[command_id] = ()
            kept = tuple(k for k in clean_keys(keys) if not reserved(k)
                         and _taken_by(placed, command_id, k) is None)
            placed[command_id] = kept
    return {c.id: placed.get(c.id, ()) for c in COMMANDS}

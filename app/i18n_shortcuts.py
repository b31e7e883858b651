"""Text of shortcuts: the shortcut editor, the command palette, the cheat sheet."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
SHORTCUTS_TEXT: dict[str, tuple[str, str]] = {
}

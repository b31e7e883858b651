"""Text of quick phrases (快捷短语): the manager, the / popup, variables."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
PHRASES_TEXT: dict[str, tuple[str, str]] = {
}

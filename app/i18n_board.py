"""Text of the lead's board, activity timeline and metrics (H13.3, H12.1)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
BOARD_TEXT: dict[str, tuple[str, str]] = {}

"""Text of login locks (H1.3), password-reset requests (H1.11)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
ACCOUNTS_TEXT: dict[str, tuple[str, str]] = {}

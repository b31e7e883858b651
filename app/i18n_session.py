"""Text of the session rules (away lock, idle timeout, log out vs exit, shared-desk wipe)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
SESSION_TEXT: dict[str, tuple[str, str]] = {
}

"""Text of notifications: events, channels, the tray icon, the settings page."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
NOTIFY_TEXT: dict[str, tuple[str, str]] = {
}

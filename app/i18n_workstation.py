"""Text of the workstation: conversation list, chat, quick actions, customer panel, search."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
WORKSTATION_TEXT: dict[str, tuple[str, str]] = {
}

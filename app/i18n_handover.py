"""Text of the handover form and incoming handovers (H13.2), the problem log (H13.4), surge (H11.4)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
HANDOVER_TEXT: dict[str, tuple[str, str]] = {}

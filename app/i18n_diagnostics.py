"""Text of logs and diagnostics: the log viewer, the diagnostics export, crash and security reports."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
DIAGNOSTICS_TEXT: dict[str, tuple[str, str]] = {
}

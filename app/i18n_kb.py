"""Text of the knowledge-base desk beside the chat (H9)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
KB_TEXT: dict[str, tuple[str, str]] = {
    "kb.tab": ("知识库", "Knowledge base"),
}

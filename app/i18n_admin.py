"""Text of the supervisors' tools: permission grants (H10.2) and the tag library (H4.3)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
ADMIN_TEXT: dict[str, tuple[str, str]] = {
    "cmd.admin_grants": ("权限管理…", "Permissions…"),
    "cmd.admin_tags": ("标签库管理…", "Tag library…"),
}

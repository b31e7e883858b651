"""Text of the order desk beside the chat (H5–H7)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
ORDERS_TEXT: dict[str, tuple[str, str]] = {
    "orders.tab": ("订单", "Orders"),
}

"""Text of the product desk beside the chat: products, specs, stock, promotions (H6)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
PRODUCTS_TEXT: dict[str, tuple[str, str]] = {
    "products.tab": ("商品", "Products"),
    "cmd.products_search": ("搜索商品", "Search products"),
}

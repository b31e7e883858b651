"""Text of the knowledge-base desk beside the chat (H9)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
KB_TEXT: dict[str, tuple[str, str]] = {
    "kb.tab": ("知识库", "Knowledge base"),
    "cmd.kb_search": ("搜索知识库", "Search the knowledge base"),
    "kb.tab_suggested": ("知识库 · {count} 条建议", "Knowledge base · {count} suggested"),
    "kb.search_hint": ("搜索知识库（标题、关键词、正文）", "Search the knowledge base"),
    "kb.all": ("全部", "All"),
    "kb.category_item": ("{category}（{count}）", "{category} ({count})"),
    "kb.row": ("{title}\n[{category}] · 已用 {uses} 次\n{snippet}",
               "{title}\n[{category}] · used {uses}×\n{snippet}"),
    "kb.insert": ("插入", "Insert"),
    "kb.insert_tip": ("把答案放进输入框（回车或双击也可）",
                      "Put the answer in the composer (Enter or double-click too)"),
    "kb.none": ("没有找到匹配的条目", "No matching entries"),
    "kb.count": ("共 {count} 条", "{count} entries"),
    "kb.pick": ("选择一条查看全文", "Pick an entry to read it in full"),
    "kb.suggested": ("建议回复", "Suggested replies"),
    "kb.suggested_none": ("暂无建议（根据客户最后一条消息匹配）",
                          "No suggestions (matched on the customer's last message)"),
    "kb.suggestion": ("{title}", "{title}"),
    "kb.unavailable": ("知识库暂时无法读取", "The knowledge base cannot be read right now"),
}

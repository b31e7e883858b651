"""Text of quick phrases (快捷短语): the manager, the / popup, variables."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
PHRASES_TEXT: dict[str, tuple[str, str]] = {
    "composer.placeholder_keys": ("输入回复，{send} 发送，{newline} 换行",
                                  "Type a reply: {send} sends, {newline} adds a line"),
    "phrases.button": ("快捷短语", "Phrases"),
    "phrases.button_tip": ("插入快捷短语（也可在输入框输入 / 搜索，Ctrl+1…9 插入前九条）",
                           "Insert a quick phrase (or type / in the composer; Ctrl+1…9 for "
                           "the first nine)"),
    "phrases.popup.none": ("没有匹配的快捷短语", "No matching quick phrase"),
    "phrases.popup.keys": ("↑↓ 选择 · Enter/Tab 插入 · Esc 关闭 · Ctrl+数字 直接插入",
                           "↑↓ choose · Enter/Tab insert · Esc close · Ctrl+number inserts"),
    "phrases.manage": ("管理快捷短语…", "Manage phrases…"),
    "phrases.team": ("团队", "Team"),
    "phrases.team_group": ("团队 · {group}", "Team · {group}"),
    "phrases.manager.title": ("管理快捷短语", "Manage quick phrases"),
    "phrases.search": ("搜索标题、内容或分组", "Search title, text or group"),
    "phrases.all_groups": ("全部分组", "All groups"),
    "phrases.scope": ("范围", "Scope"),
    "phrases.scope.personal": ("我的", "Mine"),
    "phrases.scope.team": ("团队（本组共用）", "Team (shared)"),
    "phrases.group": ("分组", "Group"),
    "phrases.title": ("标题", "Title"),
    "phrases.text": ("内容", "Text"),
    "phrases.new": ("新建", "New"),
    "phrases.save": ("保存", "Save"),
    "phrases.delete": ("删除", "Delete"),
    "phrases.close": ("关闭", "Close"),
    "phrases.item": ("{title}：{text}", "{title}: {text}"),
    "phrases.item_pending": ("{item}（待同步）", "{item} (not yet synced)"),
    "phrases.team_readonly": ("团队快捷短语由组长维护：您可以使用，但不能修改。",
                              "Team phrases are managed by leads: you can use them, not "
                              "change them."),
    "phrases.variables": ("可用变量：{customer} 客户昵称，{agent} 您的名字，{order_no} 订单号"
                          "（没有订单号时该变量自动省略）。",
                          "Variables: {customer} the customer's nickname, {agent} your name, "
                          "{order_no} the order number (left out when there is none)."),
    "phrases.need_text": ("请填写短语内容。", "Enter the phrase's text."),
    "phrases.saved": ("已保存。", "Saved."),
    "phrases.deleted": ("已删除。", "Deleted."),
    "phrases.refused.team_needs_lead": ("团队快捷短语只能由组长、主管或获授权的客服修改。",
                                        "Only leads, supervisors and granted agents can change team phrases."),
    "phrases.refused.not_found": ("这条快捷短语已不存在（可能已被删除）。",
                                  "That phrase no longer exists (it may have been deleted)."),
    "phrases.refused.invalid": ("内容不符合要求（标题最多 60 字，分组最多 40 字），未保存。",
                                "Not saved: titles take up to 60 and groups up to 40 "
                                "characters."),
}

"""Text of notifications: events, channels, the tray icon, the settings page."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
NOTIFY_TEXT: dict[str, tuple[str, str]] = {
    # events, as the settings page lists them
    "notify.event.new_conversation": ("新会话", "New conversation"),
    "notify.event.new_message": ("新消息", "New message"),
    "notify.event.transferred": ("转给我的会话", "Transferred to me"),
    "notify.event.response_warning": ("响应即将超时", "Reply due soon"),
    "notify.event.response_breach": ("响应已超时", "Reply overdue"),
    "notify.event.handover": ("交接班事项", "Handover"),
    "notify.event.system_notice": ("系统通知", "System notice"),
    # sounds
    "notify.sound.none": ("无声音", "No sound"),
    "notify.sound.chime": ("风铃", "Chime"),
    "notify.sound.ding": ("叮", "Ding"),
    "notify.sound.knock": ("敲门", "Knock"),
    "notify.sound.bell": ("铃声", "Bell"),
    "notify.sound.alarm": ("提示音（急）", "Alarm"),
    # the settings page
    "notify.col.event": ("事件", "Event"),
    "notify.col.sound": ("声音", "Sound"),
    "notify.col.volume": ("音量", "Volume"),
    "notify.col.popup": ("桌面弹窗", "Desktop popup"),
    "notify.col.flash": ("闪烁", "Flash"),
    "notify.test": ("测试", "Test"),
    "notify.test_help": ("按当前选择试一次（忙碌和免打扰时也会响）",
                         "Try the current choice once (even while busy or in quiet hours)"),
    "notify.volume_value": ("音量 {volume}%", "Volume {volume}%"),
    "notify.page_hint": ("窗口在前台时提醒同样生效。闪烁：任务栏闪动并轻轻晃动窗口。",
                         "Alerts also fire while the window is in front. Flash: the taskbar "
                         "entry blinks and the window shakes briefly."),
    # what an alert says
    "notify.visitor": ("访客", "Visitor"),
    "notify.colleague": ("同事", "A colleague"),
    "notify.title.new_conversation": ("新会话：{nickname}", "New conversation: {nickname}"),
    "notify.title.new_message": ("{nickname} 发来新消息", "New message from {nickname}"),
    "notify.title.transferred": ("{nickname} 的会话已转给您",
                                 "{nickname}'s conversation was transferred to you"),
    "notify.title.response_warning": ("{nickname} 即将等待超时，请尽快回复",
                                      "{nickname} will soon have waited too long: please reply"),
    "notify.title.response_breach": ("{nickname} 已等待超时", "{nickname} has waited too long"),
    "notify.title.handover": ("{colleague} 给您留了交接事项", "Handover from {colleague}"),
    "notify.title.system_notice": ("系统通知", "System notice"),
    "notify.notice.note_conflict": ("同事同时修改了同一条备注，已保留较新的版本",
                                    "A colleague edited the same note at the same time; the "
                                    "newer version was kept"),
    "notify.notice.escalation": ("有会话升级给您处理：{reason}",
                                 "A conversation was escalated to you: {reason}"),
    "notify.notice.bad_feed_row": ("有一条来自服务器的更新本机无法读取，已为 IT 保留（工具 → 导出诊断信息）",
                                   "An update from the server could not be read here; it was "
                                   "kept for IT (Tools → Export diagnostics)"),
    "notify.notice.other": ("请查看客服台", "Please look at KefuDesk"),
    "notify.summary": ("{count} 条新提醒", "{count} new alerts"),
    "notify.test_title": ("测试提醒：{event}", "Test alert: {event}"),
    "notify.test_body": ("「{event}」的提醒就是这样", "This is how “{event}” alerts look"),
    # the tray icon
    "tray.status": ("状态", "Status"),
    "tray.open": ("打开客服台", "Open KefuDesk"),
    "tray.quit": ("退出", "Quit"),
    "tray.tooltip": ("客服台", "KefuDesk"),
    "tray.tooltip_unread": ("客服台：{count} 条未读", "KefuDesk: {count} unread"),
    "tray.tooltip_status": ("{tip}（{status}）", "{tip} ({status})"),
}

"""Text of logs and diagnostics: the log viewer, the diagnostics export, crash and security reports."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
DIAGNOSTICS_TEXT: dict[str, tuple[str, str]] = {
    "logview.title": ("系统日志", "System log"),
    "logview.level": ("级别", "Level"),
    "logview.level.all": ("全部", "All"),
    "logview.from": ("从", "From"),
    "logview.to": ("到", "To"),
    "logview.module": ("模块", "Module"),
    "logview.module_hint": ("模块名的一部分，例如 sync", "Part of a module name, e.g. sync"),
    "logview.text": ("内容", "Text"),
    "logview.text_hint": ("搜索日志内容", "Search the log"),
    "logview.tail": ("实时跟踪新日志", "Follow new lines"),
    "logview.copy_selected": ("复制所选行", "Copy selected lines"),
    "logview.copy_all": ("复制全部显示的行", "Copy all shown lines"),
    "logview.open_folder": ("打开日志文件夹", "Open log folder"),
    "logview.count": ("显示 {shown} 条日志", "{shown} line(s) shown"),
    "logview.col.time": ("时间", "Time"),
    "logview.col.level": ("级别", "Level"),
    "logview.col.module": ("模块", "Module"),
    "logview.col.message": ("内容", "Message"),
    "diagnostics.save_title": ("导出诊断信息", "Export diagnostics"),
    "diagnostics.file_filter": ("压缩包 (*.zip)", "Zip archives (*.zip)"),
    "diagnostics.default_name": ("KefuDesk-诊断-{time}.zip", "KefuDesk-diagnostics-{time}.zip"),
    "diagnostics.saved": ("诊断信息已保存到：\n{path}\n请把这个文件发给 IT。其中没有密码或登录凭据，客户的电话、地址和证件号已遮盖。",
                          "Diagnostics saved to:\n{path}\nSend this file to IT. It holds no password or sign-in token; customers' phones, addresses and ID numbers are masked."),
    "diagnostics.failed": ("无法保存诊断信息：{error}", "Could not save the diagnostics: {error}"),
    "diagnostics.readme": (
        "客服台诊断信息（{time}，版本 {version}）\n"
        "logs/：本机日志（每行一个 JSON 对象，已遮盖电话、证件号、地址和凭据）\n"
        "versions.json：客服台、Python、Qt/PySide6 和操作系统的版本\n"
        "config.json：生效的设置及其来源（policy = IT 的部署文件，user = 用户，default = 默认）\n"
        "sync.json：服务器地址、同步游标、最后状态、待发送和被拒绝的操作数\n"
        "crashes/：最近的崩溃报告；screenshot.png：导出时的窗口截图",
        "KefuDesk diagnostics ({time}, version {version})\n"
        "logs/: this computer's log (one JSON object per line; phones, ID numbers, addresses and credentials masked)\n"
        "versions.json: versions of KefuDesk, Python, Qt/PySide6 and the OS\n"
        "config.json: the settings in force and where each comes from (policy = IT's deploy file, user, default)\n"
        "sync.json: server address, sync cursor, last state, pending and rejected intents\n"
        "crashes/: the latest crash reports; screenshot.png: the window when exported"),
    "crash.title": ("客服台遇到意外问题", "KefuDesk ran into a problem"),
    "crash.text": ("客服台遇到意外问题，已经记录下来供技术人员排查。\n未发送的消息已保存，不会丢失。\n可以继续使用，如果界面不正常，请重新启动。",
                   "KefuDesk ran into an unexpected problem; it has been recorded for the technical team.\nUnsent messages are saved and will not be lost.\nYou can keep working; if something looks wrong, restart."),
    "crash.report_at": ("报告位置：{path}", "Report: {path}"),
    "crash.restart": ("重新启动", "Restart"),
    "crash.continue": ("继续使用", "Keep working"),
    "security.title": ("报告安全问题", "Report a security problem"),
    "security.explain": ("发现账号被盗用、权限异常或可疑操作时，请描述发生了什么。报告会保存在本机，由你发给 IT。",
                         "If your account seems misused, permissions look wrong or something is suspicious, describe what happened. The report is saved on this computer for you to send to IT."),
    "security.placeholder": ("例如：14:20 发现有会话被转给了我不认识的同事；我没有做过这个操作。",
                             "For example: at 14:20 a conversation was transferred to a colleague I don't know; I did not do that."),
    "security.includes": ("报告将包含：你的描述、当前时间、账号 {account}、当前窗口截图、最近 {lines} 行日志（电话、证件号、地址和凭据已遮盖）。",
                          "The report will hold: your description, the time, account {account}, a screenshot of the window and the last {lines} log lines (phones, ID numbers, addresses and credentials masked)."),
    "security.no_screenshot": ("（这次没有可用的窗口截图。）", "(No window screenshot is available this time.)"),
    "security.save": ("保存报告", "Save report"),
    "security.empty": ("请先描述发生了什么。", "Describe what happened first."),
    "security.saved": ("报告已保存到：\n{path}\n请立即发给 IT 或主管。", "Report saved to:\n{path}\nSend it to IT or your supervisor now."),
    "security.failed": ("无法保存报告：{error}", "Could not save the report: {error}"),
    "security.copy_path": ("复制路径", "Copy path"),
    "security.open_folder": ("打开所在文件夹", "Open folder"),
    "security.readme": (
        "客服台安全问题报告（{time}，账号 {account}）\n"
        "description.txt：客服的描述；report.json：时间、账号、版本、系统\n"
        "recent-log.txt：最近的日志（已遮盖电话、证件号、地址和凭据）；screenshot.png：当时的窗口",
        "KefuDesk security report ({time}, account {account})\n"
        "description.txt: the agent's description; report.json: time, account, version, OS\n"
        "recent-log.txt: the latest log lines (phones, ID numbers, addresses and credentials masked); screenshot.png: the window"),
}

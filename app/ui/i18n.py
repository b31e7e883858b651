"""User-visible text: Simplified Chinese first, English available; whole sentences with fields."""

from __future__ import annotations

from typing import Any

# key -> (简体中文, English). Templates take named fields so translators can move them.
CATALOG: dict[str, tuple[str, str]] = {
    "app.title": ("客服台", "KefuDesk"),
    "login.title": ("登录 · 客服台", "Sign in · KefuDesk"),
    "login.server": ("服务器", "Server"),
    "login.account": ("账号", "Account"),
    "login.account_hint": ("工号@公司域名，例如 10086@shop.example",
                           "employee-ID@company-domain, e.g. 10086@shop.example"),
    "login.password": ("密码", "Password"),
    "login.remember": ("自动登录（夜班交接前请关闭）", "Sign in automatically (turn off before night-shift handover)"),
    "login.submit": ("登录", "Sign in"),
    "login.busy": ("正在登录…", "Signing in…"),
    "login.no_keyring": ("本机没有安全的系统钥匙串，无法保存登录状态；每次需输入密码。",
                         "No secure system keyring here: sign-in cannot be remembered."),
    "login.fail.format": ("账号格式应为“工号@公司域名”，例如 10086@shop.example",
                          "The account must look like employee-ID@company-domain, e.g. 10086@shop.example"),
    "login.fail.network": ("无法连接服务器。请检查网络或服务器地址，稍后重试。",
                           "Cannot reach the server. Check the network or the server address and retry."),
    "login.fail.tls": ("服务器证书不受信任。请联系 IT 配置证书。",
                       "The server's certificate is not trusted. Ask IT to configure the CA bundle."),
    "login.fail.insecure": ("出于安全考虑只能使用 https 地址（本机地址除外）。",
                            "Only https addresses are allowed (except this machine)."),
    "login.fail.server": ("服务器出错，请稍后重试；如持续出现请联系 IT。",
                          "The server failed. Retry shortly; tell IT if it keeps happening."),
    "login.fail.protocol": ("这个地址不是客服台服务器，请检查服务器地址。",
                            "That address is not a KefuDesk server. Check the server address."),
    "login.fail.credentials": ("账号或密码错误，还可尝试 {attempts} 次。",
                               "Wrong account or password; {attempts} attempt(s) left."),
    "login.fail.locked": ("账号已锁定至 {time}。请联系组长或主管解锁。",
                          "Account locked until {time}. Ask your lead or supervisor to unlock it."),
    "login.fail.disabled": ("账号已停用，请联系管理员。", "Account disabled; contact an admin."),
    "login.fail.session_expired": ("登录已失效，请重新登录。", "Session expired; sign in again."),
    "login.fail.profile_in_use": ("客服台已在本机以该账号打开，请切换到已打开的窗口。",
                                  "KefuDesk is already open for this account on this computer."),
    "password.title": ("修改初始密码", "Change your initial password"),
    "password.explain": ("首次登录必须先修改初始密码（工号后六位）。新密码至少 8 位，包含字母和数字。",
                         "Change the initial password before anything else. Use 8+ characters with letters and digits."),
    "password.old": ("原密码", "Current password"),
    "password.new": ("新密码", "New password"),
    "password.repeat": ("再次输入", "Repeat"),
    "password.mismatch": ("两次输入的新密码不一致。", "The new passwords differ."),
    "password.weak": ("新密码太简单：至少 8 位，包含字母和数字，且不同于初始密码。",
                      "Too weak: 8+ characters with letters and digits, unlike the initial password."),
    "password.wrong": ("原密码不正确。", "The current password is wrong."),
    "common.ok": ("确定", "OK"),
    "common.cancel": ("取消", "Cancel"),
    "status.online": ("在线", "Online"),
    "status.busy": ("忙碌", "Busy"),
    "status.away": ("离开", "Away"),
    "status.offline": ("离线", "Offline"),
    "sync.synced": ("已同步", "Synced"),
    "sync.pending": ("{count} 条待发送", "{count} pending"),
    "sync.connecting": ("正在连接…", "Connecting…"),
    "sync.offline_since": ("离线（自 {time}）", "Offline since {time}"),
    "sync.degraded": ("服务器异常，正在重试", "Server trouble; retrying"),
    "sync.bootstrap": ("正在下载数据… {count} 条", "Downloading… {count} rows"),
    "sync.rejected": ("{count} 条未能发送", "{count} not sent"),
    "banner.offline": ("网络已断开：可以继续查看和回复，消息会在恢复后自动发送。",
                       "Offline: keep reading and replying; messages go out when the connection returns."),
    "banner.session": ("登录已失效，请重新登录后继续同步。", "Session expired: sign in again to keep syncing."),
    "list.empty": ("暂无会话", "No conversations"),
    "list.waiting": ("等待 {time}", "waiting {time}"),
    "chat.none": ("请选择左侧的会话", "Pick a conversation on the left"),
    "chat.sending": ("发送中", "sending"),
    "chat.rejected": ("未发送：{reason}（双击重试）", "Not sent: {reason} (double-click to retry)"),
    "composer.placeholder": ("输入回复，Enter 发送，Shift+Enter 换行",
                             "Type a reply: Enter sends, Shift+Enter adds a line"),
    "composer.too_long": ("消息过长：{length} 字，上限 {limit} 字。", "Too long: {length} characters, limit {limit}."),
    "composer.send": ("发送", "Send"),
    "menu.logout": ("注销", "Log out"),
    "menu.quit": ("退出", "Quit"),
    "menu.language": ("English", "中文"),
    "error.title": ("出错了", "Something went wrong"),
    "error.unexpected": ("操作没有完成。已记录日志，您的消息不会丢失。",
                         "That did not finish. It was logged; no message was lost."),
}


class Tr:
    """Looks up text in the chosen language ('zh' or 'en')."""

    def __init__(self, language: str = "zh") -> None:
        self.language = "en" if language.startswith("en") else "zh"

    def __call__(self, key: str, **fields: Any) -> str:
        zh, en = CATALOG.get(key, (key, key))
        template = en if self.language == "en" else zh
        return template.format(**fields) if fields else template

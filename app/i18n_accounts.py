"""Text of login locks (H1.3), password-reset requests (H1.11)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
ACCOUNTS_TEXT: dict[str, tuple[str, str]] = {
    "login.fail.session_ended": (
        "您的登录已在服务器上结束（组长强制下线、密码被重置或会话被撤销）。"
        "未发送的内容已保留，重新登录后会继续发送。",
        "The server ended your session (your lead took you offline, or your password was "
        "reset). Unsent work is kept and goes out after you sign in again.",
    ),
    "login.fail.locked_late": (
        "您未在{shift}（{starts} 开始）后 {grace} 分钟内登录，账号已锁定至 {time}。"
        "请联系本班组长在交接班看板中为您解锁，解锁后即可正常登录。",
        "You did not sign in within {grace} minutes of your shift {shift} starting at {starts}, "
        "so the account is locked until {time}. Ask your shift lead to unlock it on the shift "
        "board; then you can sign in.",
    ),
    "login.fail.locked_late_plain": (
        "您未在班次开始后按时登录，账号已锁定至 {time}。请联系本班组长在交接班看板中为您解锁。",
        "You did not sign in on time for your shift, so the account is locked until {time}. "
        "Ask your shift lead to unlock it on the shift board.",
    ),
    "login.forgot": ("忘记密码？", "Forgot password?"),
    "reset.title": ("忘记密码", "Forgot password"),
    "reset.explain": (
        "输入您的账号并提交重置申请。组长在交接班看板中批准后，密码恢复为初始密码"
        "（工号后六位），首次登录时须修改密码。",
        "Enter your account and send a reset request. Once your lead approves it on the shift "
        "board, your password is the initial one again (the last six digits of your employee "
        "ID) and must be changed when you first sign in.",
    ),
    "reset.account": ("账号", "Account"),
    "reset.submit": ("提交申请", "Send request"),
    "reset.cancel": ("取消", "Cancel"),
    "reset.busy": ("正在提交重置申请…", "Sending the reset request…"),
    "reset.sent": (
        "已提交 {account} 的重置密码申请。请联系组长批准；批准后用初始密码（工号后六位）登录，"
        "并按提示设置新密码。",
        "The reset request for {account} has been sent. Ask your lead to approve it; then sign "
        "in with the initial password (the last six digits of your employee ID) and set a new "
        "one when asked.",
    ),
    "team.late_login_lock": (
        "上班迟到锁定：班次开始后超过宽限时间仍未登录的客服须由组长解锁",
        "Late-login lock: an agent not signed in within the grace after the shift starts "
        "needs the lead to unlock",
    ),
    "team.late_login_grace": ("登录宽限", "Sign-in grace"),
    "team.handover_alert": ("交接未确认提醒", "Alert on unacknowledged handover after"),
    "team.minutes": (" 分钟", " min"),
}

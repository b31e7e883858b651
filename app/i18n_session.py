"""Text of the session rules (away lock, idle timeout, log out vs exit, shared-desk wipe)."""

from __future__ import annotations

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
SESSION_TEXT: dict[str, tuple[str, str]] = {
    "session.lock_action": ("离开并锁定", "Away and lock"),
    "session.lock.title": ("已锁定 · 客服台", "Locked · KefuDesk"),
    "session.lock.heading": ("工作台已锁定", "This desk is locked"),
    "session.lock.who": ("{name}（{account}）", "{name} ({account})"),
    "session.lock.away": ("您已离开，状态为“离开”，不会分配新会话。输入密码解锁（H1.7）。",
                          "You are away: no new conversations are assigned. "
                          "Enter your password to unlock (H1.7)."),
    "session.lock.idle": ("超过 {minutes} 分钟无操作，已自动离线并锁定，不再分配新会话（H1.6）。"
                          "输入密码解锁。",
                          "No activity for {minutes} minutes: you were set offline and the "
                          "desk was locked; no new conversations are assigned (H1.6). "
                          "Enter your password to unlock."),
    "session.lock.password": ("登录密码", "Your sign-in password"),
    "session.lock.unlock": ("解锁", "Unlock"),
    "session.lock.logout": ("注销", "Log out"),
    "session.lock.checking": ("正在验证…", "Checking…"),
    "session.lock.empty": ("请输入密码。", "Enter your password."),
    "session.lock.wrong": ("密码错误，还可尝试 {attempts} 次；用完将强制注销。",
                           "Wrong password; {attempts} attempt(s) left before you are "
                           "logged out."),
    "session.lock.unverifiable": ("无法连接服务器，而本次是自动登录（没有输入过密码），离线时无法"
                                  "验证密码。请等网络恢复后再试，或点“注销”。",
                                  "The server cannot be reached, and this session started with "
                                  "automatic sign-in (no password was typed), so the password "
                                  "cannot be checked offline. Retry when the network is back, "
                                  "or log out."),
    "session.forced.too_many": ("锁定界面连续 {count} 次密码错误，已强制注销（H1.7）。",
                                "{count} wrong passwords at the lock screen: you were logged "
                                "out (H1.7)."),
    "session.forced.refused": ("解锁未通过：{reason} 已注销。", "Unlock refused: {reason} "
                               "You were logged out."),
    "session.auto_login.title": ("自动登录", "Automatic sign-in"),
    "session.auto_login.shared_computer": ("公用电脑不能开启自动登录（H1.8）。",
                                           "Automatic sign-in is not allowed on a shared "
                                           "computer (H1.8)."),
    "session.auto_login.policy": ("自动登录由 IT 统一设定，不能在此修改。",
                                  "IT decides automatic sign-in on this computer."),
    "session.auto_login.auto_login_off": ("IT 已禁止在本机自动登录。",
                                          "IT has turned off automatic sign-in on this "
                                          "computer."),
    "session.auto_login.no_keyring": ("本机没有安全的系统钥匙串，无法保存登录状态。",
                                      "No secure system keyring here: the sign-in cannot be "
                                      "remembered."),
    "session.unsent.title": ("还有未发送的内容", "Not everything was sent"),
    "session.unsent.text": ("还有 {count} 条消息或操作未发送到服务器。\n"
                            "这是公用电脑：退出或注销时会清除本机的全部数据，这些内容之后无法再"
                            "发送，顾客也不会收到。",
                            "{count} message(s) or action(s) have not reached the server.\n"
                            "This is a shared computer: exiting or logging out clears all its "
                            "local data, so they can never be sent and the customers will not "
                            "get them."),
    "session.unsent.text_volatile": (
        "还有 {count} 条消息或操作未发送到服务器。\n"
        "本机没有安全的系统钥匙串，本地缓存不会保留：退出或注销后这些内容无法再发送，顾客也不会收到。",
        "{count} message(s) or action(s) have not reached the server.\n"
        "There is no secure system keyring here, so the local cache is not kept: after exiting "
        "or logging out they can never be sent and the customers will not get them."),
    "session.unsent.explain": ("等待：再尝试发送 {seconds} 秒。\n仍然退出：放弃这些内容并清除本机"
                               "数据。\n继续工作：不退出，稍后再试。",
                               "Wait: keep trying to send for {seconds} more seconds.\n"
                               "Exit anyway: give them up and clear the local data.\n"
                               "Keep working: do not exit; try again later."),
    "session.unsent.wait": ("等待", "Wait"),
    "session.unsent.discard": ("仍然退出", "Exit anyway"),
    "session.unsent.keep_working": ("继续工作", "Keep working"),
    "session.cache_damaged.title": ("本地缓存已重建", "Local cache rebuilt"),
    "session.cache_damaged.body": (
        "本机的本地缓存文件已损坏（{reason}），已移到 {folder} 并从服务器重新同步。"
        "损坏前未发送的 {count} 条操作已重新排队发送。",
        "This computer's local cache was damaged ({reason}). It was moved to {folder} and is "
        "synced again from the server. {count} unsent actions from before were queued again."),
    "session.cache_damaged.unreadable": (
        "部分未发送的操作无法从损坏的文件读回：请把 {folder} 交给 IT 处理。",
        "Some unsent actions could not be read back from the damaged file: give {folder} "
        "to IT."),
    "session.cache_damaged.truncated": ("文件被截断", "the file was cut off"),
    "session.cache_damaged.not_sqlite": ("文件已不是数据库", "the file is no longer a database"),
    "session.cache_damaged.malformed": ("数据库结构损坏", "the database structure is broken"),
    "session.cache_key_lost.body": (
        "本机系统钥匙串里已没有本地缓存的密钥（钥匙串被重置，或换了系统账户），加密的缓存无法再"
        "读取。它已移到 {folder}，并从服务器重新同步。其中尚未发到服务器的回复和操作无法恢复："
        "请确认最近发出的回复顾客已收到。",
        "The key of this computer's local cache is no longer in the system keyring (the "
        "keyring was reset, or this is another system account), so the encrypted cache cannot "
        "be read. It was moved to {folder} and is being synced again from the server. Replies "
        "and actions not yet sent to the server cannot be recovered: check that your latest "
        "replies reached the customer."),
    "selftest.db_ok_encrypted": (
        "{checked} 个本地缓存通过完整性检查；{encrypted} 个已加密（H11.3），登录时检查",
        "{checked} cache(s) pass the integrity check; {encrypted} encrypted (H11.3), checked "
        "at sign-in"),
    "session.volatile.login": (
        "本机没有安全的系统钥匙串：无法保存登录状态，本地缓存也不会保留（退出即删除，断网时"
        "未发出的回复在退出后会丢失）。",
        "No secure system keyring here: sign-in cannot be remembered and the local cache is "
        "not kept (deleted at exit; replies not sent while offline are lost when you exit)."),
    "session.volatile.title": ("本地缓存不会保存", "Local cache is not kept"),
    "session.volatile.body": (
        "本机没有可用的安全系统钥匙串，客服台无法保护存放在本机的聊天记录和顾客资料，因此不在"
        "磁盘上保留它们：本次的缓存只在运行期间使用（加密，密钥只在内存中），退出时删除。"
        "断网时未发出的回复在退出或重启后会丢失；每次登录都要从服务器重新同步。"
        "请联系 IT 启用系统钥匙串（Windows 凭据管理器、GNOME 密钥环或 KWallet）。",
        "This computer has no usable secure system keyring, so KefuDesk cannot protect chat "
        "records and customer details stored here and does not keep them on disk: this run's "
        "cache is used only while it runs (encrypted, its key only in memory) and deleted at "
        "exit. Replies not sent while offline are lost when you exit or restart; every sign-in "
        "syncs again from the server. Ask IT to enable the system keyring (Windows Credential "
        "Manager, GNOME Keyring or KWallet)."),
}

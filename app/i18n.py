"""User-visible text: Simplified Chinese first, English available; whole sentences with fields."""

from __future__ import annotations

from typing import Any

from app.i18n_accounts import ACCOUNTS_TEXT
from app.i18n_admin import ADMIN_TEXT
from app.i18n_board import BOARD_TEXT
from app.i18n_diagnostics import DIAGNOSTICS_TEXT
from app.i18n_handover import HANDOVER_TEXT
from app.i18n_kb import KB_TEXT
from app.i18n_notify import NOTIFY_TEXT
from app.i18n_orders import ORDERS_TEXT
from app.i18n_phrases import PHRASES_TEXT
from app.i18n_prefs import PREFS_TEXT
from app.i18n_products import PRODUCTS_TEXT
from app.i18n_session import SESSION_TEXT
from app.i18n_shortcuts import SHORTCUTS_TEXT
from app.i18n_workstation import WORKSTATION_TEXT
from app.settings import ConfigProblem

# key -> (简体中文, English). Templates take named fields so translators can move them.
_BASE_TEXT: dict[str, tuple[str, str]] = {
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
    "login.fail.rate_limited": (
        "这台电脑所在网络的登录失败次数过多，请稍后再试；忘记密码请点“忘记密码”找组长重置。",
        "Too many failed logins from this network; try again later, or use “Forgot password” "
        "to ask your lead for a reset."),
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
    "config.banner": ("配置有问题，已忽略有误的项：", "Configuration problems (the wrong entries are ignored):"),
    "config.where": ("{source} 中的 {setting}", "{setting} in {source}"),
    "config.syntax": ("{source} 无法解析：{error}", "{source} cannot be parsed: {error}"),
    "config.unreadable": ("无法读取 {source}：{error}", "Cannot read {source}: {error}"),
    "config.unknown_key": ("{where}：没有这个设置项（拼写错误？）", "{where}: no such setting (a typo?)"),
    "config.wrong_type": ("{where}：应为{expected}，现为 {value}", "{where}: should be {expected}, is {value}"),
    "config.bad_choice": ("{where}：{value} 不是可选值（{choices}）", "{where}: {value} is not one of {choices}"),
    "config.out_of_range": ("{where}：{value} 超出范围 {low}–{high}", "{where}: {value} is outside {low}–{high}"),
    "config.bad_url": ("{where}：“{value}” 不是有效的服务器地址", "{where}: “{value}” is not a server address"),
    "config.insecure_url": ("{where}：“{value}” 未加密；只能使用 https（本机地址除外）",
                            "{where}: “{value}” is not encrypted; use https (http only to this machine)"),
    "config.ca_missing": ("{where}：证书文件 {path} 无法读取（{error}）", "{where}: CA file {path} cannot be read ({error})"),
    "config.ca_not_pem": ("{where}：{path} 不是 PEM 格式的证书文件", "{where}: {path} is not a PEM certificate file"),
    "config.locked_unknown": ("{where}：锁定了不存在的设置项 {value}", "{where}: locks unknown setting(s) {value}"),
    "type.bool": ("“true”或“false”", "true or false"),
    "type.int": ("整数", "a whole number"),
    "type.str": ("带引号的文本", "quoted text"),
    "type.list": ("列表，例如 [\"server_url\"]", "a list, e.g. [\"server_url\"]"),
    "probe.ok": ("已连接 {url}", "Connected to {url}"),
    "probe.insecure": ("“{url}” 不可用：只能使用 https 地址（本机地址除外）",
                       "“{url}” refused: only https addresses (http only to this machine)"),
    "probe.network": ("无法连接 {url}（地址错误、网络不通或服务器未运行）",
                      "Cannot reach {url} (wrong address, no network, or server down)"),
    "probe.tls": ("{url} 的证书不受信任（需要配置公司 CA 证书）",
                  "The certificate of {url} is not trusted (configure the company CA)"),
    "probe.server": ("{url} 的服务器出错", "The server at {url} is failing"),
    "probe.protocol": ("{url} 不是客服台服务器", "{url} is not a KefuDesk server"),
    "probe.incompatible": ("{url} 的服务器版本与本客户端不兼容，请升级", "The server at {url} speaks another protocol version; upgrade"),
    "selftest.check.configuration": ("配置", "configuration"),
    "selftest.check.server": ("服务器连接", "server reachable"),
    "selftest.check.tls": ("TLS 证书", "TLS"),
    "selftest.check.protocol": ("协议兼容", "protocol"),
    "selftest.check.keyring": ("系统钥匙串", "keyring"),
    "selftest.check.data_dir": ("数据目录可写", "data directory"),
    "selftest.check.database": ("本地数据库", "database"),
    "selftest.check.qt_font": ("Qt 与中文字体", "Qt and CJK font"),
    "selftest.check.notifications": ("桌面通知", "notifications"),
    "selftest.no_policy": ("无机器策略", "no machine policy"),
    "selftest.config_ok": ("机器策略：{policy}；用户设置：{user}", "machine policy: {policy}; user settings: {user}"),
    "selftest.no_server": ("未配置服务器（deploy.toml 的 server_url、设置或 --server）",
                           "no server configured (server_url in deploy.toml, settings, or --server)"),
    "selftest.from_policy": ("来自机器策略", "from the machine policy"),
    "selftest.from_user": ("来自用户设置", "from user settings"),
    "selftest.from_default": ("默认值", "default"),
    "selftest.from_command_line": ("来自命令行", "from the command line"),
    "selftest.with_source": ("{problem}（{source}）", "{problem} ({source})"),
    "selftest.with_detail": ("{problem}：{detail}", "{problem}: {detail}"),
    "selftest.tls_untrusted_ca": ("{problem}；已配置的 CA：{ca}", "{problem}; CA configured: {ca}"),
    "selftest.skip_no_server": ("未检查：没有可用的服务器", "not checked: no server answered"),
    "selftest.skip_untrusted": ("未检查：证书不受信任", "not checked: the certificate is not trusted"),
    "selftest.tls_loopback": ("本机 http 地址，不使用 TLS", "loopback http: TLS not used"),
    "selftest.tls_ok": ("证书已验证（{ca}）", "certificate verified ({ca})"),
    "selftest.system_ca": ("系统证书库", "system store"),
    "selftest.protocol_ok": ("服务器 {version}，协议 v{protocol}，数据库 {database}",
                             "server {version}, protocol v{protocol}, database {database}"),
    "selftest.no_keyring": ("没有安全的钥匙串（{backend}），自动登录不可用",
                            "no secure keyring ({backend}); auto-login unavailable"),
    "selftest.db_corrupt": ("{path} 未通过完整性检查", "{path} failed the integrity check"),
    "selftest.db_ok": ("{count} 个本地缓存通过完整性检查", "{count} cache(s) pass the integrity check"),
    "selftest.db_new": ("尚无缓存；新缓存可创建并通过检查", "no cache yet; a new one opens and passes"),
    "selftest.db_new_failed": ("新建的缓存未通过完整性检查", "a new cache failed the integrity check"),
    "selftest.font_ok": ("Qt 平台 {platform}，中文字体 {family}", "Qt platform {platform}, CJK font {family}"),
    "selftest.no_font": ("没有简体中文字体（请安装 fonts-noto-cjk）", "no Simplified Chinese font (install fonts-noto-cjk)"),
    "selftest.notify_ok": ("会话总线上有 {service}", "{service} on the session bus"),
    "selftest.notify_tray": ("系统托盘通知可用", "system tray notifications"),
    "selftest.notify_missing": ("没有 {service}：无法弹出桌面通知（提醒仍在窗口内显示）",
                                "no {service}: desktop popups unavailable (alerts still show in the window)"),
    "selftest.notify_no_bus": ("没有 D-Bus 会话总线：无法弹出桌面通知（提醒仍在窗口内显示）",
                               "no D-Bus session bus: desktop popups unavailable (alerts still show in the window)"),
    "selftest.notify_no_tray": ("没有系统托盘：无法弹出桌面通知（提醒仍在窗口内显示）",
                                "no system tray: desktop popups unavailable (alerts still show in the window)"),
    "selftest.passed": ("自检通过", "self-test passed"),
    "selftest.failed": ("自检未通过：{names}", "self-test FAILED: {names}"),
    "wizard.title": ("连接服务器 · 客服台", "Connect to a server · KefuDesk"),
    "wizard.intro": ("首次使用：请输入公司客服台服务器的地址（可向 IT 询问），测试连接后保存。",
                     "First run: enter your company's KefuDesk server address (ask IT), test it, then save."),
    "wizard.url": ("服务器地址", "Server address"),
    "wizard.ca": ("公司 CA 证书（可选）", "Company CA file (optional)"),
    "wizard.ca_hint": ("PEM 文件；使用公共证书时留空", "PEM file; leave empty for public certificates"),
    "wizard.browse": ("浏览…", "Browse…"),
    "wizard.test": ("测试连接", "Test connection"),
    "wizard.testing": ("正在测试…", "Testing…"),
    "wizard.ok": ("已连接 {url}：客服台服务器 {version}，{security}。", "Connected to {url}: KefuDesk server {version}, {security}."),
    "wizard.tls_ok": ("证书有效（{ca}）", "certificate valid ({ca})"),
    "settings.title": ("设置 · 客服台", "Settings · KefuDesk"),
    "settings.locked.policy": ("由 IT 统一设定（{source}），不能在此修改。", "Set by IT ({source}); cannot be changed here."),
    "settings.locked.shared_computer": ("公用电脑不能自动登录（IT 设定：{source}，H1.8）。",
                                        "No auto-login on a shared computer (set by IT: {source}, H1.8)."),
    "settings.locked.auto_login_off": ("IT 已禁止在本机自动登录（{source}）。",
                                       "IT has turned off auto-login on this computer ({source})."),
    "settings.invalid": ("“{setting}” 的值无效，请检查。", "The value of “{setting}” is not valid."),
    "settings.restart_note": ("服务器地址和语言在重新启动后生效。", "Server address and language take effect after a restart."),
    "setting.server_url": ("服务器地址", "Server address"),
    "setting.server_url.help": ("https://…；仅本机可用 http", "https://…; http only to this machine"),
    "setting.ca_bundle": ("公司 CA 证书", "Company CA file"),
    "setting.ca_bundle.help": ("额外信任的 CA 证书（PEM 文件）", "Extra trusted certificate authorities (PEM file)"),
    "setting.language": ("界面语言", "Language"),
    "setting.language.help": ("重新启动后生效", "Takes effect after a restart"),
    "setting.language.zh": ("简体中文", "简体中文 (Chinese)"),
    "setting.language.en": ("English", "English"),
    "setting.auto_login": ("自动登录", "Sign in automatically"),
    "setting.auto_login.help": ("使用系统钥匙串保存登录状态；夜班交接前请关闭（H1.9）",
                                "Keeps the sign-in in the system keyring; turn off before night-shift handover (H1.9)"),
    "setting.log_level": ("日志详细程度", "Log detail"),
    "setting.log_level.help": ("排查问题时 IT 可能要求设为“调试”", "IT may ask for Debug when diagnosing"),
    "setting.log_level.DEBUG": ("调试", "Debug"),
    "setting.log_level.INFO": ("一般", "Normal"),
    "setting.log_level.WARNING": ("仅警告", "Warnings only"),
    "setting.log_level.ERROR": ("仅错误", "Errors only"),
    "about.title": ("关于客服台", "About KefuDesk"),
    "about.app": ("客服台版本", "KefuDesk version"),
    "about.qt": ("Qt 版本", "Qt version"),
    "about.python": ("Python 版本", "Python version"),
    "about.server_url": ("服务器地址", "Server address"),
    "about.server": ("服务器版本", "Server version"),
    "about.server_asking": ("正在查询…", "Asking…"),
    "about.server_version": ("{version}（协议 v{protocol}，{database}）", "{version} (protocol v{protocol}, {database})"),
    "about.data_dir": ("数据目录", "Data folder"),
    "about.logs": ("日志文件", "Log file"),
    "about.policy": ("机器策略文件", "Machine policy file"),
    "about.copy": ("复制以上信息", "Copy these details"),
    "login.settings": ("设置…", "Settings…"),
    "login.change_server": ("更换服务器…", "Change server…"),
    "login.about": ("关于", "About"),
    "login.server_policy": ("{url}（由 IT 设定）", "{url} (set by IT)"),
    "login.server_problem": ("{problem}。{origin}", "{problem}. {origin}"),
    "login.origin.policy": ("该地址由 IT 在 {path} 中设定。", "IT set this address in {path}."),
    "login.origin.user": ("该地址来自您的设置 {path}，可点“更换服务器…”修改。",
                          "This address is from your settings ({path}): use “Change server…”."),
    "login.origin.command_line": ("该地址来自命令行 --server。", "This address is from --server on the command line."),
    "login.shared": ("公用电脑：不保存账号，注销时清除本机缓存（H1.8）。",
                     "Shared computer: no remembered account; the local cache is cleared at log-out (H1.8)."),
    "login.auto_login_off": ("IT 已禁止在本机自动登录。", "IT has turned off auto-login on this computer."),
    "menu.settings": ("设置…", "Settings…"),
    "menu.about": ("关于客服台", "About KefuDesk"),
    "menu.help": ("帮助", "Help"),
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
    "composer.too_long": ("消息过长：{length} 字，上限 {limit} 字。", "Too long: {length} characters, limit {limit}."),
    "composer.send": ("发送", "Send"),
    "menu.logout": ("注销", "Log out"),
    "menu.quit": ("退出", "Quit"),
    "menu.language": ("English", "中文"),
    "error.title": ("出错了", "Something went wrong"),
    "error.unexpected": ("操作没有完成。已记录日志，您的消息不会丢失。",
                         "That did not finish. It was logged; no message was lost."),
}

TEXT_MODULES: tuple[dict[str, tuple[str, str]], ...] = (
    _BASE_TEXT, SESSION_TEXT, WORKSTATION_TEXT, PREFS_TEXT, PHRASES_TEXT, SHORTCUTS_TEXT,
    NOTIFY_TEXT, DIAGNOSTICS_TEXT, ACCOUNTS_TEXT, HANDOVER_TEXT, BOARD_TEXT, ORDERS_TEXT,
    KB_TEXT, PRODUCTS_TEXT, ADMIN_TEXT)
CATALOG: dict[str, tuple[str, str]] = {k: v for part in TEXT_MODULES for k, v in part.items()}


class Tr:
    """Looks up text in the chosen language ('zh' or 'en')."""

    def __init__(self, language: str = "zh") -> None:
        self.language = "en" if language.startswith("en") else "zh"

    def __call__(self, key: str, **fields: Any) -> str:
        zh, en = CATALOG.get(key, (key, key))
        template = en if self.language == "en" else zh
        return template.format(**fields) if fields else template


def problem_text(tr: Tr, problem: ConfigProblem) -> str:
    """One configuration problem as a sentence that says what is wrong and where."""
    fields = dict(problem.fields)
    if "expected" in fields:
        fields["expected"] = tr(f"type.{fields['expected']}")
    where = tr("config.where", source=problem.source, setting=problem.key)
    return tr(f"config.{problem.kind}", source=problem.source, where=where, **fields)

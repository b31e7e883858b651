"""Errors the API answers: a machine code, a human message (zh first, en on request), extras."""

from __future__ import annotations

from typing import Any

# code -> (HTTP status, Chinese template, English template). Templates use named fields only.
CATALOG: dict[str, tuple[int, str, str]] = {
    "invalid_request": (400, "请求格式不正确：{detail}", "Invalid request: {detail}"),
    "invalid_json": (400, "请求体不是有效的 UTF-8 JSON", "Request body is not valid UTF-8 JSON"),
    "invalid_account_format": (
        400,
        "账号格式应为“工号@公司域名”，例如 10086@shop.example",
        "Account must look like employee-ID@company-domain, e.g. 10086@shop.example",
    ),
    "too_many_attempts": (
        429,
        "该网络地址登录失败次数过多，请 {retry_after} 秒后再试",
        "Too many failed logins from this address; try again in {retry_after} s",
    ),
    "invalid_credentials": (
        401,
        "账号或密码错误，还可尝试 {attempts_left} 次",
        "Wrong account or password; {attempts_left} attempt(s) left",
    ),
    "account_locked": (
        423,
        "账号已锁定至 {locked_until}，请联系组长或管理员解锁",
        "Account locked until {locked_until}; ask your lead or an admin to unlock it",
    ),
    "account_disabled": (403, "账号已停用，请联系管理员", "Account disabled; contact an admin"),
    "password_change_required": (
        403,
        "首次登录请先修改初始密码",
        "Change your initial password before doing anything else",
    ),
    "weak_password": (
        400,
        "新密码至少 8 位，需同时包含字母和数字，且不能与初始密码或旧密码相同",
        "New password needs 8+ characters with letters and digits, unlike the old one",
    ),
    "wrong_password": (400, "原密码不正确", "Old password is wrong"),
    "not_authenticated": (401, "登录已失效，请重新登录", "Not signed in or session expired"),
    "token_expired": (401, "登录已过期，请刷新或重新登录", "Access token expired; refresh it"),
    "invalid_refresh_token": (
        401,
        "登录凭证无效或已被撤销，请重新登录",
        "Refresh token invalid or revoked; sign in again",
    ),
    "forbidden": (403, "没有权限执行此操作", "You are not allowed to do this"),
    "permission_denied": (
        403,
        "没有权限：{detail}。如确有需要，请联系组长或主管授权",
        "Permission denied: {detail}. Ask your lead or supervisor for a grant",
    ),
    "not_found": (404, "找不到请求的内容", "Not found"),
    "method_not_allowed": (405, "不支持该请求方法", "Method not allowed"),
    "payload_too_large": (
        413,
        "请求内容过大（上限 {limit} 字节）",
        "Request too large (limit {limit} bytes)",
    ),
    "unsupported_protocol": (
        426,
        "客户端协议版本 {got} 不受支持，请升级到协议 {expected}",
        "Protocol version {got} unsupported; upgrade to protocol {expected}",
    ),
    "reset_required": (
        409,
        "本地数据需要重新同步",
        "Local data must be rebuilt from the server",
    ),
    "invalid_cursor": (400, "同步游标无效", "Invalid sync cursor"),
    "mutations_out_of_order": (
        400,
        "操作编号必须递增",
        "Mutation ids in a batch must increase",
    ),
    "mutation_gap": (
        409,
        "操作编号不连续：期望 {expected}",
        "Mutation id gap: expected {expected}",
    ),
    "client_mismatch": (
        403,
        "此客户端标识属于另一位客服",
        "This client id belongs to another agent",
    ),
    "temporarily_unavailable": (
        503,
        "服务器暂时繁忙，请稍后重试",
        "Server temporarily unavailable; retry shortly",
    ),
    "visitor_blocked": (
        403,
        "抱歉，当前无法为您提供在线咨询服务。",
        "Sorry, online chat is not available to you at the moment.",
    ),
    "no_service_team": (
        404,
        "该商家暂未开通在线客服",
        "This shop has no online service team",
    ),
    "conversation_closed": (
        409,
        "本次会话已结束，如需继续咨询请发起新会话",
        "This conversation has ended; start a new one",
    ),
    "conversation_not_closed": (
        409,
        "会话结束或客服邀请评价后才能评价",
        "You can rate the conversation once it has ended or the agent asks for a rating",
    ),
    "already_rated": (409, "您已经评价过本次服务", "You already rated this conversation"),
    "message_id_conflict": (
        409,
        "消息编号已被占用",
        "That message id is already used by another message",
    ),
    "internal_error": (500, "服务器内部错误", "Internal server error"),
    # Reasons a pushed mutation is rejected (status is not sent; the push itself answers 200).
    "unknown_mutation": (422, "未知的操作：{name}", "Unknown mutation: {name}"),
    "invalid_args": (422, "操作参数不正确：{detail}", "Invalid mutation arguments: {detail}"),
    "conversation_not_found": (422, "会话不存在或无权访问", "Conversation not found"),
    "not_owner": (
        422,
        "该会话由同事{owner}负责（首问负责制）",
        "This conversation belongs to {owner} (first-contact ownership)",
    ),
    "already_accepted": (422, "会话已被同事{owner}接待", "Already accepted by {owner}"),
    "target_unavailable": (
        422,
        "无法转接给该同事：{detail}",
        "Cannot transfer to that colleague: {detail}",
    ),
    "customer_not_found": (422, "客户不存在或无权访问", "Customer not found"),
    "tag_not_found": (422, "标签不存在", "Tag not found"),
    "note_not_found": (422, "备注不存在或无权访问", "Note not found"),
    "order_not_found": (422, "订单不存在或无权访问", "Order not found"),
    "illegal_transition": (
        422,
        "订单状态不能从“{current}”变为“{target}”",
        "Order status cannot change from {current} to {target}",
    ),
    "stale_status": (
        422,
        "订单状态已变为“{current}”，请刷新后再操作",
        "Order status is now {current}; refresh and try again",
    ),
    "handover_not_found": (422, "交接记录不存在或无权访问", "Handover not found"),
    "setting_too_large": (422, "设置值过大", "Setting value too large"),
    "forbidden_action": (422, "无权执行：{detail}", "Not allowed: {detail}"),
    "phrase_not_found": (422, "快捷短语不存在", "Quick phrase not found"),
    "undo_expired": (
        422,
        "已超过撤回时限（转接后 {seconds} 秒内可撤回），如需转回请联系{owner}",
        "Too late to take it back ({seconds} s after the transfer); ask {owner} to transfer it",
    ),
    "team_not_found": (422, "团队不存在或无权访问", "Team not found"),
    # issue 7: shifts, the lead's desk (H1.3, H1.11, H11.4, H13)
    "account_locked_late": (
        423,
        "您未在{shift}（{starts} 开始）后 {grace} 分钟内登录，账号已锁定。"
        "请联系组长在交接班看板中解锁",
        "You did not sign in within {grace} minutes of your shift {shift} starting at {starts}; "
        "the account is locked until your lead unlocks it on the shift board",
    ),
    "shift_not_found": (422, "班次不存在或无权访问", "Shift not found"),
    "problem_not_found": (422, "问题记录不存在或无权访问", "Problem entry not found"),
    "surge_not_found": (422, "高峰响应不存在或已结束", "Surge not found or already ended"),
    "surge_active": (422, "本组已处于高峰响应中", "This team is already in a surge response"),
    "nothing_to_reassign": (422, "没有可转移的会话", "No conversations to reassign"),
    # issue 8: order special handling, returns, per-permission grants (H5.2-H5.4, H10.2)
    "permission_required": (
        422,
        "需要“{label}”权限（{permission}），请联系主管授权",
        "This needs the permission {permission}; ask a supervisor for a grant",
    ),
    "address_locked_after_shipping": (
        422,
        "订单已是“{current}”，发货后不能再修改地址，可申请拦截",
        "The order is {current}: the address cannot change after shipping (request an "
        "interception instead)",
    ),
    "cancel_window_passed": (
        422,
        "订单已是“{current}”或已超过下单后 {hours} 小时，不能直接取消",
        "The order is {current} or more than {hours} h old; it cannot be cancelled directly",
    ),
    "intercept_not_shipped": (
        422,
        "只有“已发货”的订单可以申请拦截（当前：{current}）",
        "Only a shipped order can be intercepted (it is {current})",
    ),
    "return_not_allowed": (
        422,
        "订单为“{current}”，发货后才能申请退换货",
        "The order is {current}; returns and exchanges start once it has shipped",
    ),
    "return_items_invalid": (
        422,
        "退换商品不正确：{detail}",
        "Return items are not valid: {detail}",
    ),
    "return_not_found": (422, "退换货记录不存在或无权访问", "Return case not found"),
    "return_illegal_transition": (
        422,
        "退换货状态不能从“{current}”变为“{target}”",
        "The return case cannot move from {current} to {target}",
    ),
    "reset_request_not_found": (404, "找不到该密码重置申请", "Password reset request not found"),
    "invalid_window": (400, "时间范围不正确：{detail}", "Invalid time range: {detail}"),
    # Issue 8: logistics problems (H7), order cards, knowledge-base review (H9.2), tags (H4.3).
    "logistics_not_applicable": (
        422,
        "订单状态为“{current}”，不能登记“{problem}”",
        "A {problem} problem cannot be reported on an order that is {current}",
    ),
    "logistics_issue_open": (
        422,
        "该订单已有未处理的物流问题（{problem}），请先处理完",
        "This order already has an open logistics problem ({problem})",
    ),
    "logistics_no_issue": (
        422, "该订单没有待处理的物流问题", "This order has no open logistics problem"),
    "order_not_customers": (
        422,
        "这不是当前客户的订单，不能发送给该客户",
        "That order belongs to another customer and cannot be sent here",
    ),
    "kb_not_found": (422, "知识库条目不存在或已删除", "Knowledge-base entry not found"),
    "kb_stale_version": (
        409,
        "该条目已被他人修改（当前版本 {current}），请重新打开后再改",
        "Someone changed this entry meanwhile (now version {current}); reopen it and edit again",
    ),
    "suggestion_not_found": (422, "找不到该知识库建议", "Knowledge-base suggestion not found"),
    "suggestion_reviewed": (
        422,
        "该建议已经审核过（{status}）",
        "This suggestion was already reviewed ({status})",
    ),
    "tag_too_deep": (422, "标签库最多三级", "The tag library has at most three levels"),
    "tag_exists": (422, "同一级下已有标签“{name}”", "A sibling tag named {name} already exists"),
    "tag_has_children": (
        422,
        "请先删除“{name}”下的子标签",
        "Delete the tags under {name} first",
    ),
}


class ApiError(Exception):
    """Raised anywhere in request handling; rendered as `{code, message, **extra}`."""

    def __init__(self, code: str, *, status: int | None = None, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.status = status or CATALOG.get(code, (400, "", ""))[0]
        self.extra = extra

    def body(self, lang: str = "zh") -> dict[str, Any]:
        return {"code": self.code, "message": render(self.code, lang, **self.extra), **self.extra}


def render(code: str, lang: str = "zh", **fields: Any) -> str:
    """The human message for `code` in `lang` ('zh' or 'en')."""
    _status, zh, en = CATALOG.get(code, (400, code, code))
    template = en if lang == "en" else zh
    try:
        return template.format(**fields)
    except (KeyError, IndexError):
        return template


def pick_language(accept_language: str | None) -> str:
    """'en' when the caller prefers English, otherwise Simplified Chinese."""
    if not accept_language:
        return "zh"
    first = accept_language.split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"

"""Text of the supervisors' tools: permission grants (H10.2) and the tag library (H4.3)."""

from __future__ import annotations

from kefu_protocol.wire import PERMISSION_LABELS_ZH, PERMISSIONS

_PERMISSION_EN: dict[str, str] = {
    "customer.reveal": "See customers' full phone, address and ID numbers",
    "team.configure": "Change the team's response standards and scripts",
    "kb.edit": "Edit the knowledge base",
    "order.refund_large": "Refund or cancel orders above the limit",
    "tag.manage": "Manage the tag library",
    "phrase.team": "Manage the team's quick phrases",
}

# key -> (简体中文, English), merged into app.i18n.CATALOG; keys must not repeat elsewhere.
ADMIN_TEXT: dict[str, tuple[str, str]] = {
    "cmd.admin_grants": ("权限管理…", "Permissions…"),
    "cmd.admin_tags": ("标签库管理…", "Tag library…"),
    # ---- the grants editor (H10.2) ----
    "grants.title": ("权限管理", "Permissions"),
    "grants.intro": ("勾选即授予该客服这项权限。灰色的勾由角色授予，不能在这里取消。",
                     "A tick grants the agent that permission. Grey ticks come with the role and "
                     "cannot be removed here."),
    "grants.filter": ("按姓名或工号筛选", "Filter by name or employee ID"),
    "grants.col.name": ("姓名", "Name"),
    "grants.col.employee_id": ("工号", "Employee ID"),
    "grants.col.role": ("角色", "Role"),
    "grants.col.team": ("所在组", "Team"),
    **{f"grants.perm.{p}": (PERMISSION_LABELS_ZH[p], _PERMISSION_EN[p]) for p in PERMISSIONS},
    "grants.role.agent": ("客服", "Agent"),
    "grants.role.lead": ("组长", "Shift lead"),
    "grants.role.supervisor": ("主管", "Supervisor"),
    "grants.role.admin": ("管理员", "Admin"),
    "grants.by_role": ("由角色授予", "Granted by the role"),
    "grants.edited": ("已修改，尚未保存", "Changed, not saved yet"),
    "grants.not_manageable": ("您只能修改角色低于自己的客服的权限。",
                              "You can only change the permissions of roles below your own."),
    "grants.save": ("保存", "Save"),
    "grants.close": ("关闭", "Close"),
    "grants.unsaved": ("{count} 位客服的权限已修改，尚未保存。",
                       "Permissions of {count} agent(s) changed, not saved yet."),
    "grants.saving": ("正在保存{name}的权限…", "Saving {name}'s permissions…"),
    "grants.saved": ("已保存 {count} 位客服的权限。", "Saved the permissions of {count} agent(s)."),
    "grants.fail.forbidden": (
        "{name}的权限没有保存：只有主管和管理员可以授权，且只能给角色低于自己的客服授权。修改仍保留在表中。",
        "{name}'s permissions were not saved: only supervisors and admins grant permissions, and "
        "only to roles below their own. Your changes are still in the table."),
    "grants.fail.not_found": (
        "{name}的权限没有保存：服务器上找不到这位客服（可能已停用）。修改仍保留在表中。",
        "{name}'s permissions were not saved: the server does not know this agent (disabled?). "
        "Your changes are still in the table."),
    "grants.fail.network": (
        "{name}的权限没有保存：连不上服务器。修改仍保留在表中，网络恢复后请再点“保存”。",
        "{name}'s permissions were not saved: the server cannot be reached. Your changes are "
        "still in the table; press Save again once the network is back."),
    "grants.fail.session_expired": (
        "{name}的权限没有保存：登录已过期，请重新登录后再保存。",
        "{name}'s permissions were not saved: the sign-in has expired; sign in again and save."),
    "grants.fail.invalid_request": (
        "{name}的权限没有保存：服务器不接受这份权限列表。修改仍保留在表中。",
        "{name}'s permissions were not saved: the server did not accept the list. Your changes "
        "are still in the table."),
    "grants.fail.other": ("{name}的权限没有保存：{message}修改仍保留在表中。",
                          "{name}'s permissions were not saved: {message} Your changes are still "
                          "in the table."),
    # ---- the tag library (H4.3) ----
    "taglib.title": ("标签库管理", "Tag library"),
    "taglib.intro": ("客户标签最多三级。修改先保存在本机，联网后同步给所有同事。",
                     "Customer tags have at most three levels. Changes are kept here first and "
                     "reach every colleague once synced."),
    "taglib.col.name": ("标签", "Tag"),
    "taglib.col.customers": ("客户数", "Customers"),
    "taglib.col.state": ("状态", "State"),
    "taglib.pending.add": ("新增，待同步", "New, waiting to sync"),
    "taglib.pending.rename": ("已改名，待同步", "Renamed, waiting to sync"),
    "taglib.pending.delete": ("删除中，待同步", "Being deleted, waiting to sync"),
    "taglib.add_sibling": ("新增同级", "Add sibling"),
    "taglib.add_child": ("新增子标签", "Add child"),
    "taglib.rename": ("重命名", "Rename"),
    "taglib.delete": ("删除", "Delete"),
    "taglib.close": ("关闭", "Close"),
    "taglib.max_level": ("标签库最多三级：第三级标签下不能再加子标签。",
                         "The library has at most three levels: a third-level tag takes no "
                         "children."),
    "taglib.ask.add_title": ("新增标签", "New tag"),
    "taglib.ask.add_top": ("新的一级标签名称：", "Name of the new first-level tag:"),
    "taglib.ask.add_under": ("“{parent}”下的新标签名称：", "Name of the new tag under “{parent}”:"),
    "taglib.ask.rename_title": ("重命名标签", "Rename tag"),
    "taglib.ask.rename": ("“{path}”的新名称：", "New name of “{path}”:"),
    "taglib.ask.ok": ("确定", "OK"),
    "taglib.confirm.title": ("删除标签", "Delete tag"),
    "taglib.confirm.delete": (
        "删除标签“{path}”？目前有 {count} 位客户带有此标签，删除后他们将不再带有它。",
        "Delete the tag “{path}”? {count} customer(s) carry it now; they will lose it."),
    "taglib.done.add": ("已新增“{name}”，同步后同事即可使用。",
                        "Added “{name}”; colleagues can use it once synced."),
    "taglib.done.rename": ("已改名为“{name}”，等待同步。", "Renamed to “{name}”, waiting to sync."),
    "taglib.done.delete": ("已删除“{name}”，等待同步。", "Deleted “{name}”, waiting to sync."),
    "taglib.refused.tag_not_found": ("这个标签已不存在（可能已被同事删除）。",
                                     "That tag no longer exists (a colleague may have deleted "
                                     "it)."),
    "taglib.refused.tag_too_deep": ("标签库最多三级：第三级标签下不能再加子标签。",
                                    "The library has at most three levels: a third-level tag "
                                    "takes no children."),
    "taglib.refused.tag_exists": ("同一级下已有标签“{name}”。",
                                  "A tag named “{name}” already exists at that level."),
    "taglib.refused.tag_has_children": ("不能删除“{name}”：它下面还有子标签，请先删除子标签。",
                                        "“{name}” cannot be deleted: it still has child tags; "
                                        "delete those first."),
    "taglib.refused.tag_name_empty": ("请填写标签名称。", "Enter a name for the tag."),
    "taglib.refused.invalid_name": ("标签名称不符合要求：{message}",
                                    "The tag name is not acceptable: {message}"),
    "taglib.refusals": ("服务器拒绝了以下修改：", "The server refused these changes:"),
    "taglib.refusal.add": ("新增“{name}”被拒绝：{reason}", "Adding “{name}” was refused: {reason}"),
    "taglib.refusal.rename": ("改名为“{name}”被拒绝：{reason}",
                              "Renaming to “{name}” was refused: {reason}"),
    "taglib.refusal.delete": ("删除“{name}”被拒绝：{reason}",
                              "Deleting “{name}” was refused: {reason}"),
    "taglib.dismiss": ("知道了", "Dismiss"),
    "taglib.refused_notice": ("标签库有 {count} 项修改被服务器拒绝，请打开“标签库管理”查看原因。",
                              "{count} tag library change(s) were refused by the server; open "
                              "Tag library to see why."),
    "taglib.empty": ("标签库还是空的。点“新增同级”添加第一个一级标签。",
                     "The library is empty. Press Add sibling to add the first tag."),
}

"""Supervisors' tools: the per-permission grants editor (H10.2) and the three-level tag library
(H4.3) — role defaults fixed, a failed save keeps the edits, tags queued offline-first, at most
three levels, a parent with children never deleted, colleagues' tag pickers follow."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.i18n import Tr
from app.models.store import Store, open_store
from app.services.admin import AgentGrants
from app.services.tag_library import TagLibraryService, TagRefused
from app.sync import outbox
from app.sync.apply import apply_changes
from app.ui.action_dialogs import TagPicker
from app.ui.grants_dialog import GrantsDialog, GrantsModel
from app.ui.tag_library import TagLibraryDialog
from kefu_protocol.wire import Change, MutationResult
from tests.support.api import AgentClient
from tests.support.qt_async import App, aloop, close_app, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

L1, L2, L3 = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002", \
    "00000000-0000-4000-8000-000000000003"


def _tag(tid: str, name: str, level: int, parent: str | None) -> Change:
    return Change(entity="tag", op="upsert", id=tid, data={
        "id": tid, "name": name, "level": level, "parent_id": parent, "version": 1})


def _customer(cid: str, tags: list[str]) -> Change:
    return Change(entity="customer", op="upsert", id=cid, data={
        "id": cid, "team_id": "t", "nickname": cid, "tags": tags, "version": 1})


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "cache.db")
    with s.write() as session:
        apply_changes(session, [
            _tag(L1, "产品使用", 1, None), _tag(L2, "功能操作", 2, L1), _tag(L3, "支付异常", 3, L2),
            _customer("c1", [L3]), _customer("c2", [L3, L1]), _customer("c3", []),
        ], client_id="me")
    yield s
    s.close()


# ---- services and models, no server ----------------------------------------------------------

def test_the_tree_counts_customers_and_checks_each_change_before_queueing(store: Store) -> None:
    pokes: list[int] = []
    tags = TagLibraryService(store, poke=lambda: pokes.append(1))
    lib = tags.library()
    assert [(n.path, n.level, n.customers, n.children) for n in lib.nodes] == [
        ("产品使用", 1, 1, 1), ("产品使用 › 功能操作", 2, 0, 1),
        ("产品使用 › 功能操作 › 支付异常", 3, 2, 0)]
    for call, code in ((lambda: tags.add(L3, "第四级"), "tag_too_deep"),
                       (lambda: tags.add(L1, " 功能操作 "), "tag_exists"),
                       (lambda: tags.add(None, "   "), "tag_name_empty"),
                       (lambda: tags.add("nope", "x"), "tag_not_found"),
                       (lambda: tags.delete(L1), "tag_has_children"),
                       (lambda: tags.add(None, "长" * 61), "invalid_name")):
        with pytest.raises(TagRefused) as refused:
            call()
        assert refused.value.code == code
    assert pokes == [], "nothing refused was queued"

    new = tags.add(L1, "物流")
    assert tags.rename(L2, "功能异常") and not tags.rename(L2, "功能异常 ")
    tags.delete(L3)
    lib = tags.library()
    assert lib.get(new).pending == "add" and lib.get(new).level == 2  # type: ignore[union-attr]
    assert lib.get(L2).name == "功能异常" and lib.get(L2).pending == "rename"  # type: ignore
    assert lib.get(L3).pending == "delete" and lib.get(L2).children == 0  # type: ignore
    tags.delete(L2)  # its only child is on its way out, queued first
    assert len(pokes) == 4

    with store.write() as session:  # the server refuses the new tag: kept with its reason
        batch = outbox.next_batch(session)
        outbox.record_results(session, batch, [
            MutationResult(id=batch[0].mutation_id, status="rejected", code="tag_exists",
                           message="同一级下已有标签“物流”"),
            *(MutationResult(id=p.mutation_id, status="applied") for p in batch[1:])])
    lib = tags.library()
    assert lib.get(new) is None
    [refusal] = lib.refusals
    assert (refusal.action, refusal.name) == ("add", "物流")
    assert refusal.reason == "同一级下已有标签“物流”"
    tags.dismiss([refusal.seq])
    assert tags.library().refusals == ()


def _agent(aid: str, role: str, grants: tuple[str, ...] = (), manageable: bool = True
           ) -> AgentGrants:
    return AgentGrants(id=aid, name=f"客服{aid}", employee_id=f"1000{aid}", role=role,
                       team_id="t", team="售前组", grants=grants, manageable=manageable)


def test_grants_model_role_defaults_fixed_edits_kept_until_confirmed(qtmodeltester: Any) -> None:
    model = GrantsModel(Tr("zh"))
    model.set_rows((_agent("1", "agent", ("phrase.team",)), _agent("2", "lead")))
    qtmodeltester.check(model)
    kb = model.index(0, model.column_of("kb.edit"))
    lead_kb = model.index(1, model.column_of("kb.edit"))
    assert model.headerData(kb.column(), Qt.Orientation.Horizontal) == "编辑知识库"
    assert model.headerData(kb.column(), Qt.Orientation.Horizontal,
                            Qt.ItemDataRole.ToolTipRole) == "kb.edit"
    assert model.data(lead_kb, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.data(lead_kb, Qt.ItemDataRole.ToolTipRole) == "由角色授予"
    assert not model.flags(lead_kb) & Qt.ItemFlag.ItemIsEnabled
    assert not model.setData(lead_kb, Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert model.data(model.index(1, 2)) == "组长"

    assert model.flags(kb) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.setData(kb, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.changed() == [(model.rows[0], ("kb.edit", "phrase.team"))]
    model.set_rows((_agent("1", "agent", ("phrase.team",)), _agent("2", "lead")))
    assert model.edits, "a reload from the cache keeps what is not saved"
    qtmodeltester.check(model)
    model.confirm("1", ("kb.edit", "phrase.team"))
    assert model.changed() == [] and model.rows[0].grants == ("kb.edit", "phrase.team")


def test_the_tag_tree_widget_passes_the_model_tester(qtbot: QtBot, qtmodeltester: Any,
                                                     store: Store) -> None:
    from app.workers import Workers

    workers = Workers()
    try:
        dialog = TagLibraryDialog(TagLibraryService(store, poke=lambda: None), workers,
                                  Tr("zh"))
        qtbot.addWidget(dialog)
        qtmodeltester.check(dialog.model)
        dialog.select(L3)
        assert not dialog.add_child.isEnabled() and dialog.rename.isEnabled()
        assert dialog.add_child.toolTip() == "标签库最多三级：第三级标签下不能再加子标签。"
        assert dialog.cell(L3, 1) == "2" and dialog.cell(L3, 0) == "支付异常"
    finally:
        workers.shutdown()


# ---- end to end, a real server -------------------------------------------------------------

async def _visible(window: Any, kind: type) -> Any:
    return await until(lambda: next((d for d in window.findChildren(kind) if d.isVisible()),
                                    None))


def _server_grants(server: ServerProcess, agent: Any) -> list[str]:
    """The agent's own row as the server sends it to them."""
    client = AgentClient(server.url, agent.account, PASSWORD)
    rows = [c for c in client.pull_all() if c["entity"] == "agent" and c["id"] == agent.id]
    return list(rows[-1]["data"].get("grants") or [])


def test_a_supervisor_grants_kb_edit_and_role_defaults_cannot_be_unticked(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    supervisor = ui_world.agent(company, role="supervisor", name="赵主管")
    agent = ui_world.agent(company, name="李娜")
    lead = ui_world.agent(company, role="lead", name="王组长")

    async def scenario() -> None:
        window = await app.sign_in(supervisor.account, PASSWORD)
        assert window.commands["admin.grants"].isVisible()
        assert window.commands["admin.tags"].isVisible()
        window.commands["admin.grants"].trigger()
        dialog: GrantsDialog = await _visible(window, GrantsDialog)
        model, proxy = dialog.model, dialog.proxy
        await until(lambda: model.row_of(agent.id) >= 0 and model.row_of(lead.id) >= 0)

        lead_kb = model.index(model.row_of(lead.id), model.column_of("kb.edit"))
        assert model.data(lead_kb, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        assert not proxy.setData(proxy.mapFromSource(lead_kb), Qt.CheckState.Unchecked.value,
                                 Qt.ItemDataRole.CheckStateRole), "由角色授予"

        dialog.filter.setText(agent.account.split("@")[0])
        assert proxy.rowCount() == 1
        cell = proxy.index(0, model.column_of("kb.edit"))
        assert proxy.setData(cell, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
        assert dialog.status.text() == "1 位客服的权限已修改，尚未保存。"

        # The network is down: the sentence says so and the tick stays, ready to save again.
        ui_server.stop()
        try:
            dialog.save_button.click()
            await until(lambda: "连不上服务器" in dialog.status.text(), timeout=30)
            assert model.changed() and dialog.save_button.isEnabled()
        finally:
            ui_server.start()
        dialog.save_button.click()
        await until(lambda: dialog.status.text() == "已保存 1 位客服的权限。", timeout=30)
        assert model.changed() == []
        saved = model.index(model.row_of(agent.id), model.column_of("kb.edit"))
        assert model.data(saved, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        assert _server_grants(ui_server, agent) == ["kb.edit"]
        # the synced row arrives through the feed and agrees
        await until(lambda: next(c for c in window.ws.colleagues.all()
                                 if c.id == agent.id).grants == ("kb.edit",), timeout=30)
        dialog.accept()
        await until(lambda: not window.admin_desk.grants_open)

    run(aloop, scenario(), timeout=150)


def test_an_agent_sees_neither_tool_until_granted_tag_manage(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="周芷若")
    supervisor = ui_world.agent(company, role="supervisor", name="赵主管")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        assert not window.commands["admin.grants"].isVisible()
        assert not window.commands["admin.tags"].isVisible()
        window.admin_desk.open_grants()  # the palette could still run them: nothing opens
        window.admin_desk.open_tags()
        await asyncio.sleep(0.3)
        assert not [d for d in window.findChildren(GrantsDialog) if d.isVisible()]
        assert not [d for d in window.findChildren(TagLibraryDialog) if d.isVisible()]

        # H10.2: the grant arrives in the agent's synced row and the menu follows at once.
        granting = AgentClient(ui_server.url, supervisor.account, PASSWORD)
        assert granting.http.put(f"{ui_server.url}/api/v1/admin/agents/{agent.id}/grants",
                                 json={"grants": ["tag.manage"]}, timeout=10).status_code == 200
        await until(lambda: window.commands["admin.tags"].isVisible(), timeout=30)
        assert not window.commands["admin.grants"].isVisible()
        window.commands["admin.tags"].trigger()
        dialog = await _visible(window, TagLibraryDialog)
        dialog.accept()
        await until(lambda: window.admin_desk.tags_dialog is None)

    run(aloop, scenario(), timeout=60)


async def _name(dialog: TagLibraryDialog, text: str) -> None:
    prompt = await until(lambda: dialog.prompt)
    prompt.setTextValue(text)
    prompt.accept()


def _synced(dialog: TagLibraryDialog, name: str, parent: str | None) -> bool:
    node = next((n for n in dialog.library.nodes if n.name == name), None)
    return node is not None and node.parent_id == parent and node.pending == "" \
        and node.id in dialog.items


def test_a_supervisor_builds_the_library_and_a_colleague_picks_from_it(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess,
    ui_world: World, tmp_path: Path,
) -> None:
    company = ui_world.company()
    supervisor = ui_world.agent(company, role="supervisor", name="赵主管")
    colleague = ui_world.agent(company, name="李娜")
    top = ui_world.tag(company, "产品使用")
    second = App(ui_server.url, tmp_path / "colleague")

    async def scenario() -> None:
        window = await app.sign_in(supervisor.account, PASSWORD)
        window.commands["admin.tags"].trigger()
        dialog: TagLibraryDialog = await _visible(window, TagLibraryDialog)
        await until(lambda: top in dialog.items, timeout=30)

        dialog.select(top)
        dialog.add_child.click()
        await _name(dialog, "功能操作")
        await until(lambda: _synced(dialog, "功能操作", top), timeout=30)
        child = next(n.id for n in dialog.library.nodes if n.name == "功能操作")
        dialog.select(child)
        dialog.rename.click()
        await _name(dialog, "功能异常")
        await until(lambda: _synced(dialog, "功能异常", top), timeout=30)
        assert dialog.items[child].parent().data(Qt.ItemDataRole.UserRole) == top

        # Level 3 is the last: no button, and the service refuses a fourth level.
        dialog.add_child.click()
        await _name(dialog, "支付失败")
        await until(lambda: _synced(dialog, "支付失败", child), timeout=30)
        leaf = next(n.id for n in dialog.library.nodes if n.name == "支付失败")
        dialog.select(leaf)
        assert not dialog.add_child.isEnabled()
        with pytest.raises(TagRefused):
            await window.workers.in_db(window.ws.admin.tags.add, leaf, "第四级")

        # A parent with children is refused, with the reason, and nothing is queued.
        dialog.select(top)
        dialog.delete.click()
        await until(lambda: dialog.status.text() ==
                    "不能删除“产品使用”：它下面还有子标签，请先删除子标签。")
        assert top in dialog.items and not dialog.library.refusals

        # A colleague's desk has the new tags in the customer tag picker.
        window_b = await second.sign_in(colleague.account, PASSWORD)
        await until(lambda: any(t.path == "产品使用 › 功能异常 › 支付失败"
                                for t in window_b.ws.customers.tag_library()), timeout=30)
        picker = TagPicker(Tr("zh"), window_b.ws.customers.tag_library(), set(), window_b)
        assert picker.items[child].text(0) == "功能异常"
        assert picker.items[child].parent() is picker.items[top]
        picker.deleteLater()

        # Deleting the leaf asks first (how many customers carry it), then it goes everywhere.
        dialog.select(leaf)
        dialog.delete.click()
        ask = await _visible(dialog, QMessageBox)
        assert "目前有 0 位客户带有此标签" in ask.text()
        ask.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: leaf not in dialog.items, timeout=30)
        await until(lambda: all(t.id != leaf for t in window_b.ws.customers.tag_library()),
                    timeout=30)
        dialog.accept()
        await until(lambda: window.admin_desk.tags_dialog is None)

    try:
        run(aloop, scenario(), timeout=150)
    finally:
        close_app(second, aloop)

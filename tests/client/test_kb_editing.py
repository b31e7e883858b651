"""Knowledge-base editing and review (H9.2, H10.2) and the use count (H9.1): queued edits show
at once, refusals stay with the server's reason, suggestions reach a lead who approves them,
inserting an answer counts on the server — against a real server process over HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import update

from app.i18n import Tr
from app.models.store import Store, open_store
from app.models.tables import Outbox
from app.services.kb_editing import EntryDraft, KbEditService, KbRefused, Suggestion
from app.services.knowledge import KnowledgeService
from app.sync.apply import apply_changes
from app.ui.kb_editor import KbEditorDialog
from app.ui.kb_models import SuggestionModel
from app.ui.kb_panel import KbPanel
from app.ui.kb_review import KbReviewDialog, diff_html
from kefu_protocol.wire import Change
from server import models as m
from server.changes import ChangeWriter, company_scope
from tests.support.api import VisitorClient
from tests.support.qt_async import App, aloop, close_app, run, until
from tests.support.server_proc import ServerProcess
from tests.support.window_views import open_row, row_of
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]
T = TypeVar("T")

ME, LEAD = str(uuid.uuid4()), str(uuid.uuid4())
PARCEL, REFUND = str(uuid.uuid4()), str(uuid.uuid4())
ASKED = str(uuid.uuid4())


def _change(entity: str, data: dict[str, Any]) -> Change:
    return Change(entity=entity, op="upsert", id=data["id"], data=data)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "cache.db")
    rows = [
        _change("agent", {"id": ME, "name": "李小燕", "employee_id": "10001", "role": "agent",
                          "version": 1}),
        _change("agent", {"id": LEAD, "name": "张组长", "employee_id": "10086", "role": "lead",
                          "version": 1}),
        _change("kb_entry", {"id": PARCEL, "category": "物流", "title": "快递几天能到",
                             "body": "一般2-3天送达。", "keywords": ["快递"], "use_count": 4,
                             "version": 3, "updated_by": "10086",
                             "updated_at": "2026-03-01T08:00:00"}),
        _change("kb_entry", {"id": REFUND, "category": "售后", "title": "怎么申请退款",
                             "body": "在订单页申请售后。", "keywords": ["退款"], "use_count": 1,
                             "version": 1}),
        _change("kb_suggestion", {"id": ASKED, "entry_id": PARCEL, "category": "物流",
                                  "title": "快递几天能到", "body": "一般1-3天送达。",
                                  "keywords": ["快递", "几天"], "reason": "时效变快了",
                                  "status": "待审核", "author_id": ME, "author_name": "李小燕",
                                  "created_at": "2026-03-02T09:00:00", "version": 1}),
    ]
    with store.write() as session:
        apply_changes(session, rows, client_id="test")
    yield store
    store.close()


def _editing(store: Store, role: str = "lead") -> KbEditService:
    return KbEditService(store, agent_id=ME if role == "agent" else LEAD, role=role,
                         poke=lambda: None)


def _refuse(store: Store, code: str, reason: str) -> None:
    with store.write() as session:
        session.execute(update(Outbox).values(state="rejected", code=code, last_error=reason))


def test_queued_edits_show_at_once_and_a_refusal_reverts_and_stays(store: Store) -> None:
    kb, editing = KnowledgeService(store), _editing(store)
    hit = kb.entry(PARCEL)
    assert hit is not None and (hit.version, hit.updated_by, hit.pending) == (3, "10086", False)
    editing.save(EntryDraft("物流", "快递多久到", "一般1-3天送达。", ("快递", "多久")),
                 PARCEL, hit.version)
    edited = kb.entry(PARCEL)
    assert edited is not None and edited.pending and edited.title == "快递多久到"
    assert edited.use_count == 4 and edited.version == 4, "a further edit builds on it"
    assert [h.id for h in kb.search("多久")] == [PARCEL]
    new_id = editing.save(EntryDraft("支付", "发票开具", "订单完成后申请。"), None, None)
    editing.delete(REFUND)
    assert kb.entry(new_id) is not None and kb.entry(REFUND) is None
    assert dict(kb.categories()) == {"物流": 1, "支付": 1}
    _refuse(store, "kb_stale_version", "该条目已被他人修改（当前版本 5），请重新打开后再改")
    assert kb.entry(PARCEL).title == "快递几天能到"  # type: ignore[union-attr]
    assert kb.entry(REFUND) is not None and kb.entry(new_id) is None
    refusals = editing.refusals()
    assert [(r.name, r.title) for r in refusals] == [
        ("kb.upsert", "快递多久到"), ("kb.upsert", "发票开具"), ("kb.delete", "怎么申请退款")]
    assert refusals[0].reason.startswith("该条目已被他人修改")
    assert refusals[0].draft == EntryDraft("物流", "快递多久到", "一般1-3天送达。",
                                           ("快递", "多久"))
    editing.dismiss(refusals[0].seq)
    assert len(editing.refusals()) == 2


def test_an_agent_without_kb_edit_may_only_suggest(store: Store) -> None:
    agent = _editing(store, "agent")
    assert not agent.may_edit() and _editing(store).may_edit()
    for call in (lambda: agent.save(EntryDraft("a", "b", "c"), None, None),
                 lambda: agent.delete(PARCEL), lambda: agent.review(ASKED, True, "")):
        with pytest.raises(KbRefused, match="no_permission"):
            call()
    with pytest.raises(KbRefused, match="invalid"):
        agent.suggest(EntryDraft("物流", "", "正文"), None, "")
    agent.suggest(EntryDraft("售后", "退款多久到账", "1-3个工作日。", ("到账",)), None, "常被问")
    mine = agent.mine()
    assert [(s.draft.title, s.status, s.pending) for s in mine] == [
        ("退款多久到账", "待审核", True), ("快递几天能到", "待审核", False)]
    with store.write() as session:  # the grant arrives in the agent's row (H10.2)
        apply_changes(session, [_change("agent", {"id": ME, "name": "李小燕", "role": "agent",
                                                  "grants": ["kb.edit"], "version": 2})],
                      client_id="test")
    assert agent.may_edit()


def test_review_lists_pending_suggestions_with_the_entry_as_it_is_and_approval_shows(
        store: Store) -> None:
    kb, lead = KnowledgeService(store), _editing(store)
    [asked] = lead.to_review()
    assert asked.entry_id == PARCEL and asked.current is not None
    assert asked.current.body == "一般2-3天送达。" and asked.draft.body == "一般1-3天送达。"
    lead.review(ASKED, True, "好")
    assert lead.to_review() == ()
    assert kb.entry(PARCEL).body == "一般1-3天送达。"  # type: ignore[union-attr]
    assert [s.status for s in _editing(store, "agent").mine()] == ["已采纳"]


def test_names_for_employee_ids(store: Store) -> None:
    assert _editing(store).name_of("10086") == "张组长"
    assert _editing(store).name_of("55555") == "55555"


def test_the_panel_shows_editing_by_permission_and_who_changed_an_entry(
        qtbot: QtBot, store: Store) -> None:
    editing = _editing(store)
    panel = KbPanel(Tr("zh"), KnowledgeService(store), editing.name_of)
    qtbot.addWidget(panel)
    tools = panel.tools
    assert tools.shown() == ["kb.suggest_new", "kb.suggest_change"] and tools.review.isHidden()
    tools.set_permissions(True, 2)
    assert tools.shown() == ["kb.new", "kb.edit", "kb.delete"]
    assert tools.review.text() == "待审核（2）" and not tools.review.isHidden()
    panel.search.setText("快递")
    assert panel.changed.text().startswith("最后修改：张组长 · ")
    panel.search.setText("退款")
    assert panel.changed.text() == "导入的条目，尚无人修改"


def test_the_review_dialog_marks_what_changes(qtbot: QtBot, store: Store) -> None:
    lead = _editing(store)
    dialog = KbReviewDialog(Tr("zh"), "review", lead.name_of)
    qtbot.addWidget(dialog)
    dialog.set_items(lead.to_review())
    assert dialog.approve.isEnabled() and "时效变快了" in dialog.head.text()
    html = diff_html(Tr("zh"), lead.to_review()[0])
    assert "（未改）" in html and "color:#c0392b'>2<" in html and "color:#1e8449'>1<" in html
    with qtbot.waitSignal(dialog.decided) as blocker:
        dialog.comment.setText("同意")
        dialog.approve.click()
    assert blocker.args == [ASKED, True, "同意"]


def test_the_suggestion_model_passes_the_model_tester(store: Store,
                                                      qtmodeltester: ModelTester) -> None:
    model = SuggestionModel(Tr("zh"))
    agent = _editing(store, "agent")
    agent.suggest(EntryDraft("售后", "退款多久到账", "1-3个工作日。"), None, "")
    items: tuple[Suggestion, ...] = agent.mine()
    model.set_items(items)
    assert model.rowCount() == 2
    assert model.data(model.index(0)).split("\n") == [
        "退款多久到账", "新增 · 我 · 待审核（待同步）"]
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)


# ---- against the real server ------------------------------------------------------------------


def _add_entry(world: World, company_id: str, category: str, title: str, body: str,
               keywords: list[str], use_count: int = 0) -> str:
    """A row and its change-feed entry, as the server's own writes leave them."""
    entry_id = str(uuid.uuid4())
    with world.db.write() as session:
        entry = m.KbEntry(id=entry_id, company_id=company_id, category=category, title=title,
                          body=body, keywords=keywords, use_count=use_count, version=1)
        session.add(entry)
        session.flush()
        ChangeWriter(session, "sqlite").upsert(company_scope(company_id), entry)
    return entry_id


def _colleague_changes(world: World, entry_id: str, body: str) -> None:
    """Someone else's edit on the server: the content changes and the version goes up."""
    with world.db.write() as session:
        entry = session.get(m.KbEntry, entry_id)
        assert entry is not None
        entry.body, entry.version, entry.updated_by = body, entry.version + 1, "99999"
        session.flush()
        ChangeWriter(session, "sqlite").upsert(company_scope(entry.company_id), entry)


def _on_server(world: World, entry_id: str) -> m.KbEntry | None:
    with world.db.read() as session:
        entry = session.get(m.KbEntry, entry_id)
        if entry is not None:
            session.expunge(entry)
        return entry


async def _dialog(window: Any, kind: type[T]) -> T:
    return await until(lambda: next((d for d in window.findChildren(kind) if d.isVisible()),
                                    None))


def _select(panel: KbPanel, query: str) -> None:
    panel.search.setText(query)
    assert panel.model.hits, query
    panel.results.setCurrentIndex(panel.model.index(0))


def test_an_agent_suggests_a_change_and_a_lead_approves_it(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess,
    ui_world: World, tmp_path: Path,
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="李小燕")
    lead = ui_world.agent(company, role="lead", name="张组长")
    entry = _add_entry(ui_world, company.id, "物流", "快递几天能到", "一般2-3天送达。", ["快递"])
    second = App(ui_server.url, tmp_path / "lead")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        panel = window.kb_desk.panel
        await until(lambda: len(panel.model.hits) == 1, timeout=30)
        assert panel.tools.shown() == ["kb.suggest_new", "kb.suggest_change"], "no 编辑"
        assert panel.tools.review.isHidden()
        _select(panel, "快递")
        panel.tools.buttons["kb.suggest_change"].click()
        editor = await _dialog(window, KbEditorDialog)
        assert editor.title.text() == "快递几天能到" and not editor.reason.isHidden()
        editor.body.setPlainText("现在一般1-2天送达，偏远地区3天。")
        editor.keywords.setText("快递，几天 时效")
        editor.reason.setText("仓库换了快递公司，时效变快")
        editor.save.click()
        await until(lambda: panel.tools.note.text() == "建议已提交，等待审核")
        assert panel.body.toPlainText() == "一般2-3天送达。", "a suggestion changes nothing yet"
        panel.tools.mine.click()
        mine = await _dialog(window, KbReviewDialog)
        await until(lambda: mine.model.items and not mine.model.items[0].pending, timeout=30)
        assert mine.model.items[0].status == "待审核" and not mine.approve.isVisible()
        mine.close_button.click()

        window_b = await second.sign_in(lead.account, PASSWORD)
        lead_panel = window_b.kb_desk.panel
        await until(lambda: lead_panel.tools.review.text() == "待审核（1）", timeout=30)
        assert lead_panel.tools.shown() == ["kb.new", "kb.edit", "kb.delete"]
        assert not lead_panel.tools.review.isHidden()
        lead_panel.tools.review.click()
        review = await _dialog(window_b, KbReviewDialog)
        await until(lambda: review.model.rowCount() == 1)
        assert "仓库换了快递公司，时效变快" in review.head.text() and "李小燕" in review.head.text()
        shown = review.diff.toPlainText()
        assert "原：一般2-3天送达。" in shown and "快递几天能到 （未改）" in shown
        review.comment.setText("已和仓库核实")
        review.approve.click()
        await until(lambda: review.model.rowCount() == 0, timeout=30)
        review.close_button.click()
        await until(lambda: lead_panel.tools.review.text() == "待审核（0）", timeout=30)

        # the agent's desk: the new text is searchable, signed by the lead, and the outcome shows
        panel.search.setText("1-2天")
        await until(lambda: [h.id for h in panel.model.hits] == [entry], timeout=30)
        assert panel.body.toPlainText() == "现在一般1-2天送达，偏远地区3天。"
        lead_no = lead.account.split("@")[0]
        assert panel.changed.text().startswith(f"最后修改：张组长（工号 {lead_no}） · ")
        assert panel.model.hits[0].keywords == ("快递", "几天", "时效")
        panel.tools.mine.click()
        mine = await _dialog(window, KbReviewDialog)
        await until(lambda: mine.model.items and mine.model.items[0].status == "已采纳")
        assert "已采纳：张组长" in mine.head.text() and "已和仓库核实" in mine.head.text()
        mine.close_button.click()

    try:
        run(aloop, scenario(), timeout=150)
    finally:
        close_app(second, aloop)


def test_offline_edits_land_on_reconnect_and_a_stale_one_is_refused_with_the_reason(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess,
    ui_world: World,
) -> None:
    company = ui_world.company()
    lead = ui_world.agent(company, role="lead", name="张组长")
    lead_no = lead.account.split("@")[0]
    invoice = _add_entry(ui_world, company.id, "支付", "发票开具", "订单完成后申请。", ["发票"])
    refund = _add_entry(ui_world, company.id, "售后", "退款到账时间", "1-3个工作日到账。", ["退款"])

    async def edit(window: Any, panel: KbPanel, query: str, **fields: str) -> None:
        _select(panel, query)
        panel.tools.buttons["kb.edit"].click()
        editor = await _dialog(window, KbEditorDialog)
        assert editor.reason.isHidden(), "an editor saves, no reason asked"
        if "title" in fields:
            editor.title.setText(fields["title"])
        if "body" in fields:
            editor.body.setPlainText(fields["body"])
        editor.save.click()
        await until(lambda: not editor.isVisible())

    async def scenario() -> None:
        window = await app.sign_in(lead.account, PASSWORD)
        panel = window.kb_desk.panel
        await until(lambda: len(panel.model.hits) == 2, timeout=30)
        ui_server.stop()
        try:
            _colleague_changes(ui_world, refund, "原路退回，1-5个工作日到账。")
            await edit(window, panel, "发票", body="订单完成后在订单详情申请电子发票。")
            await until(lambda: panel.model.hits and panel.model.hits[0].pending)
            assert panel.model.data(panel.model.index(0)).startswith("发票开具（待同步）")
            assert panel.changed.text() == "你的修改待同步"
            assert panel.body.toPlainText() == "订单完成后在订单详情申请电子发票。"
            await edit(window, panel, "退款", title="退款多久到账")
            await until(lambda: panel.knowledge.entry(refund).title  # type: ignore[union-attr]
                        == "退款多久到账")
        finally:
            ui_server.start()
        await until(lambda: not panel.refusals.isHidden(), timeout=60)
        assert panel.refusals.texts() == [
            "“退款多久到账”的修改未保存：该条目已被他人修改（当前版本 2），请重新打开后再改"]
        await until(lambda: _on_server(ui_world, invoice).body  # type: ignore[union-attr]
                    == "订单完成后在订单详情申请电子发票。", timeout=30)
        assert _on_server(ui_world, invoice).updated_by == lead_no  # type: ignore[union-attr]
        await until(lambda: not panel.knowledge.entry(invoice).pending)  # type: ignore[union-attr]
        reverted = panel.knowledge.entry(refund)
        assert reverted is not None and reverted.title == "退款到账时间"
        assert reverted.body == "原路退回，1-5个工作日到账。", "the colleague's text shows"

        # 重新编辑: the agent's text over the current version; it lands, the refusal goes
        buttons = [b for b in panel.refusals.findChildren(QPushButton) if b.text() == "重新编辑"]
        buttons[0].click()
        editor = await _dialog(window, KbEditorDialog)
        assert editor.title.text() == "退款多久到账"
        editor.save.click()
        await until(lambda: panel.refusals.isHidden(), timeout=30)
        await until(lambda: _on_server(ui_world, refund).title  # type: ignore[union-attr]
                    == "退款多久到账", timeout=30)

    run(aloop, scenario(), timeout=180)


def test_inserting_an_answer_counts_a_use_on_the_server_and_on_the_desk(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess,
    ui_world: World,
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="王晓敏")
    parcel = _add_entry(ui_world, company.id, "物流", "快递几天能到", "一般48小时内发货。",
                        ["快递"], use_count=5)

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        panel = window.kb_desk.panel
        visitor = VisitorClient(ui_server.url, "阿花", company=company.domain)
        visitor.send("我的快递到哪了")
        await until(lambda: row_of(window, "阿花") is not None and row_of(window, "阿花").mine)
        open_row(window, "阿花")
        await until(lambda: panel.suggestions.titles() == ["快递几天能到"], timeout=30)
        panel.suggestions.buttons[0].click()  # 建议回复
        _select(panel, "快递")
        panel.insert.click()  # 插入
        qtbot.keyClick(panel.search, Qt.Key.Key_Return)  # Enter
        await until(lambda: _on_server(ui_world, parcel).use_count == 8,  # type: ignore[union-attr]
                    timeout=30)
        await until(lambda: panel.model.hits and panel.model.hits[0].use_count == 8, timeout=30)
        row = panel.model.data(panel.model.index(0))
        assert row.split("\n")[1] == "[物流] · 已用 8 次"

    run(aloop, scenario(), timeout=120)

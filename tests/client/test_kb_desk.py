"""The 知识库 tab (H9): search as you type with 1-, 2- and 4-character Chinese queries, the
category filter, 插入 into the composer, and 建议回复 from the customer's last message (H9.3)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.i18n import Tr
from app.models.store import Store, open_store
from app.services.knowledge import KnowledgeService
from app.sync.apply import apply_changes
from app.ui.kb_panel import KbPanel
from kefu_protocol.wire import Change
from server import models as m
from server.changes import ChangeWriter, company_scope
from server.demo_shop import demo_kb
from tests.support.api import VisitorClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.window_views import open_row, row_of
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

# id, category, title, body, keywords, use count
ENTRIES: tuple[tuple[str, str, str, str, tuple[str, ...], int], ...] = (
    ("kb-1", "物流", "快递几天能到", "现货付款后48小时内发出，快递一般2-3天送达。",
     ("快递", "物流"), 5),
    ("kb-2", "售后", "怎么申请退款", "在订单页点申请售后，退款审核后原路退回。", ("退款",), 3),
    ("kb-3", "售后", "七天无理由退货说明", "签收七天内商品完好即可申请退货。",
     ("退货", "七天无理由"), 9),
    ("kb-4", "支付", "发票开具", "订单完成后可在订单详情申请电子发票。", ("发票", "开票"), 1),
)


def _rows() -> list[dict[str, Any]]:
    return [{"id": i, "company_id": "c1", "category": c, "title": t, "body": b,
             "keywords": list(k), "use_count": u, "version": 1}
            for i, c, t, b, k, u in ENTRIES]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "cache.db")
    with store.write() as session:
        apply_changes(session, [Change(entity="kb_entry", op="upsert", id=r["id"], data=r)
                                for r in _rows()], client_id="test")
    yield store
    store.close()


@pytest.fixture
def panel(qtbot: QtBot, store: Store) -> KbPanel:
    widget = KbPanel(Tr("zh"), KnowledgeService(store))
    qtbot.addWidget(widget)
    return widget


def shown_titles(panel: KbPanel) -> list[str]:
    """The first line of each row as the agent reads it."""
    model = panel.model
    return [str(model.data(model.index(n), Qt.ItemDataRole.DisplayRole)).split("\n")[0]
            for n in range(model.rowCount())]


def test_typing_1_2_and_4_chinese_characters_filters_the_list(panel: KbPanel,
                                                               qtbot: QtBot) -> None:
    assert shown_titles(panel) == ["七天无理由退货说明", "快递几天能到", "怎么申请退款", "发票开具"]
    panel.search.insert("递")
    assert shown_titles(panel) == ["快递几天能到"]
    panel.search.clear()
    panel.search.insert("退")  # titles first, the more used first
    assert shown_titles(panel) == ["七天无理由退货说明", "怎么申请退款"]
    panel.search.setText("退款")
    assert shown_titles(panel) == ["怎么申请退款"]
    panel.search.setText("七天无理")
    assert shown_titles(panel) == ["七天无理由退货说明"]
    assert panel.body.toPlainText() == "签收七天内商品完好即可申请退货。", "the full body shows"
    panel.search.setText("电子发票")  # a body match
    assert shown_titles(panel) == ["发票开具"]
    panel.search.setText("不存在的词")
    assert shown_titles(panel) == [] and panel.count.text() == "没有找到匹配的条目"
    assert not panel.insert.isEnabled()


def test_a_row_shows_category_use_count_and_snippet(panel: KbPanel) -> None:
    panel.search.setText("发票")
    text = panel.model.data(panel.model.index(0), Qt.ItemDataRole.DisplayRole)
    assert text.split("\n") == ["发票开具", "[支付] · 已用 1 次",
                                 "订单完成后可在订单详情申请电子发票。"]


def test_the_category_filter_narrows_the_results(panel: KbPanel) -> None:
    labels = [panel.category.itemText(n) for n in range(panel.category.count())]
    assert labels == ["全部", "售后（2）", "支付（1）", "物流（1）"]
    panel.category.setCurrentIndex(panel.category.findData("售后"))
    assert shown_titles(panel) == ["七天无理由退货说明", "怎么申请退款"]
    panel.search.setText("快递")
    assert shown_titles(panel) == []
    panel.category.setCurrentIndex(0)
    assert shown_titles(panel) == ["快递几天能到"]


def test_insert_button_enter_and_double_click_hand_over_the_body(panel: KbPanel,
                                                                qtbot: QtBot) -> None:
    inserted: list[str] = []
    panel.insert_requested.connect(inserted.append)
    panel.search.setText("发票")
    panel.insert.click()
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    panel.search.setText("退款")
    qtbot.keyClick(panel.results, Qt.Key.Key_Enter)
    panel.show()
    qtbot.waitExposed(panel)
    rect = panel.results.visualRect(panel.model.index(0))
    qtbot.mouseClick(panel.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    invoice = "订单完成后可在订单详情申请电子发票。"
    refund = "在订单页点申请售后，退款审核后原路退回。"
    assert inserted == [invoice, invoice, refund, refund], "button, Enter, Enter, double-click"


def test_suggestions_follow_the_customers_words_and_insert(panel: KbPanel, qtbot: QtBot) -> None:
    strip = panel.suggestions
    panel.suggest_for("你好，我的快递怎么还没到？想开票可以吗")
    assert strip.titles() == ["快递几天能到", "发票开具"]
    visible = [b.text() for b in strip.buttons if not b.isHidden()]
    assert visible == ["快递几天能到", "发票开具"]
    with qtbot.waitSignal(panel.insert_requested) as blocker:
        strip.buttons[1].click()
    assert blocker.args == ["订单完成后可在订单详情申请电子发票。"]
    panel.suggest_for("谢谢")
    assert strip.titles() == [] and not strip.empty.isHidden()


def test_the_hit_model_passes_the_model_tester(panel: KbPanel, qtmodeltester: ModelTester) -> None:
    panel.search.setText("退")
    qtmodeltester.check(panel.model, force_py=True)
    qtmodeltester.check(panel.model)


DEMO_MESSAGES = (
    ("我的快递怎么还没到", "物流信息长时间未更新"), ("这个能退货吗", "七天无理由退货"),
    ("退款什么时候到账", "退款到账时间"), ("麻烦开个发票", "发票开具"),
    ("优惠券用不了", "优惠券使用规则"), ("能改一下地址吗", "修改收货地址"),
    ("什么时候发货", "发货时间说明"), ("收到的东西坏了", "质量问题退换货"),
    ("钱扣了订单还是待付款", "已扣款但订单仍是待付款"), ("刚买就降价了", "价格保护规则"),
)


def test_the_demo_knowledge_base_answers_what_customers_type(qtbot: QtBot, tmp_path: Path) -> None:
    """The demo's keywords are the short words customers use, so 建议回复 is not empty."""
    store = open_store(tmp_path / "demo.db")
    rows = [{"id": f"demo-{n}", "category": c, "title": t, "body": b, "keywords": list(k),
             "use_count": 0, "version": 1} for n, (c, t, b, k) in enumerate(demo_kb())]
    with store.write() as session:
        apply_changes(session, [Change(entity="kb_entry", op="upsert", id=r["id"], data=r)
                                for r in rows], client_id="test")
    panel = KbPanel(Tr("zh"), KnowledgeService(store))
    qtbot.addWidget(panel)
    for message, title in DEMO_MESSAGES:
        panel.suggest_for(message)
        assert panel.suggestions.titles()[:1] == [title], message
    panel.suggest_for("尺码偏大吗，我170")
    assert set(panel.suggestions.titles()) == {"尺码不合适换货", "羽绒服尺码建议"}
    store.close()


def _add_entry(world: World, company_id: str, category: str, title: str, body: str,
               keywords: list[str], use_count: int = 0) -> None:
    """A row and its change-feed entry, as the server's own writes leave them."""
    with world.db.write() as session:
        entry = m.KbEntry(id=str(uuid.uuid4()), company_id=company_id, category=category,
                          title=title, body=body, keywords=keywords, use_count=use_count,
                          version=1)
        session.add(entry)
        session.flush()
        ChangeWriter(session, "sqlite").upsert(company_scope(company_id), entry)


def test_in_the_window_suggestions_show_and_insert_into_the_composer(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="李小燕")
    _add_entry(ui_world, company.id, "物流", "快递几天能到", "一般付款后48小时内发货。",
               ["快递", "物流"], 5)
    _add_entry(ui_world, company.id, "售后", "退款到账时间", "原路退回，1-3个工作日到账。",
               ["退款", "到账"], 2)

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        desk = window.kb_desk
        assert window.side_tabs.tabText(desk.tab_index) == "知识库"
        visitor = VisitorClient(ui_server.url, "阿花", company=company.domain)
        visitor.send("你好")
        await until(lambda: row_of(window, "阿花") is not None and row_of(window, "阿花").mine)
        open_row(window, "阿花")
        await until(lambda: len(desk.panel.model.hits) == 2)
        assert desk.panel.suggestions.titles() == []
        assert window.side_tabs.tabText(desk.tab_index) == "知识库"
        visitor.send("我的快递到哪了")  # a new message in the open conversation
        await until(lambda: desk.panel.suggestions.titles() == ["快递几天能到"], timeout=30)
        assert window.side_tabs.tabText(desk.tab_index) == "知识库 · 1 条建议"
        desk.panel.suggestions.buttons[0].click()
        assert window.chat_panel.composer.toPlainText() == "一般付款后48小时内发货。"

        window.chat_panel.composer.clear()
        desk.focus_search()
        desk.panel.search.insert("到账")
        assert [h.title for h in desk.panel.model.hits] == ["退款到账时间"]
        qtbot.keyClick(desk.panel.search, Qt.Key.Key_Return)
        assert window.chat_panel.composer.toPlainText() == "原路退回，1-3个工作日到账。"

        # an entry added on the server reaches the list, the categories and the suggestions
        _add_entry(ui_world, company.id, "支付", "发票开具", "订单完成后申请电子发票。", ["发票"])
        desk.panel.search.clear()
        visitor.send("能开发票吗")
        await until(lambda: desk.panel.suggestions.titles() == ["发票开具"], timeout=30)
        assert len(desk.panel.model.hits) == 3
        assert desk.panel.category.findData("支付") > 0

    run(aloop, scenario(), timeout=90)

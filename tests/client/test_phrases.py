"""Quick phrases (H2.2) and the composer's keys (H2.3): the service over a real cache with the
outbox overlay, the `/` popup, Ctrl+1…9, the send key, and the manager feeding the popup."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select, update

from app.i18n import Tr
from app.models.store import Store, open_store
from app.models.tables import Outbox
from app.services.phrases import Phrase, PhraseRefused, PhraseService, render_phrase
from app.sync.apply import apply_changes
from app.ui.chat_panel import ChatPanel
from app.ui.phrase_manager import PhraseManager
from app.ui.theme import LIGHT
from app.workers import Workers
from kefu_protocol.wire import Change
from tests.support.qt_async import aloop, run, until

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

ME, OTHER, TEAM = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
SHIPPED, RETURN_ADDR, REFUND, VIP, THEIRS = (str(uuid.uuid4()) for _ in range(5))


def _row(pid: str, owner: str | None, group: str, title: str, text: str) -> Change:
    return Change(entity="quick_phrase", op="upsert", id=pid, data={
        "id": pid, "team_id": TEAM, "owner_id": owner, "group": group, "title": title,
        "text": text, "deleted": False, "version": 1})


SEEDED = [
    _row(SHIPPED, ME, "物流", "已发货", "{客户}您好，订单{订单号}已发货，请注意查收。"),
    _row(RETURN_ADDR, ME, "售后", "退货地址", "退货请寄往：上海市浦东新区，{agent}为您服务"),
    _row(REFUND, None, "售后", "退款时效", "退款将在 1-3 个工作日原路返回。"),
    _row(VIP, None, "会员", "VIP 专属", "尊敬的 {customer}，您是我们的 VIP 会员。"),
    _row(THEIRS, OTHER, "物流", "别人的", "another agent's own phrase"),
]


class Poke:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "cache.db")
    with s.write() as session:
        apply_changes(session, SEEDED, client_id="test")
    yield s
    s.close()


def service(store: Store, role: str = "agent", poke: Poke | None = None) -> PhraseService:
    return PhraseService(store, agent_id=ME, team_id=TEAM, role=role, poke=poke or Poke())


def outbox_rows(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(Outbox)) or 0)


def titles(phrases: tuple[Phrase, ...]) -> list[str]:
    return [p.title for p in phrases]


# ---- the service -----------------------------------------------------------------------------

def test_personal_first_then_team_by_group_and_title_without_others_phrases(store: Store) -> None:
    phrases = service(store).phrases()
    assert [(p.scope, p.group, p.title) for p in phrases] == [
        ("personal", "售后", "退货地址"), ("personal", "物流", "已发货"),
        ("team", "会员", "VIP 专属"), ("team", "售后", "退款时效")]
    assert service(store).groups() == ("会员", "售后", "物流")


def test_search_is_a_case_insensitive_substring_that_works_for_one_chinese_character(
        store: Store) -> None:
    s = service(store)
    assert titles(s.phrases("退")) == ["退货地址", "退款时效"]
    assert titles(s.phrases("发")) == ["已发货"]
    assert titles(s.phrases("vip")) == ["VIP 专属"], "case-insensitive"
    assert titles(s.phrases("物流")) == ["已发货"], "the group matches too"
    assert titles(s.phrases("工作日")) == ["退款时效"], "the text matches too"
    assert titles(s.phrases("售后 退款")) == ["退款时效"], "every word must occur"
    assert s.phrases("不存在") == ()


def test_render_fills_english_and_chinese_variables_and_leaves_others() -> None:
    text = "{客户}/{customer}，我是{客服}/{agent}，订单{订单号}/{order_no}，{未知}{x}"
    assert render_phrase(text, customer="小鱼儿", agent="王晓敏", order_no="DD1") == (
        "小鱼儿/小鱼儿，我是王晓敏/王晓敏，订单DD1/DD1，{未知}{x}")
    assert render_phrase("您好 {agent}", customer="x", agent="{customer}", order_no="") == \
        "您好 {customer}", "a value is never filled in again"


def test_an_empty_order_number_leaves_no_gap() -> None:
    def empty(text: str) -> str:
        return render_phrase(text, customer="小鱼儿", agent="王", order_no="")

    assert empty("订单{订单号}已发货") == "订单已发货"
    assert empty("Order {order_no} shipped") == "Order shipped"
    assert empty("Order {order_no}.") == "Order."
    assert empty("{order_no} 已处理") == "已处理"


def test_offline_upsert_and_delete_show_at_once_through_the_outbox(store: Store) -> None:
    poke = Poke()
    s = service(store, poke=poke)
    seq = s.upsert(group="常用", title="请提供订单号", text="麻烦提供一下订单号哦")
    assert seq > 0 and poke.count == 1
    added = next(p for p in s.phrases() if p.title == "请提供订单号")
    assert added.pending and added.scope == "personal" and added.group == "常用"
    s.upsert(phrase_id=SHIPPED, group="物流", title="已发货", text="改过的内容")
    edited = next(p for p in s.phrases() if p.id == SHIPPED)
    assert edited.text == "改过的内容" and edited.pending
    delete_seq = s.delete(RETURN_ADDR)
    assert RETURN_ADDR not in {p.id for p in s.phrases()}
    assert outbox_rows(store) == 3 and poke.count == 3
    with store.write() as session:  # the server refused the delete: the phrase is back
        session.execute(update(Outbox).where(Outbox.seq == delete_seq).values(state="rejected"))
    assert RETURN_ADDR in {p.id for p in s.phrases()}


def test_an_agent_cannot_change_team_phrases_and_nothing_is_queued(store: Store) -> None:
    poke = Poke()
    agent = service(store, "agent", poke)
    assert not agent.may_edit_team()
    with pytest.raises(PhraseRefused) as refused:
        agent.upsert(scope="team", title="团队", text="大家都用")
    assert refused.value.reason == "team_needs_lead"
    with pytest.raises(PhraseRefused, match="team_needs_lead"):
        agent.upsert(phrase_id=REFUND, scope="personal", title="改", text="改成我的")
    with pytest.raises(PhraseRefused, match="team_needs_lead"):
        agent.delete(REFUND)
    with pytest.raises(PhraseRefused, match="invalid"):
        agent.upsert(title="长" * 61, text="标题太长")
    with pytest.raises(PhraseRefused, match="not_found"):
        agent.delete(str(uuid.uuid4()))
    assert outbox_rows(store) == 0 and poke.count == 0
    lead = service(store, "lead")
    assert lead.may_edit_team() and service(store, "supervisor").may_edit_team()
    lead.upsert(scope="team", title="团队新短语", text="大家都用")
    assert next(p for p in lead.phrases() if p.title == "团队新短语").scope == "team"


def test_an_agent_granted_team_phrases_may_change_them_once_the_grant_syncs(store: Store) -> None:
    """H10.2: a supervisor's phrase.team grant, arriving in the agent's row, opens team
    phrases to that agent; the server enforces the same permission."""
    agent = service(store, "agent")
    assert not agent.may_edit_team()
    with store.write() as session:
        apply_changes(session, [Change(entity="agent", op="upsert", id=ME, data={
            "id": ME, "team_id": TEAM, "name": "王晓敏", "role": "agent",
            "grants": ["phrase.team"], "version": 2})], client_id="test")
    assert agent.may_edit_team()
    agent.upsert(phrase_id=REFUND, scope="team", title="退款时效", text="1-3 个工作日到账")
    assert next(p for p in agent.phrases() if p.id == REFUND).pending


# ---- the composer ----------------------------------------------------------------------------

@pytest.fixture()
def panel(qtbot: QtBot, store: Store) -> ChatPanel:
    s = service(store)
    p = ChatPanel(LIGHT, Tr("zh"))
    qtbot.addWidget(p)
    p.resize(720, 520)
    p.show()
    p.show_conversation("小鱼儿", [])
    p.set_phrase_source(s.phrases, lambda ph: s.render(ph, customer="小鱼儿", agent="王晓敏",
                                                        order_no="DD2024"))
    p.composer.setFocus()
    qtbot.waitUntil(p.composer.hasFocus)
    return p


def ime_commit(widget: Any, text: str) -> None:
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def test_slash_filters_as_the_agent_types_and_enter_inserts_without_sending(
        qtbot: QtBot, panel: ChatPanel) -> None:
    composer, popup = panel.composer, panel.phrase_popup
    ime_commit(composer, "好的 ")
    qtbot.keyClick(composer, Qt.Key.Key_Slash)
    qtbot.waitUntil(popup.isVisible)
    assert popup.count() == 4
    ime_commit(composer, "退")  # Chinese comes from the input method, not key presses
    qtbot.waitUntil(lambda: popup.count() == 2)
    assert [popup.items.topLevelItem(i).text(1) for i in range(2)] == ["退货地址", "退款时效"]
    qtbot.keyClick(composer, Qt.Key.Key_Down)
    with qtbot.assertNotEmitted(panel.send_requested):
        qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert composer.toPlainText() == "好的 退款将在 1-3 个工作日原路返回。"
    assert not popup.isVisible() and composer.hasFocus()


def test_tab_inserts_the_rendered_phrase_and_url_slashes_open_nothing(
        qtbot: QtBot, panel: ChatPanel) -> None:
    composer, popup = panel.composer, panel.phrase_popup
    qtbot.keyClicks(composer, "http://x")
    assert not popup.isVisible()
    composer.clear()
    qtbot.keyClicks(composer, "/")
    ime_commit(composer, "发")
    qtbot.waitUntil(lambda: popup.isVisible() and popup.count() == 1)
    qtbot.keyClick(composer, Qt.Key.Key_Tab)
    assert composer.toPlainText() == "小鱼儿您好，订单DD2024已发货，请注意查收。"


def test_escape_closes_and_leaves_the_text(qtbot: QtBot, panel: ChatPanel) -> None:
    composer, popup = panel.composer, panel.phrase_popup
    ime_commit(composer, "你好 ")
    qtbot.keyClicks(composer, "/v")
    qtbot.waitUntil(lambda: popup.isVisible() and popup.count() == 1)
    qtbot.keyClick(composer, Qt.Key.Key_Escape)
    assert not popup.isVisible()
    assert composer.toPlainText() == "你好 /v"
    qtbot.keyClicks(composer, "ip")
    assert not popup.isVisible(), "the dismissed / stays closed while typing on"
    with qtbot.waitSignal(panel.send_requested) as sent:
        qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert sent.args == ["你好 /vip"]


def test_ctrl_number_inserts_that_phrase_and_the_popup_shows_the_numbers(
        qtbot: QtBot, panel: ChatPanel) -> None:
    composer, popup = panel.composer, panel.phrase_popup
    qtbot.mouseClick(panel.phrase_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(popup.isVisible)
    assert [popup.items.topLevelItem(i).text(0) for i in range(4)] == ["1", "2", "3", "4"]
    assert popup.items.topLevelItem(2).text(1) == "VIP 专属"
    assert composer.hasFocus(), "the popup never takes the keyboard"
    qtbot.keyClick(composer, Qt.Key.Key_Escape)
    qtbot.keyClick(composer, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert composer.toPlainText() == "尊敬的 小鱼儿，您是我们的 VIP 会员。"
    assert not panel.insert_phrase_number(9), "there is no ninth phrase"


@pytest.mark.parametrize("send_key", ["enter", "ctrl_enter"])
def test_the_send_key_sends_and_the_other_combination_breaks_the_line(
        qtbot: QtBot, panel: ChatPanel, send_key: str) -> None:
    composer = panel.composer
    panel.set_send_key(send_key)
    ctrl = Qt.KeyboardModifier.ControlModifier
    send_mods, line_mods = (ctrl, Qt.KeyboardModifier.NoModifier) if send_key == "ctrl_enter" \
        else (Qt.KeyboardModifier.NoModifier, ctrl)
    ime_commit(composer, "第一行")
    with qtbot.assertNotEmitted(panel.send_requested):
        qtbot.keyClick(composer, Qt.Key.Key_Return, line_mods)
        ime_commit(composer, "第二行")
        qtbot.keyClick(composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        ime_commit(composer, "第三行")
    assert composer.toPlainText() == "第一行\n第二行\n第三行"
    with qtbot.waitSignal(panel.send_requested) as sent:
        qtbot.keyClick(composer, Qt.Key.Key_Return, send_mods)
    assert sent.args == ["第一行\n第二行\n第三行"]


def test_chat_font_size_applies_to_composer_and_messages(panel: ChatPanel) -> None:
    panel.set_chat_font_pt(17)
    assert panel.composer.font().pointSize() == 17 and panel.view.font().pointSize() == 17


# ---- the manager ------------------------------------------------------------------------------

def test_the_manager_adds_a_personal_phrase_that_the_popup_then_offers(
        qtbot: QtBot, aloop: qasync.QEventLoop, store: Store, panel: ChatPanel) -> None:
    workers = Workers()
    s = service(store)
    manager = PhraseManager(s, workers, Tr("zh"))
    qtbot.addWidget(manager)
    try:
        assert manager.scope.count() == 1, "agents add personal phrases only"
        manager.items.setCurrentRow(manager.phrase_ids().index(REFUND))
        assert manager.readonly_note.isVisibleTo(manager) and manager.text.isReadOnly()
        assert not manager.save_button.isEnabled() and not manager.delete_button.isEnabled()
        manager.start_new()
        manager.group.setText("常用")
        manager.title.setText("催单")
        manager.text.setPlainText("{客户}，已为您催促仓库，订单{订单号}今天发出。")

        async def scenario() -> None:
            manager.save_button.click()
            await until(lambda: any(p.title == "催单" for p in s.phrases()))
            await until(lambda: manager.status.text() == "已保存。")

        run(aloop, scenario())
        assert manager.editing is not None and manager.editing.title == "催单"
        assert len(manager.phrase_ids()) == 5
    finally:
        workers.shutdown()
    composer, popup = panel.composer, panel.phrase_popup
    composer.setFocus()
    qtbot.keyClicks(composer, "/")
    ime_commit(composer, "催")
    qtbot.waitUntil(lambda: popup.isVisible() and popup.count() == 1)
    qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert composer.toPlainText() == "小鱼儿，已为您催促仓库，订单DD2024今天发出。"


def test_the_popup_closes_when_the_agent_leaves_the_composer(
        qtbot: QtBot, panel: ChatPanel) -> None:
    panel.open_phrase_popup()
    qtbot.waitUntil(panel.phrase_popup.isVisible)
    panel.send_button.setFocus()
    qtbot.waitUntil(lambda: not panel.phrase_popup.isVisible())

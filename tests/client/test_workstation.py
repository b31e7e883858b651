"""The agent's workstation end to end (pytest-qt, offscreen, real server): a conversation from
accept to rating (H3.4, H3.6, H14.4), escalation (H11.2), pin, tags (H4.3), notes, the
sensitive-data warning (H11.3), drafts across restarts (H3.2) and actions queued offline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.ui.action_dialogs import TagPicker, TextPrompt, TransferDialog
from tests.support.api import AgentClient, VisitorClient
from tests.support.client_side import MemoryKeyring
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.window_views import chat_texts, customer_sees, open_row, row_of, rows
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


async def dialog(window: Any, kind: type) -> Any:
    return await until(lambda: next((d for d in window.findChildren(kind) if d.isVisible()),
                                    None))


def test_accept_greet_reply_transfer_back_close_and_rating(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="王晓敏")
    colleague = ui_world.agent(company, name="李娜")
    other = AgentClient(ui_server.url, colleague.account, PASSWORD)

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        window.presence.setCurrentIndex(1)
        window.presence.activated.emit(1)  # busy: no new assignments (H2.1)
        await until(lambda: window.ws.colleagues.me() is not None
                    and window.ws.colleagues.me().presence == "busy")
        visitor = VisitorClient(ui_server.url, "小鱼儿", company=company.domain)
        visitor.send("请问这款有现货吗？")
        await until(lambda: row_of(window, "小鱼儿") is not None)
        assert row_of(window, "小鱼儿").agent_id is None, "busy agents get no assignment"
        open_row(window, "小鱼儿")
        accept = window.commands["conversation.accept"]
        assert accept.isEnabled()
        accept.trigger()
        composer = window.chat_panel.composer
        # H3.6: the greeting is offered in the composer, for the agent to check and send.
        await until(lambda: "我是客服王晓敏" in composer.toPlainText())
        qtbot.keyClick(composer, Qt.Key.Key_Return)
        await until(lambda: any("我是客服王晓敏" in t for t in customer_sees(visitor)))
        await until(lambda: row_of(window, "小鱼儿").mine)

        other.online()
        await until(lambda: any(c.name == "李娜" and c.reachable
                                for c in window.ws.colleagues.all()))
        window.commands["conversation.transfer"].trigger()
        picker = await dialog(window, TransferDialog)
        names = [picker.people.item(i).text() for i in range(picker.people.count())]
        assert any("李娜" in n and "在线" in n for n in names), names
        picker.people.setCurrentRow(next(i for i, n in enumerate(names) if "李娜" in n))
        picker.note.setText("客户想要蓝色款")
        picker.ok.click()
        await until(lambda: "接下来由同事李娜为您继续服务" in customer_sees(visitor))
        await until(lambda: not row_of(window, "小鱼儿").mine)

        # H3.4: the colleague sends a misrouted conversation straight back, with the reason.
        assert other.do("conversation.transfer", conversation_id=visitor.conversation_id,
                        to_agent_id=agent.id, reason="转错了")["status"] == "applied"
        await until(lambda: row_of(window, "小鱼儿").mine)
        await until(lambda: window.commands["conversation.return"].isEnabled())

        window.commands["conversation.close"].trigger()
        box = await dialog(window, QMessageBox)
        assert box.checkBox().isChecked()  # thanks and a rating request go out first
        box.button(QMessageBox.StandardButton.Ok).click()
        await until(lambda: visitor.receive()["state"] == "closed")
        seen = customer_sees(visitor)
        assert "感谢您的耐心，祝您生活愉快！" in seen
        body = visitor.receive()
        assert body["rating_requested"] or body["state"] == "closed"
        rated = visitor.http.post(f"{ui_server.url}/api/v1/visitor/rating",
                                  json={"score": 5, "comment": "很专业"}, timeout=10)
        assert rated.status_code == 200, rated.text

    run(aloop, scenario(), timeout=120)


def test_escalate_pin_tag_and_note_show_in_list_and_customer_panel(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    ui_world.agent(company, role="supervisor", name="赵主管")
    tag_id = ui_world.tag(company, "物流延误")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        for name, text in (("奶茶续命", "快递三天没动了！"), ("月光宝盒", "你好")):
            VisitorClient(ui_server.url, name, company=company.domain).send(text)
        await until(lambda: row_of(window, "奶茶续命") and row_of(window, "月光宝盒"))
        open_row(window, "奶茶续命")

        window.commands["conversation.escalate"].trigger()
        prompt = await dialog(window, TextPrompt)
        assert not prompt.ok.isEnabled(), "a reason is required"
        prompt.text.setPlainText("客户情绪激动，要求赔偿")
        prompt.ok.click()
        # H11.2 + H8.1: flagged as a complaint; the 5-minute complaint standard applies.
        await until(lambda: row_of(window, "奶茶续命").is_complaint)
        assert row_of(window, "奶茶续命").standard_s == 300
        await until(lambda: any("升级投诉" in n.text
                                for n in window.customer_panel.card.notes))

        window.commands["conversation.pin"].trigger()
        await until(lambda: rows(window)[0].nickname == "奶茶续命" and rows(window)[0].pinned)
        await until(lambda: window.commands["conversation.pin"].text() == "取消置顶")

        window.commands["conversation.tag"].trigger()
        picker = await dialog(window, TagPicker)
        picker.items[tag_id].setCheckState(0, Qt.CheckState.Checked)
        picker.accept()
        await until(lambda: "物流延误" in window.customer_panel.tags.text())

        window.customer_panel.note_requested.emit()
        prompt = await dialog(window, TextPrompt)
        prompt.text.setPlainText("已联系快递核实")
        prompt.ok.click()
        await until(lambda: any(n.text == "已联系快递核实" and not n.sending
                                for n in window.customer_panel.card.notes))
        # H11.3: the panel shows masked contact data only; an agent may not reveal it.
        assert not window.customer_panel.reveal_buttons["phone"].isEnabled()

    run(aloop, scenario(), timeout=120)


def test_sensitive_text_is_questioned_and_drafts_survive_a_restart(
    qtbot: QtBot, aloop: qasync.QEventLoop, ui_server: ServerProcess, ui_world: World,
    tmp_path: Path
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    visitor = VisitorClient(ui_server.url, "柠檬不萌", company=company.domain)
    visitor.send("帮我改一下收货地址")
    VisitorClient(ui_server.url, "静待花开", company=company.domain).send("在吗")
    ring = MemoryKeyring()  # the OS keyring keeps the cache's key across restarts
    first = App(ui_server.url, tmp_path, keyring_backend=ring)

    async def scenario() -> None:
        window = await first.sign_in(agent.account, PASSWORD)
        await until(lambda: row_of(window, "柠檬不萌") and row_of(window, "静待花开"))
        open_row(window, "柠檬不萌")
        composer = window.chat_panel.composer
        composer.setPlainText("已改为北京市朝阳区望京街道花家地北里7号楼，电话13698765432")
        qtbot.keyClick(composer, Qt.Key.Key_Return)
        box = await until(lambda: getattr(window, "sensitive_box", None))
        assert "手机号" in box.text() and "详细地址" in box.text()
        box.button(QMessageBox.StandardButton.Cancel).click()  # 返回修改: nothing is sent
        await until(lambda: not box.isVisible())
        assert "13698765432" in composer.toPlainText()
        assert not any("13698765432" in t for t in customer_sees(visitor))

        composer.setPlainText("地址改好了，请留意")
        open_row(window, "静待花开")  # switching keeps the draft of the one left
        await until(lambda: window.chat_panel.composer.toPlainText() == "")
        window.chat_panel.composer.setPlainText("稍等，我查一下")
        window.chat_panel.flush_draft()
        await until(lambda: window.ws.actions.draft(row_of(window, "静待花开").id)
                    == "稍等，我查一下")

    run(aloop, scenario(), timeout=90)
    first.close()
    again = App(ui_server.url, tmp_path, keyring_backend=ring)
    try:
        async def after_restart() -> None:
            window = await again.sign_in(agent.account, PASSWORD)
            await until(lambda: row_of(window, "柠檬不萌") is not None)
            open_row(window, "柠檬不萌")
            assert window.chat_panel.composer.toPlainText() == "地址改好了，请留意"
            open_row(window, "静待花开")
            assert window.chat_panel.composer.toPlainText() == "稍等，我查一下"

        run(aloop, after_restart(), timeout=90)
    finally:
        again.close()


def test_actions_taken_offline_show_at_once_and_reach_the_server(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    visitor = VisitorClient(ui_server.url, "断网顾客", company=company.domain)
    visitor.send("还在吗")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        await until(lambda: row_of(window, "断网顾客") is not None)
        open_row(window, "断网顾客")
        ui_server.stop()
        try:
            await until(lambda: window.banner.isVisible(), timeout=30)
            window.commands["conversation.pin"].trigger()
            await until(lambda: row_of(window, "断网顾客").pinned)  # queued, shown at once
            window.commands["conversation.close"].trigger()
            box = await dialog(window, QMessageBox)
            box.checkBox().setChecked(False)
            box.button(QMessageBox.StandardButton.Ok).click()
            await until(lambda: row_of(window, "断网顾客") is None)  # left the open views
        finally:
            ui_server.start()
        await until(lambda: visitor.receive()["state"] == "closed", timeout=60)
        await until(lambda: "已同步" in window.sync_label.text(), timeout=30)
        window.list_header.show_view("closed")
        await until(lambda: row_of(window, "断网顾客") is not None)
        assert row_of(window, "断网顾客").pinned

    run(aloop, scenario(), timeout=150)


def test_a_lead_reveals_contact_data_logged_and_sets_the_team_scripts(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    from sqlalchemy import select

    from app.ui.team_settings_dialog import TeamSettingsDialog
    from server import models as m

    company = ui_world.company()
    lead = ui_world.agent(company, role="lead", name="周组长", manages=(company.team_id,))
    colleague = AgentClient(ui_server.url, ui_world.agent(company, name="吴倩").account,
                            PASSWORD)
    visitor = VisitorClient(ui_server.url, "老顾客", company=company.domain)
    with ui_world.db.write() as session:  # the visitor's customer record gets a phone number
        customer = session.get(m.Customer, session.scalar(
            select(m.Conversation.customer_id).where(
                m.Conversation.id == visitor.conversation_id)))
        customer.phone = "13812345678"
        customer.version += 1
    visitor.send("我的订单地址要改")

    async def scenario() -> None:
        window = await app.sign_in(lead.account, PASSWORD)
        await until(lambda: row_of(window, "老顾客") is not None)
        open_row(window, "老顾客")
        phone = window.customer_panel.values["phone"]
        await until(lambda: phone.text() == "138****5678")
        button = window.customer_panel.reveal_buttons["phone"]
        assert button.isEnabled(), "leads hold customer.reveal (H10.2)"
        button.click()
        await until(lambda: phone.text() == "13812345678")
        with ui_world.db.read() as session:
            logged = session.scalars(select(m.AuditLog.detail).where(
                m.AuditLog.kind == "customer.reveal", m.AuditLog.actor_id == lead.id)).all()
        assert len(logged) == 1 and "13812345678" not in str(logged[0])

        assert window.team_settings.isVisible()
        window.team_settings.trigger()
        dialog = await dialog_of(window, TeamSettingsDialog)
        dialog.scripts["greeting"].setPlainText("亲，{customer}您好，我是{agent}～")
        dialog.first.setValue(45)
        assert dialog.late_lock.isChecked() and dialog.late_grace.value() == 10  # H1.3 as read
        dialog.late_grace.setValue(15)
        dialog.ok.click()
        await until(lambda: window.ws.scripts.templates(company.team_id)["greeting"]
                    == "亲，{customer}您好，我是{agent}～", timeout=30)
        await until(lambda: window.ws.scripts.shift_rules(company.team_id).late_login_grace_min
                    == 15)
        window.commands["conversation.greet"].trigger()
        await until(lambda: window.chat_panel.composer.toPlainText().endswith(
            "亲，老顾客您好，我是周组长～"))
        await until(lambda: row_of(window, "老顾客").standard_s == 45)

        # H3.4: a transfer made by mistake is pulled back from the status bar.
        colleague.online()
        await until(lambda: any(c.name == "吴倩" and c.reachable
                                for c in window.ws.colleagues.all()))
        window.commands["conversation.transfer"].trigger()
        picker = await dialog_of(window, TransferDialog)
        names = [picker.people.item(i).text() for i in range(picker.people.count())]
        picker.people.setCurrentRow(next(i for i, n in enumerate(names) if "吴倩" in n))
        picker.ok.click()
        await until(lambda: window.undo_button.isVisible())
        await until(lambda: row_of(window, "老顾客").agent_id != lead.id, timeout=30)
        window.undo_button.click()
        await until(lambda: row_of(window, "老顾客").agent_id == lead.id, timeout=30)
        await until(lambda: "接下来由同事周组长为您继续服务" in customer_sees(visitor))

    run(aloop, scenario(), timeout=120)


async def dialog_of(window: Any, kind: type) -> Any:
    return await dialog(window, kind)


def test_history_scrolls_back_through_the_cache_then_the_server(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    """H3.1: pages come from the cache; once it runs out, from the server; day lines stay."""
    from sqlalchemy import delete

    from app.models.tables import Message

    company = ui_world.company()
    agent = ui_world.agent(company)
    visitor = VisitorClient(ui_server.url, "话痨顾客", company=company.domain)
    for n in range(1, 151):
        assert visitor.send(f"第{n}条").status_code == 200

    def customer_lines(window: Any) -> list[str]:
        return [t for t in chat_texts(window) if t.startswith("第")]

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        await until(lambda: row_of(window, "话痨顾客") is not None, timeout=30)
        cid = row_of(window, "话痨顾客").id
        await until(lambda: "第150条" in [r.text for r in window.runtime.chat.messages(cid)],
                    timeout=30)
        with window.runtime.store.write() as session:  # the cache holds only the newest part
            session.execute(delete(Message).where(Message.conversation_id == cid,
                                                  Message.text.in_([f"第{n}条"
                                                                    for n in range(1, 81)])))
        open_row(window, "话痨顾客")
        shown = customer_lines(window)
        assert shown[-1] == "第150条" and "第81条" not in shown
        bar = window.chat_panel.view.verticalScrollBar()
        for _ in range(10):  # the agent scrolls to the top, page after page
            await until(lambda: not window.chat_panel.loading_older)
            if "第1条" in customer_lines(window):
                break
            bar.setValue(bar.maximum())
            bar.setValue(0)
        lines = customer_lines(window)
        assert lines == [f"第{n}条" for n in range(1, 151)], "every message once, in order"
        assert window.chat_panel.history_note.text() == "已显示全部历史记录"
        assert window.chat_panel.model.row_at(0).sender == "day"

    run(aloop, scenario(), timeout=120)


def test_search_window_finds_two_character_words_and_opens_the_conversation(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    """H14.3: Ctrl+Shift+F, a 2-character Chinese query, a hit opens its conversation."""
    company = ui_world.company()
    agent = ui_world.agent(company)
    VisitorClient(ui_server.url, "退款顾客", company=company.domain).send("我想申请退款，怎么操作")
    VisitorClient(ui_server.url, "问尺码", company=company.domain).send("这件衣服偏大吗")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        await until(lambda: row_of(window, "退款顾客") and row_of(window, "问尺码"))
        open_row(window, "问尺码")
        window.commands["search.open"].trigger()
        dialog = window.search_dialog
        assert dialog.isVisible() and dialog.only_customer.isVisible()
        dialog.text.setText("退款")
        results = dialog.results
        await until(lambda: results.count() > 0)
        texts = [results.item(i).text() for i in range(results.count())]
        assert any("我想申请退款" in t and "退款顾客" in t for t in texts), texts
        assert not any("偏大" in t for t in texts)
        message_row = next(i for i, t in enumerate(texts) if "我想申请退款" in t)
        results.itemActivated.emit(results.item(message_row))
        await until(lambda: window.chat_panel.title.text() == "退款顾客")
        assert "我想申请退款，怎么操作" in chat_texts(window)

    run(aloop, scenario(), timeout=90)


def test_the_list_view_order_and_window_layout_come_back_after_a_restart(
    qtbot: QtBot, aloop: qasync.QEventLoop, ui_server: ServerProcess, ui_world: World,
    tmp_path: Path
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company)
    first = App(ui_server.url, tmp_path)

    async def set_up() -> None:
        window = await first.sign_in(agent.account, PASSWORD)
        window.list_header.view.setCurrentIndex(1)  # 我的会话
        window.list_header.view.activated.emit(1)
        window.list_header.sort.setCurrentIndex(1)  # 按紧急程度
        window.list_header.sort.activated.emit(1)
        window.resize(1300, 760)
        window.splitter.setSizes([360, 600, 340])
        await until(lambda: window.query.view == "mine" and window.query.sort == "urgency")

    run(aloop, set_up(), timeout=60)
    sizes = first.flow.main_window.splitter.sizes()
    first.close()
    again = App(ui_server.url, tmp_path)
    try:
        async def check() -> None:
            window = await again.sign_in(agent.account, PASSWORD)
            assert window.list_header.view.currentData() == "mine"
            assert window.list_header.sort.currentData() == "urgency"
            assert window.query.view == "mine"
            # Qt fits a restored window to the screen: the offscreen one is 800 px wide.
            assert window.height() == 760 and again.config.get("window_geometry")
            assert window.splitter.sizes()[0] == sizes[0]

        run(aloop, check(), timeout=60)
    finally:
        again.close()

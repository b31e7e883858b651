"""Keyboard only (H2.3): a whole conversation — accept, read, reply with a quick phrase, tag,
transfer or close — handled without the mouse, plus the command palette, a shortcut override
and the send key taking effect live (pytest-qt, offscreen, real server).

Every key goes to the widget that has the keyboard focus (`QApplication.focusWidget()`), as a
real agent's keys would: nothing is clicked and no handler is called directly."""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.commands import BY_ID
from app.ui.action_dialogs import TagPicker, TransferDialog
from app.ui.cheat_sheet import CheatSheet
from app.ui.command_actions import key_text
from app.ui.command_palette import CommandPalette
from app.ui.settings_dialog import SettingsDialog
from app.ui.shortcut_editor import ShortcutEditor
from server import models as m
from tests.support.api import AgentClient, VisitorClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.window_views import chat_texts, customer_sees, row_of
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

PHRASE_TEXT = "您好{customer}，订单{订单号}已安排发货"


# ---- the keyboard ----------------------------------------------------------------------------

def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(qtbot: QtBot, key: str) -> None:
    """One key combination in Qt's portable text ("Ctrl+Shift+A", "Down", "Return") on the
    focused widget."""
    sequence = QKeySequence(key)
    assert sequence.count() == 1, key
    combo = sequence[0]
    qtbot.keyClick(focused(), combo.key(), combo.keyboardModifiers())


def type_text(qtbot: QtBot, text: str) -> None:
    """Latin letters and signs as key presses; Chinese as the input method commits it (the
    agent types pinyin, the IME hands the widget the characters), so QTest never sees it."""
    for run_ in re.findall(r"[\x20-\x7e]+|[^\x20-\x7e]+", text):
        if run_.isascii():
            qtbot.keyClicks(focused(), run_)
        else:
            event = QInputMethodEvent()
            event.setCommitString(run_)
            QApplication.sendEvent(focused(), event)


def default_key(command_id: str) -> str:
    return BY_ID[command_id].keys[0]


# ---- the window ------------------------------------------------------------------------------


def shown(window: Any, kind: type) -> Any:
    return next((d for d in window.findChildren(kind) if d.isVisible()), None)


def inside(widget: QWidget, container: QWidget) -> bool:
    return widget is container or container.isAncestorOf(widget)


async def keyboard_in(window: Any, kind: type) -> Any:
    """The dialog of that kind once it is shown and has the keyboard."""
    dialog = await until(lambda: shown(window, kind))
    await until(lambda: QApplication.focusWidget() is not None
                and inside(QApplication.focusWidget(), dialog))
    return dialog


async def signed_in_at_the_keyboard(app: App, qtbot: QtBot, account: str) -> Any:
    """Signed in, the window active and shown as the agent sees it, its status online."""
    window = await app.sign_in(account, PASSWORD)
    await until(lambda: window.isVisible() and window.presence_status == "online")
    window.activateWindow()
    await until(window.isActiveWindow)
    await until(lambda: QApplication.focusWidget() is not None
                and inside(QApplication.focusWidget(), window))
    return window


async def back_in(qtbot: QtBot, window: Any, dialog: QWidget) -> None:
    """The dialog has gone: a desktop's window manager gives the activation back to the main
    window (offscreen has no window manager, so the test does that step), and the keyboard is
    where the agent left it."""
    await until(lambda: not dialog.isVisible())
    if not window.isActiveWindow():
        window.activateWindow()
    await until(window.isActiveWindow)


async def go_busy(qtbot: QtBot, window: Any) -> None:
    """忙碌 by its key: a visitor who writes now waits in the queue for someone to accept."""
    press(qtbot, default_key("presence.toggle_busy"))
    await until(lambda: window.ws.colleagues.me() is not None
                and window.ws.colleagues.me().presence == "busy")


async def open_and_accept(qtbot: QtBot, window: Any, nickname: str, first_words: str) -> None:
    """Next unread, read it, accept it: the greeting waits in the composer (H3.6)."""
    await until(lambda: row_of(window, nickname) is not None and row_of(window, nickname).unread)
    assert row_of(window, nickname).agent_id is None, "queued while the agent is busy"
    press(qtbot, default_key("conversation.next_unread"))
    await until(lambda: window.chat_panel.title.text() == nickname)
    assert first_words in chat_texts(window), "the customer's message is shown"
    composer = window.chat_panel.composer
    assert focused() is composer, "opening a conversation puts the keyboard in the composer"
    accept = window.commands["conversation.accept"]
    await until(accept.isEnabled)
    press(qtbot, default_key("conversation.accept"))
    await until(lambda: row_of(window, nickname).mine)
    await until(lambda: window.ws.agent_name in composer.toPlainText())
    assert focused() is composer


async def send_composer(qtbot: QtBot, window: Any, visitor: VisitorClient, text: str) -> None:
    composer = window.chat_panel.composer
    assert composer.toPlainText() == text
    press(qtbot, "Return")
    await until(lambda: text in customer_sees(visitor))
    await until(lambda: composer.toPlainText() == "")


# ---- 1. a whole conversation -----------------------------------------------------------------

def test_accept_read_reply_with_a_team_phrase_tag_and_transfer_without_the_mouse(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="王晓敏")
    lead = ui_world.agent(company, role="lead", name="周组长", manages=(company.team_id,))
    colleague = ui_world.agent(company, name="李娜")
    tag_id = ui_world.tag(company, "物流延误")
    ui_world.tag(company, "支付异常")
    lead_api = AgentClient(ui_server.url, lead.account, PASSWORD)
    for title, text in (("发货通知", PHRASE_TEXT), ("发货延迟", "抱歉{customer}，仓库正在加急")):
        assert lead_api.do("quick_phrase.upsert", id=str(uuid.uuid4()), scope="team",
                           title=title, text=text)["status"] == "applied"
    other = AgentClient(ui_server.url, colleague.account, PASSWORD)

    async def scenario() -> None:
        window = await signed_in_at_the_keyboard(app, qtbot, agent.account)
        await go_busy(qtbot, window)
        visitor = VisitorClient(ui_server.url, "小鱼儿", company=company.domain,
                                order_no="DD20240501")
        visitor.send("你好，我的订单什么时候发货？")
        await open_and_accept(qtbot, window, "小鱼儿", "你好，我的订单什么时候发货？")
        composer = window.chat_panel.composer
        await send_composer(qtbot, window, visitor, composer.toPlainText())  # the greeting
        other.online()  # the colleague comes in once the conversation is ours

        # the team phrase: `/` and a filter, Down to the second match, Enter inserts it
        await until(lambda: len(window.ws.phrases.phrases("发货")) == 2)
        type_text(qtbot, "/发货")
        popup = window.chat_panel.phrase_popup
        await until(lambda: popup.isVisible() and popup.count() == 2)
        assert popup.current().title == "发货延迟"
        press(qtbot, "Down")
        assert popup.current().title == "发货通知"
        press(qtbot, "Return")
        rendered = "您好小鱼儿，订单DD20240501已安排发货"
        await until(lambda: composer.toPlainText() == rendered)
        assert not popup.isVisible() and focused() is composer
        await send_composer(qtbot, window, visitor, rendered)

        # the tag picker: its key, Tab into the tree, arrows to the tag, Space ticks, Enter
        press(qtbot, default_key("conversation.tag"))
        picker = await keyboard_in(window, TagPicker)
        type_text(qtbot, "物流")
        press(qtbot, "Tab")
        assert focused() is picker.tree
        press(qtbot, "Down")
        assert picker.tree.currentItem() is picker.items[tag_id]
        press(qtbot, "Space")
        assert picker.chosen() == {tag_id}
        press(qtbot, "Return")
        await back_in(qtbot, window, picker)
        await until(lambda: "物流延误" in window.customer_panel.tags.text())
        customer_id = row_of(window, "小鱼儿").customer_id

        def server_tags() -> list[str]:
            with ui_world.db.read() as session:
                return list(session.get(m.Customer, customer_id).tags)

        await until(lambda: server_tags() == [tag_id])

        # the transfer dialog: its key, type the colleague's name, Down picks, Enter transfers
        await until(lambda: any(c.name == "李娜" and c.reachable
                                for c in window.ws.colleagues.all()))
        assert focused() is composer, "the keyboard is back in the composer"
        press(qtbot, default_key("conversation.transfer"))
        dialog = await keyboard_in(window, TransferDialog)
        assert not dialog.ok.isEnabled(), "nobody is picked before the agent chooses"
        type_text(qtbot, "李娜")  # typing the name highlights the colleague
        assert dialog.choice()[0] == colleague.id and dialog.ok.isEnabled()
        press(qtbot, "Tab")  # the people
        press(qtbot, "Tab")  # the reason
        assert focused() is dialog.reason
        press(qtbot, "Down")
        assert dialog.reason.currentData() == "expertise"
        press(qtbot, "Tab")  # the note
        assert focused() is dialog.note
        type_text(qtbot, "客户催发货")
        press(qtbot, "Return")
        await back_in(qtbot, window, dialog)
        assert focused() is composer
        await until(lambda: "接下来由同事李娜为您继续服务" in customer_sees(visitor))
        await until(lambda: not row_of(window, "小鱼儿").mine)

        seen: list[dict[str, Any]] = []

        def colleague_owns() -> bool:
            seen.extend(other.pull_all())
            return any(c["entity"] == "conversation" and c["id"] == visitor.conversation_id
                       and c["data"] and c["data"]["agent_id"] == colleague.id for c in seen)

        await until(colleague_owns)  # the colleague's own feed has it, with the note and why
        assert "转接备注：客户催发货（原因：需要专业同事处理）" in [
            c["data"].get("text") for c in seen if c["entity"] == "note" and c["data"]]
        with ui_world.db.read() as session:
            conv = session.get(m.Conversation, visitor.conversation_id)
            assert conv.agent_id == colleague.id and conv.state == "open"
            assert conv.transferred_from_id == agent.id

    run(aloop, scenario(), timeout=120)


def test_accept_reply_and_close_with_its_confirmation_without_the_mouse(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="王晓敏")

    async def scenario() -> None:
        window = await signed_in_at_the_keyboard(app, qtbot, agent.account)
        await go_busy(qtbot, window)
        visitor = VisitorClient(ui_server.url, "柠檬不萌", company=company.domain)
        visitor.send("好的，没有别的问题了")
        await open_and_accept(qtbot, window, "柠檬不萌", "好的，没有别的问题了")
        composer = window.chat_panel.composer
        await send_composer(qtbot, window, visitor, composer.toPlainText())

        press(qtbot, default_key("conversation.close"))
        box = await keyboard_in(window, QMessageBox)
        assert box.checkBox().isChecked(), "thanks and a rating request go out first"
        press(qtbot, "Return")  # the confirmation's default button: 结束会话
        await back_in(qtbot, window, box)
        await until(lambda: visitor.receive()["state"] == "closed")
        assert "感谢您的耐心，祝您生活愉快！" in customer_sees(visitor)
        with ui_world.db.read() as session:
            assert session.get(m.Conversation, visitor.conversation_id).state == "closed"
        await until(lambda: row_of(window, "柠檬不萌") is None)  # gone from the open views
        assert not window.commands["conversation.close"].isEnabled()

    run(aloop, scenario(), timeout=120)


# ---- 2. the command palette ------------------------------------------------------------------

async def with_open_conversation(app: App, qtbot: QtBot, ui_server: ServerProcess,
                                 ui_world: World, nickname: str = "小鱼儿"
                                 ) -> tuple[Any, VisitorClient, Any]:
    """Signed in and online: the visitor's conversation is assigned to the agent, who opens it
    with the next-conversation key. Returns (window, visitor, company)."""
    company = ui_world.company()
    agent = ui_world.agent(company, name="王晓敏")
    window = await signed_in_at_the_keyboard(app, qtbot, agent.account)
    await until(lambda: window.ws.colleagues.me() is not None
                and window.ws.colleagues.me().presence == "online")
    visitor = VisitorClient(ui_server.url, nickname, company=company.domain,
                            order_no="DD20240501")
    visitor.send("在吗")
    await until(lambda: row_of(window, nickname) is not None and row_of(window, nickname).mine)
    press(qtbot, default_key("conversation.next"))
    await until(lambda: window.chat_panel.title.text() == nickname)
    assert focused() is window.chat_panel.composer
    return window, visitor, company


def test_the_command_palette_finds_transfer_by_its_chinese_name_and_escape_closes(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    async def scenario() -> None:
        window, visitor, _company = await with_open_conversation(app, qtbot, ui_server,
                                                                  ui_world)
        press(qtbot, default_key("palette.open"))
        palette = await keyboard_in(window, CommandPalette)
        assert focused() is palette.filter_box
        type_text(qtbot, "转接")
        assert palette.current_id() == "conversation.transfer"
        press(qtbot, "Return")
        dialog = await keyboard_in(window, TransferDialog)
        assert not palette.isVisible()
        press(qtbot, "Escape")
        await back_in(qtbot, window, dialog)
        assert focused() is window.chat_panel.composer
        assert row_of(window, "小鱼儿").mine, "Esc transferred nothing"
        assert window.runtime.engine.status.pending == 0, "and queued nothing"
        with ui_world.db.read() as session:
            assert session.get(m.Conversation, visitor.conversation_id).agent_id == \
                window.ws.agent_id

        press(qtbot, default_key("palette.open"))
        await until(lambda: palette.isVisible() and focused() is palette.filter_box)
        assert palette.filter_box.text() == ""
        press(qtbot, "Escape")
        await back_in(qtbot, window, palette)
        assert shown(window, TransferDialog) is None

    run(aloop, scenario(), timeout=90)


# ---- 3. a shortcut override applies live -----------------------------------------------------

def test_a_new_transfer_key_works_at_once_and_the_old_one_no_longer_does(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    async def scenario() -> None:
        window, _visitor, _company = await with_open_conversation(app, qtbot, ui_server,
                                                                   ui_world)
        transfer = window.commands["conversation.transfer"]
        triggered: list[bool] = []
        transfer.triggered.connect(lambda *_: triggered.append(True))
        old_key = default_key("conversation.transfer")
        press(qtbot, old_key)  # the default works before the change
        dialog = await keyboard_in(window, TransferDialog)
        press(qtbot, "Escape")
        await back_in(qtbot, window, dialog)
        assert triggered == [True]

        # 设置 › 快捷键: the agent captures Ctrl+Alt+T for 转接 and presses OK
        settings = SettingsDialog(window.prefs, window.tr_, window, pages=window.setting_pages())
        editor = settings.editors["shortcuts"]
        assert isinstance(editor, ShortcutEditor)
        settings.open()
        await until(lambda: inside(focused(), settings))
        for _page in range(settings.tabs.count()):  # Ctrl+Tab to the 快捷键 page
            if editor.isVisible():
                break
            press(qtbot, "Ctrl+Tab")
        assert editor.isVisible()
        editor.select("conversation.transfer")
        editor.capture.setFocus()
        await until(lambda: focused() is editor.capture)
        press(qtbot, "Ctrl+Alt+T")
        await until(lambda: editor.overrides() == {"conversation.transfer": ["Ctrl+Alt+T"]})
        settings.save()
        await back_in(qtbot, window, settings)
        assert window.prefs.get("shortcuts") == {"conversation.transfer": ["Ctrl+Alt+T"]}
        composer = window.chat_panel.composer
        assert focused() is composer

        press(qtbot, old_key)
        assert triggered == [True], "the old key does nothing any more"
        assert shown(window, TransferDialog) is None and composer.toPlainText() == ""
        press(qtbot, "Ctrl+Alt+T")
        dialog = await keyboard_in(window, TransferDialog)
        assert triggered == [True, True]
        press(qtbot, "Escape")
        await back_in(qtbot, window, dialog)

        press(qtbot, default_key("help.cheat_sheet"))
        sheet = await keyboard_in(window, CheatSheet)
        assert sheet.keys_shown()["conversation.transfer"] == key_text(["Ctrl+Alt+T"],
                                                                      window.tr_)
        press(qtbot, "Escape")
        await back_in(qtbot, window, sheet)

    run(aloop, scenario(), timeout=90)


# ---- 4. the send key applies live ------------------------------------------------------------

def test_with_ctrl_enter_as_send_key_enter_breaks_the_line_and_ctrl_enter_sends(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    async def scenario() -> None:
        window, visitor, _company = await with_open_conversation(app, qtbot, ui_server,
                                                                  ui_world)
        composer = window.chat_panel.composer
        assert "Shift+Enter" in composer.placeholderText()
        window.prefs.set("send_key", "ctrl_enter")
        assert composer.placeholderText() == "输入回复，Ctrl+Enter 发送，Enter 换行"
        type_text(qtbot, "first line")
        press(qtbot, "Return")
        type_text(qtbot, "second line")
        assert composer.toPlainText() == "first line\nsecond line"
        press(qtbot, "Ctrl+Return")
        await until(lambda: "first line\nsecond line" in customer_sees(visitor))
        assert "first line" not in customer_sees(visitor), "Enter sent nothing"
        await until(lambda: composer.toPlainText() == "")

        window.prefs.set("send_key", "enter")  # and back, live as well
        assert composer.placeholderText() == "输入回复，Enter 发送，Shift+Enter 换行"
        type_text(qtbot, "ok")
        press(qtbot, "Return")
        await until(lambda: "ok" in customer_sees(visitor))

    run(aloop, scenario(), timeout=90)


# ---- 5. Ctrl+1…9 -----------------------------------------------------------------------------

def test_ctrl_1_inserts_the_first_phrase_filled_in_for_the_open_customer(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    async def scenario() -> None:
        window, visitor, company = await with_open_conversation(app, qtbot, ui_server,
                                                                 ui_world, "奶茶续命")
        lead = ui_world.agent(company, role="lead", name="周组长", manages=(company.team_id,))
        lead_api = AgentClient(ui_server.url, lead.account, PASSWORD)
        for title, text in (("A 发货", PHRASE_TEXT), ("B 催单", "{客户}，已为您催促仓库")):
            assert lead_api.do("quick_phrase.upsert", id=str(uuid.uuid4()), scope="team",
                               title=title, text=text)["status"] == "applied"
        await until(lambda: len(window.ws.phrases.phrases()) == 2)
        composer = window.chat_panel.composer
        press(qtbot, default_key("phrase.insert_1"))
        assert composer.toPlainText() == "您好奶茶续命，订单DD20240501已安排发货"
        composer.clear()
        press(qtbot, default_key("list.filter"))  # away from the composer: the window's key
        assert focused() is window.list_header.filter
        press(qtbot, default_key("phrase.insert_2"))
        assert composer.toPlainText() == "奶茶续命，已为您催促仓库"
        assert focused() is composer
        press(qtbot, "Return")
        await until(lambda: "奶茶续命，已为您催促仓库" in customer_sees(visitor))

    run(aloop, scenario(), timeout=90)


# ---- the pickers' own keys -------------------------------------------------------------------

def test_down_in_the_pickers_filters_moves_to_the_matches(qtbot: QtBot) -> None:
    """Down leaves a filter for what it found: the first tag shown (Space ticks it), the next
    reachable colleague (an offline one is skipped)."""
    from app.i18n import Tr
    from app.services.colleagues import Colleague
    from app.services.customers import Tag

    parent = QWidget()
    qtbot.addWidget(parent)
    tags = (Tag("t1", "产品使用", 1, None, "产品使用"),
            Tag("t2", "支付异常", 2, "t1", "产品使用 › 支付异常"),
            Tag("t3", "物流延误", 1, None, "物流延误"))
    picker = TagPicker(Tr("zh"), tags, set(), parent)
    picker.show()
    picker.activateWindow()
    qtbot.waitUntil(picker.isActiveWindow)
    picker.filter.setFocus()
    picker.filter.setText("支付")
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    assert picker.tree.currentItem() is picker.items["t2"], "the match, not its parent"
    assert picker.tree.hasFocus()
    qtbot.keyClick(picker.tree, Qt.Key.Key_Space)
    assert picker.chosen() == {"t2"}
    qtbot.keyClick(picker.tree, Qt.Key.Key_Up)
    qtbot.keyClick(picker.tree, Qt.Key.Key_Space)
    assert picker.chosen() == {"t1", "t2"}

    def person(pid: str, name: str, presence: str) -> Colleague:
        return Colleague(pid, name, "1", "team", "售前组", "agent", presence, 0)

    dialog = TransferDialog(Tr("zh"), [person("a", "李娜", "online"),
                                       person("b", "李四", "offline"),
                                       person("c", "李明", "busy")], parent)
    dialog.show()
    assert dialog.choice()[0] == "" and not dialog.ok.isEnabled()
    dialog.filter.setText("李")
    assert dialog.choice()[0] == "a"
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Down)
    assert dialog.choice()[0] == "c", "李四 is offline: skipped"
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Up)
    assert dialog.choice()[0] == "a"
    dialog.filter.setText("李明")
    assert dialog.choice()[0] == "c" and dialog.ok.isEnabled()
    dialog.filter.setText("王")
    assert not dialog.ok.isEnabled(), "nobody shown, nobody to transfer to"

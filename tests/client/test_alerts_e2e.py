"""Alerts end to end (H10.1, H2.2): a real server, a signed-in agent, customers writing and a
colleague transferring; each channel's observable effect in the main window (pytest-qt,
offscreen: no system tray, so popups are the in-window toast)."""

from __future__ import annotations

import os
from typing import Any

import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.settings import DEFAULT_NOTIFY
from app.ui.conversation_list import ROW_ROLE
from app.ui.notification_page import NotificationPage
from tests.support.api import AgentClient, VisitorClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]


def notify_with(**new_message: Any) -> dict[str, dict[str, Any]]:
    """The defaults, with the new_message channels changed."""
    value = {event: dict(channels) for event, channels in DEFAULT_NOTIFY.items()}
    value["new_message"].update(new_message)
    return value


def toast(window: Any) -> QLabel | None:
    label = window.findChild(QLabel, "alertToast")
    return label if label is not None and label.isVisible() else None


def test_each_event_reaches_its_channels_and_busy_mutes_all_but_urgent(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="王晓敏")
    colleague = ui_world.agent(company, name="李娜")
    other = AgentClient(ui_server.url, colleague.account, PASSWORD)

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        prefs = app.flow.prefs
        prefs.set("notify", notify_with(sound="bell", volume=35))
        prefs.set("busy_mutes", True)
        alerts = window.alerts
        assert alerts is not None
        notifier, player, tray = alerts.notifier, alerts.notifier.player, alerts.tray
        assert not tray.can_show_messages(), "offscreen has no system tray"
        # Routing needs the agent online on the server; alerts need the cache bootstrapped.
        await until(lambda: alerts.watcher.primed and window.ws.colleagues.me() is not None
                    and window.ws.colleagues.me().presence == "online")
        assert player.requested == 0 and notifier.last_popup is None and tray.unread == 0

        # new conversation, assigned to the only online agent: chime 70, toast, flash
        visitor = VisitorClient(ui_server.url, "小鱼儿", company=company.domain)
        assert visitor.start_response.status_code == 200, visitor.start_response.text
        await until(lambda: player.requested == 1)
        assert player.last == ("chime", 70)
        assert notifier.last_popup is not None
        assert notifier.last_popup[0] == "新会话：小鱼儿" and notifier.last_popup[2] == "toast"
        shown = toast(window)
        assert shown is not None and shown.text().startswith("新会话：小鱼儿")
        assert notifier.alerts_raised == 1, "the taskbar alert (flash) is on by default"

        # a customer message: the agent's own sound and volume from `notify`
        visitor.send("请问什么时候发货？")
        await until(lambda: player.requested == 2)
        assert player.last == ("bell", 35)
        assert notifier.last_popup == ("小鱼儿 发来新消息", "请问什么时候发货？", "toast")
        assert notifier.alerts_raised == 1, "new_message does not flash by default"
        await until(lambda: tray.unread == 1)

        # sound off for new messages: still a popup, no sound
        prefs.set("notify", notify_with(sound=""))
        visitor.send("还在吗")
        await until(lambda: notifier.last_popup is not None
                    and notifier.last_popup[1] == "还在吗")
        assert player.requested == 2
        await until(lambda: tray.unread == 2)

        # busy with busy_mutes: the message is silent (the sound is back on to prove it)
        prefs.set("notify", notify_with(sound="bell", volume=35))
        window.presence_requested.emit("busy")
        await until(lambda: window.presence_status == "busy" and tray.presence == "busy"
                    and window.ws.colleagues.me().presence == "busy")
        visitor.send("人呢？")
        await until(lambda: tray.unread == 3)  # the page was handled: the badge follows it
        assert player.requested == 2
        assert notifier.last_popup is not None and notifier.last_popup[1] == "还在吗"
        assert notifier.alerts_raised == 1

        # ...but a colleague's transfer to the busy agent is urgent and alerts on every channel
        other.online()
        second = VisitorClient(ui_server.url, "柠檬不萌", company=company.domain)
        assert second.send("我要开发票").status_code == 200
        result = other.do("conversation.transfer", conversation_id=second.conversation_id,
                          to_agent_id=agent.id, note="客户要开专票")
        assert result["status"] == "applied", result
        await until(lambda: player.requested == 3)
        assert player.last == ("knock", 80)
        assert notifier.last_popup is not None
        assert notifier.last_popup[0] == "柠檬不萌 的会话已转给您"
        assert notifier.alerts_raised == 2
        await until(lambda: tray.unread == 4)  # its unread message is now the agent's too

        # reading a conversation lowers the badge
        model = window.list_model
        position = next(i for i in range(model.rowCount())
                        if model.data(model.index(i), ROW_ROLE).nickname == "小鱼儿")
        window.list_view.setCurrentIndex(model.index(position))
        await until(lambda: tray.unread == 1)

        # the settings page's test button plays the row's chosen, unsaved sound (busy or not)
        page = window.setting_pages()["notify"](prefs.get("notify"), None)
        assert isinstance(page, NotificationPage)
        qtbot.addWidget(page)
        row = page.rows["handover"]
        row.sound.setCurrentIndex(row.sound.findData("alarm"))
        row.volume.setValue(45)
        qtbot.mouseClick(row.test, Qt.MouseButton.LeftButton)
        assert player.last == ("alarm", 45) and player.requested == 4
        assert notifier.last_popup is not None
        assert notifier.last_popup[0] == "测试提醒：交接班事项"
        assert prefs.get("notify")["handover"]["sound"] == DEFAULT_NOTIFY["handover"]["sound"]

    run(aloop, scenario(), timeout=120)

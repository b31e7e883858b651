"""Notifications (H10.1, H2.2): which events a synced page or the clock brings, each channel's
observable effect (sound requested, popup shown, alert raised, shake restored), the policy
(busy, quiet hours, focus), the settings page, the tray icon and the sound files."""

from __future__ import annotations

import datetime as dt
import logging
import struct
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.config import Config
from app.i18n import Tr
from app.models.store import Store, open_store
from app.policy import Policy
from app.services.alerts import Alert, AlertWatcher
from app.services.preferences import Preferences
from app.settings import DEFAULT_NOTIFY, SOUNDS
from app.sync import outbox
from app.sync.apply import Applied, apply_changes, apply_page
from app.ui.notification_page import NotificationPage
from app.ui.notifier import Notifier, SoundPlayer, in_quiet_hours
from app.ui.tray import TrayIcon
from kefu_protocol.wire import Change

ME, OTHER, TEAM = "agent-me", "agent-other", "team-1"
T0 = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)
SOUND_DIR = Path(__file__).resolve().parents[2] / "resources" / "sounds"


# ---- the cache, filled the way a pulled page is applied -----------------------------------

def conversation(cid: str, *, agent: str | None = ME, state: str = "open", version: int = 1,
                 awaiting: dt.datetime | None = None, team: str = TEAM,
                 **extra: Any) -> Change:
    data = {"id": cid, "team_id": team, "customer_id": f"cu-{cid}", "agent_id": agent,
            "state": state, "pinned": False, "order_no": "", "created_at": T0.isoformat(),
            "last_message_at": T0.isoformat(), "last_message_text": "你好，我的快递到哪了？",
            "awaiting_reply_since": awaiting.isoformat() if awaiting else None,
            "version": version, **extra}
    return Change(entity="conversation", op="upsert", id=cid, data=data)


def customer(cid: str, nickname: str) -> Change:
    return Change(entity="customer", op="upsert", id=f"cu-{cid}",
                  data={"team_id": TEAM, "nickname": nickname, "vip_level": 0, "version": 1})


def message(mid: str, cid: str, seq: int, sender: str = "customer", text: str = "在吗？",
            version: int = 1) -> Change:
    return Change(entity="message", op="upsert", id=mid, data={
        "id": mid, "conversation_id": cid, "seq": seq, "sender": sender,
        "agent_id": ME if sender == "agent" else None, "text": text,
        "created_at": T0.isoformat(), "version": version})


def record(entity: str, rid: str, **data: Any) -> Change:
    return Change(entity=entity, op="upsert", id=rid, data={"version": 1, **data})


def apply(store: Store, *changes: Change) -> Applied:
    with store.write() as session:
        applied = apply_changes(session, list(changes), client_id="desk-1")
        outbox.set_state(session, "cursor", "c")
    return applied


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "cache.db")
    apply(s, record("team", TEAM, name="售后组", first_response_s=30, complaint_response_s=300),
          record("agent", OTHER, name="小王"),
          customer("c1", "张三"), conversation("c1"), message("m1", "c1", 1),
          customer("c2", "李四"), conversation("c2", agent=OTHER), message("m2", "c2", 1),
          customer("q1", "王五"), conversation("q1", agent=None, state="queued"))
    yield s
    s.close()


@pytest.fixture
def watcher(store: Store) -> AlertWatcher:
    return AlertWatcher(store, agent_id=ME, team_id=TEAM)


def events(alerts: list[Alert]) -> list[tuple[str, str | None]]:
    return [(a.event, a.conversation_id) for a in alerts]


# ---- the watcher --------------------------------------------------------------------------

def test_the_first_page_after_priming_alerts_nothing(store: Store, watcher: AlertWatcher) -> None:
    again = apply(store, conversation("c1", version=2), conversation("q1", agent=None,
                  state="queued", version=2), message("m1", "c1", 1, version=2))
    assert watcher.after_page(again) == []
    assert watcher.tick(T0 + dt.timedelta(hours=1)) == []  # already overdue when primed


def test_the_first_bootstrap_primes_instead_of_alerting(tmp_path: Path) -> None:
    store = open_store(tmp_path / "fresh.db")
    try:
        watcher = AlertWatcher(store, agent_id=ME, team_id=TEAM)  # before any bootstrap
        everything = apply(store, conversation("c1"), message("m1", "c1", 1),
                           conversation("q1", agent=None, state="queued"))
        assert watcher.after_page(everything) == []
        news = apply(store, message("m3", "c1", 2, text="还在吗"))
        assert events(watcher.after_page(news)) == [("new_message", "c1")]
    finally:
        store.close()


def test_a_customer_message_in_my_conversation_alerts_once(store: Store,
                                                           watcher: AlertWatcher) -> None:
    page = apply(store, conversation("c1", version=2, awaiting=T0), message("m3", "c1", 2,
                 text="请问什么时候发货？"))
    alerts = watcher.after_page(page)
    assert events(alerts) == [("new_message", "c1")]
    assert alerts[0].nickname == "张三" and alerts[0].preview == "请问什么时候发货？"
    assert not alerts[0].urgent
    redelivered = apply(store, message("m3", "c1", 2, text="请问什么时候发货？", version=2))
    assert watcher.after_page(redelivered) == []


def test_agent_messages_and_colleagues_conversations_do_not_alert(
        store: Store, watcher: AlertWatcher) -> None:
    assert watcher.after_page(apply(store, message("m4", "c1", 2, sender="agent"))) == []
    assert watcher.after_page(apply(store, message("m5", "c2", 2))) == []


def test_new_conversations_in_my_queue_or_mine_alert_once(store: Store,
                                                          watcher: AlertWatcher) -> None:
    page = apply(store, customer("q2", "赵六"), conversation("q2", agent=None, state="queued"),
                 conversation("x1", agent=None, state="queued", team="team-2"),
                 conversation("n1"))
    assert sorted(events(watcher.after_page(page))) == [("new_conversation", "n1"),
                                                        ("new_conversation", "q2")]
    accepted = apply(store, conversation("q2", version=2), message("m6", "q2", 1))
    assert watcher.after_page(accepted) == []  # seen in the queue already; its messages too
    later = apply(store, message("m7", "q2", 2))
    assert events(watcher.after_page(later)) == [("new_message", "q2")]


def test_a_conversation_transferred_to_me_alerts_as_transferred(store: Store,
                                                                watcher: AlertWatcher) -> None:
    moved = conversation("c2", agent=ME, version=2, transferred_from_id=OTHER,
                         transferred_at=T0.isoformat())
    alerts = watcher.after_page(apply(store, moved, message("m8", "c2", 2, sender="system")))
    assert events(alerts) == [("transferred", "c2")]
    assert alerts[0].urgent and alerts[0].nickname == "李四"
    again = conversation("c2", agent=ME, version=3, transferred_from_id=OTHER,
                         transferred_at=T0.isoformat())
    assert watcher.after_page(apply(store, again)) == []


def test_waiting_warns_at_two_thirds_then_breaches_once_per_episode(
        store: Store, watcher: AlertWatcher) -> None:
    watcher.after_page(apply(store, conversation("c1", version=2, awaiting=T0)))
    at = [watcher.tick(T0 + dt.timedelta(seconds=s)) for s in (10, 20, 25, 30, 45)]
    assert [events(a) for a in at] == [[], [("response_warning", "c1")], [],
                                      [("response_breach", "c1")], []]
    assert at[3][0].urgent and not at[1][0].urgent
    watcher.after_page(apply(store, conversation("c1", version=3)))  # the agent replied
    assert watcher.tick(T0 + dt.timedelta(seconds=60)) == []
    episode = T0 + dt.timedelta(seconds=60)
    watcher.after_page(apply(store, conversation("c1", version=4, awaiting=episode)))
    assert events(watcher.tick(episode + dt.timedelta(seconds=21))) == [
        ("response_warning", "c1")]


def test_handovers_to_me_or_my_team_and_notices_alert(store: Store,
                                                      watcher: AlertWatcher) -> None:
    page = apply(store,
                 record("handover", "h1", team_id=TEAM, from_agent_id=OTHER, to_agent_id=ME,
                        note="订单 8812 客户等退款，请跟进"),
                 record("handover", "h2", team_id=TEAM, from_agent_id=OTHER,
                        to_agent_id="agent-3", note="不是给我的"),
                 Change(entity="notice", op="notice", id="n1",
                        data={"kind": "escalation", "conversation_id": "c1", "reason": "投诉"}))
    alerts = watcher.after_page(page)
    assert events(alerts) == [("handover", None), ("system_notice", "c1")]
    assert alerts[0].colleague == "小王" and alerts[1].kind == "escalation"
    assert watcher.after_page(apply(store, record("handover", "h1", team_id=TEAM,
                                                  from_agent_id=OTHER, to_agent_id=ME))) == []


# ---- the channels and the policy ----------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 3, 3, 10, 0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def prefs(tmp_path: Path) -> Preferences:
    return Preferences(Config(tmp_path / "settings.json", Policy(tmp_path / "deploy.toml")))


@pytest.fixture
def window(qtbot: Any) -> QWidget:
    w = QWidget()
    qtbot.addWidget(w)
    w.resize(500, 400)
    w.move(100, 120)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def tray(qtbot: Any) -> TrayIcon:
    return TrayIcon(Tr("zh"))


@pytest.fixture
def kit(prefs: Preferences, window: QWidget, tray: TrayIcon,
        monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(tray, "can_show_messages", lambda: True)  # a desktop with a tray
    presence = {"status": "online"}
    clock = Clock()
    notifier = Notifier(prefs, Tr("zh"), window_getter=lambda: window, tray=tray,
                        player=SoundPlayer(), presence_getter=lambda: presence["status"],
                        clock=clock)
    return {"notifier": notifier, "presence": presence, "clock": clock, "tray": tray}


def message_alert() -> Alert:
    return Alert("new_message", "c1", "张三", "请问什么时候发货？")


def test_sound_is_requested_with_the_configured_name_and_volume(prefs: Preferences,
                                                                kit: dict[str, Any]) -> None:
    notify = {**DEFAULT_NOTIFY, "new_message": {"sound": "bell", "volume": 33, "popup": False,
                                                 "flash": False}}
    prefs.set("notify", notify)
    kit["notifier"].notify(message_alert())
    assert kit["notifier"].player.last == ("bell", 33)
    assert kit["notifier"].last_popup is None and kit["notifier"].alerts_raised == 0


def test_popup_shows_on_the_tray_with_title_and_preview(kit: dict[str, Any]) -> None:
    kit["notifier"].notify(message_alert())
    assert kit["tray"].last_message == ("张三 发来新消息", "请问什么时候发货？")
    assert kit["notifier"].last_popup[2] == "tray"


def test_a_feed_row_set_aside_tells_the_agent_what_happened_and_where_it_went(
        store: Store, watcher: AlertWatcher, kit: dict[str, Any]) -> None:
    """Not a blank 请查看客服台: the agent can tell IT, who find the row in the diagnostics."""
    with store.write() as session:
        applied = apply_page(session, [], client_id="", unreadable=[{
            "change": {"entity": "message", "op": "merge", "id": "m-new"}, "error": "op"}])
    alerts = watcher.after_page(applied)
    assert [(a.event, a.kind) for a in alerts] == [("system_notice", "bad_feed_row")]
    kit["notifier"].notify(alerts[0])
    title, body, _ = kit["notifier"].last_popup
    assert title == "系统通知" and "导出诊断信息" in body


def test_without_a_tray_the_popup_is_a_toast_in_the_window(prefs: Preferences, window: QWidget,
                                                           tray: TrayIcon) -> None:
    assert not tray.can_show_messages()  # offscreen: no system tray
    notifier = Notifier(prefs, Tr("zh"), window_getter=lambda: window, tray=tray,
                        player=SoundPlayer(), presence_getter=lambda: "online")
    notifier.notify(message_alert())
    assert notifier.last_popup == ("张三 发来新消息", "请问什么时候发货？", "toast")
    toast = window.findChild(QLabel, "alertToast")
    assert toast is not None and toast.isVisible() and "张三" in toast.text()
    assert tray.last_message is None


def test_flash_raises_an_alert_and_the_shake_restores_the_position(qtbot: Any, window: QWidget,
                                                                   kit: dict[str, Any]) -> None:
    origin = QPoint(window.pos())
    moved: list[QPoint] = []
    notifier = kit["notifier"]
    notifier.notify(Alert("transferred", "c2", "李四", "", True))
    assert notifier.alerts_raised == 1 and notifier.shaking
    qtbot.waitUntil(lambda: (moved.append(QPoint(window.pos())) or not notifier.shaking),
                    timeout=3000)
    assert window.pos() == origin
    assert any(p != origin for p in moved), "the window moved while shaking"


def test_a_shake_ended_early_puts_the_window_back(qtbot: Any, window: QWidget,
                                                  kit: dict[str, Any]) -> None:
    origin = QPoint(window.pos())
    notifier = kit["notifier"]
    notifier.flash()
    qtbot.waitUntil(lambda: window.pos() != origin, timeout=3000)
    notifier.end_shake()
    assert window.pos() == origin and not notifier.shaking


def test_a_maximised_window_is_not_shaken(window: QWidget, kit: dict[str, Any]) -> None:
    window.showMaximized()
    kit["notifier"].flash()
    assert kit["notifier"].alerts_raised == 1 and not kit["notifier"].shaking


def test_busy_mutes_all_but_urgent_events(prefs: Preferences, kit: dict[str, Any]) -> None:
    notifier, tray = kit["notifier"], kit["tray"]
    kit["presence"]["status"] = "busy"
    notifier.notify(message_alert())
    assert notifier.player.last is None and tray.last_message is None
    notifier.notify(Alert("response_breach", "c1", "张三", "", True))
    assert notifier.player.last == ("alarm", 90) and notifier.alerts_raised == 1
    prefs.set("busy_mutes", False)
    notifier.notify(message_alert())
    assert notifier.player.last == ("ding", 60)


def test_quiet_hours_mute_only_the_sound_even_across_midnight(prefs: Preferences,
                                                              kit: dict[str, Any]) -> None:
    notifier, clock = kit["notifier"], kit["clock"]
    prefs.set_many({"quiet_hours": True, "quiet_from": "22:00", "quiet_to": "08:00"})
    clock.now = dt.datetime(2025, 3, 3, 23, 30)
    notifier.notify(Alert("new_conversation", "n1", "赵六", "在吗"))
    assert notifier.player.last is None
    assert kit["tray"].last_message == ("新会话：赵六", "在吗") and notifier.alerts_raised == 1
    clock.now = dt.datetime(2025, 3, 4, 7, 59)
    notifier.notify(message_alert())
    assert notifier.player.last is None
    clock.now = dt.datetime(2025, 3, 4, 8, 0)
    notifier.notify(message_alert())
    assert notifier.player.last == ("ding", 60)


def test_quiet_hours_ranges() -> None:
    assert in_quiet_hours(dt.time(23, 0), "22:00", "08:00")
    assert in_quiet_hours(dt.time(0, 30), "22:00", "08:00")
    assert not in_quiet_hours(dt.time(12, 0), "22:00", "08:00")
    assert in_quiet_hours(dt.time(12, 30), "12:00", "13:00")
    assert not in_quiet_hours(dt.time(13, 0), "12:00", "13:00")
    assert not in_quiet_hours(dt.time(9, 0), "09:00", "09:00")


def test_alerts_fire_while_the_window_has_focus(qtbot: Any, window: QWidget,
                                                kit: dict[str, Any]) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    kit["notifier"].notify(Alert("new_conversation", "n1", "赵六", "在吗"))
    assert kit["notifier"].player.last == ("chime", 70)
    assert kit["tray"].last_message is not None and kit["notifier"].alerts_raised == 1


def test_several_alerts_at_once_make_one_sound_and_one_summary(kit: dict[str, Any]) -> None:
    notifier = kit["notifier"]
    notifier.notify_all([message_alert(), Alert("transferred", "c2", "李四", "", True),
                         Alert("new_message", "c3", "王五", "hi")])
    assert notifier.player.requested == 1 and notifier.player.last == ("knock", 80)
    title, body, _route = notifier.last_popup
    assert title == "3 条新提醒" and "李四 的会话已转给您" in body.splitlines()


def test_the_test_button_fires_whatever_busy_or_quiet(prefs: Preferences,
                                                      kit: dict[str, Any]) -> None:
    notifier = kit["notifier"]
    kit["presence"]["status"] = "busy"
    prefs.set_many({"quiet_hours": True, "quiet_from": "00:00", "quiet_to": "23:59"})
    notifier.test("new_message", {"sound": "chime", "volume": 40, "popup": True, "flash": True})
    assert notifier.player.last == ("chime", 40) and notifier.alerts_raised == 1
    assert kit["tray"].last_message == ("测试提醒：新消息", "「新消息」的提醒就是这样")


def test_without_an_audio_backend_sounds_log_once_and_stay_silent(
        caplog: pytest.LogCaptureFixture) -> None:
    player = SoundPlayer()
    with caplog.at_level(logging.WARNING):
        player.play("ding", 50)
        player.play("bell", 50)
    assert player.last == ("bell", 50) and player.requested == 2
    assert sum("alert sounds are off" in r.getMessage() for r in caplog.records) <= 1


# ---- the settings page and the tray -------------------------------------------------------

def test_the_page_edits_every_event_and_its_test_button_calls_on_test(qtbot: Any) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    page = NotificationPage(Tr("zh"), DEFAULT_NOTIFY, lambda e, c: calls.append((e, c)))
    qtbot.addWidget(page)
    assert page.value() == DEFAULT_NOTIFY
    with qtbot.waitSignal(page.changed):
        row = page.rows["new_message"]
        row.sound.setCurrentIndex(row.sound.findData("knock"))
    row.volume.setValue(25)
    row.flash.setChecked(True)
    qtbot.mouseClick(row.test, Qt.MouseButton.LeftButton)
    assert calls == [("new_message", {"sound": "knock", "volume": 25, "popup": True,
                                      "flash": True})]
    assert page.value()["new_message"]["sound"] == "knock"
    with qtbot.assertNotEmitted(page.changed):
        page.set_value(DEFAULT_NOTIFY)
    assert page.value() == DEFAULT_NOTIFY


def test_a_locked_page_cannot_be_edited(qtbot: Any) -> None:
    page = NotificationPage(Tr("zh"), DEFAULT_NOTIFY, lambda e, c: None, "由 IT 设定")
    qtbot.addWidget(page)
    assert not page.rows["handover"].sound.isEnabled()
    assert not page.rows["handover"].popup.isEnabled()


def test_the_tray_shows_the_unread_count_and_its_menu_emits_presence(
        qtbot: Any, window: QWidget) -> None:
    tray = TrayIcon(Tr("zh"), window_getter=lambda: window)
    plain = tray.icon().pixmap(64, 64).toImage()
    tray.set_unread(5)
    assert tray.badge_text() == "5" and "5 条未读" in tray.toolTip()
    assert tray.icon().pixmap(64, 64).toImage() != plain  # the badge is painted
    tray.set_unread(120)
    assert tray.badge_text() == "99+"
    with qtbot.waitSignal(tray.presence_chosen) as chosen:
        tray.status_actions["busy"].trigger()
    assert chosen.args == ["busy"] and "忙碌" in tray.toolTip()
    window.showMinimized()
    with qtbot.waitSignal(tray.open_requested):
        tray.open_action.trigger()
    assert not window.isMinimized()
    with qtbot.waitSignal(tray.quit_requested):
        tray.quit_action.trigger()
    tray.set_unread(0)
    assert tray.badge_text() == "" and "未读" not in tray.toolTip()
    tray.start()  # no system tray here: nothing shown, nothing raised
    assert not tray.isVisible() or TrayIcon.available()


# ---- the sound files ----------------------------------------------------------------------

def test_the_sounds_are_short_soft_distinct_16_bit_mono() -> None:
    seen = set()
    for name in SOUNDS:
        with wave.open(str(SOUND_DIR / f"{name}.wav"), "rb") as sound:
            assert (sound.getnchannels(), sound.getsampwidth(), sound.getframerate()) == \
                (1, 2, 44_100), name
            frames = sound.readframes(sound.getnframes())
            assert sound.getnframes() / 44_100 <= 0.8, name
        samples = struct.unpack(f"<{len(frames) // 2}h", frames)
        peak = max(abs(s) for s in samples)
        assert 8000 < peak < 32767 * 0.7, name  # audible, soft, never clipped
        seen.add(frames)
    assert len(seen) == len(SOUNDS)

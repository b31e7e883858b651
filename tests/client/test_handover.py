"""The shift handover (H13.2): the service over a real cache (draft, one queued create, pending,
search, acks, the current shift H13.1, the lead's overdue alert), then end to end on a real
server: the outgoing agent hands two conversations and three items to a colleague and logs out
(H1.9); the incoming agent sees it after login, owns the conversations and acknowledges each."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.i18n import Tr
from app.models.store import Store, open_store
from app.models.tables import Outbox, Record
from app.services.alerts import AlertWatcher
from app.services.handover import HandoverService, ItemInput
from app.sync.apply import apply_changes
from app.ui.handover_dialog import HandoverDialog
from app.ui.incoming_handover import IncomingHandoverDialog
from kefu_protocol.wire import Change
from tests.support.api import VisitorClient
from tests.support.qt_async import App, aloop, close_app, run, until
from tests.support.server_proc import ServerProcess
from tests.support.window_views import row_of
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

ME, MATE, LEAD, TEAM = (str(uuid.uuid4()) for _ in range(4))
C1, C2, CUST1, CUST2, SHIFT, H_IN = (str(uuid.uuid4()) for _ in range(6))
# Tomorrow at 12:00 UTC (20:00 in Shanghai: the night shift): after the real clock, which the
# lead's watcher reads when it primes (items overdue by then are known, not news).
NOW = dt.datetime.combine(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1), dt.time(12, 0),
                          tzinfo=dt.UTC)


def _change(entity: str, data: dict[str, Any]) -> Change:
    return Change(entity=entity, op="upsert", id=data["id"], data={"version": 1, **data})


def _conversation(cid: str, customer: str, text: str, since: str) -> Change:
    return _change("conversation", {
        "id": cid, "team_id": TEAM, "customer_id": customer, "agent_id": ME, "state": "open",
        "pinned": False, "order_no": "", "created_at": since, "last_message_at": since,
        "last_message_text": text, "awaiting_reply_since": since})


SEED = [
    _change("team", {"id": TEAM, "name": "售前组", "handover_alert_min": 30}),
    _change("agent", {"id": ME, "name": "王晓敏", "team_id": TEAM, "presence": "online"}),
    _change("agent", {"id": MATE, "name": "李娜", "team_id": TEAM, "presence": "offline"}),
    _change("customer", {"id": CUST1, "team_id": TEAM, "nickname": "小鱼儿"}),
    _change("customer", {"id": CUST2, "team_id": TEAM, "nickname": "奶茶续命"}),
    _conversation(C1, CUST1, "还有蓝色吗？", NOW.replace(minute=50, hour=11).isoformat()),
    _conversation(C2, CUST2, "好的谢谢", NOW.replace(minute=30, hour=11).isoformat()),
    _change("shift", {"id": SHIFT, "team_id": TEAM, "name": "夜班", "starts": "17:00",
                      "ends": "01:00", "agent_ids": [ME]}),
    _change("handover", {"id": H_IN, "team_id": TEAM, "from_agent_id": MATE, "to_agent_id": ME,
                         "note": "早班交接", "shift_id": SHIFT,
                         "created_at": NOW.replace(hour=9).isoformat(), "acked_at": None,
                         "items": [{"kind": "todo", "text": "退款跟进", "acked_at": None},
                                   {"kind": "prospect", "text": "想买礼盒", "acked_at": None,
                                    "customer_id": CUST2}]}),
]


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "cache.db")
    with s.write() as session:
        apply_changes(session, SEED, client_id="test")
    yield s
    s.close()


def service(store: Store, agent_id: str = ME) -> HandoverService:
    return HandoverService(store, agent_id=agent_id, team_id=TEAM, poke=lambda: None,
                           now=lambda: NOW)


def test_the_draft_lists_my_open_conversations_colleagues_and_the_night_shift(
        store: Store) -> None:
    draft = service(store).draft()
    assert [c.nickname for c in draft.conversations] == ["奶茶续命", "小鱼儿"], \
        "longest waiting first"
    assert draft.conversations[1].last_message == "还有蓝色吗？"
    assert [c.name for c in draft.colleagues] == ["李娜"]
    assert draft.shift is not None and draft.shift.name == "夜班" and draft.shift.night


def test_submit_queues_one_create_shown_as_pending_and_found_offline(store: Store) -> None:
    s = service(store)
    hid = s.submit([ItemInput("conversation", conversation_id=C1, to_agent_id=MATE),
                    ItemInput("callback", "回电确认尺码", customer_id=CUST1,
                              due_at="2026-12-03T10:00+08:00")],
                   to_agent_id=MATE, shift_id=SHIFT)
    with store.read() as session:
        queued = session.execute(select(Outbox.name, Outbox.args)).all()
    assert [name for name, _ in queued] == ["handover.create"]
    assert queued[0][1]["items"][0] == {"kind": "conversation", "text": "",
                                        "conversation_id": C1, "to_agent_id": MATE}
    mine = s.search(agent_id=MATE, customer_id=CUST1)
    assert [h.id for h in mine] == [hid] and mine[0].pending
    assert mine[0].items[0].customer_name == "小鱼儿", "a conversation item finds its customer"
    assert service(store).search(text="尺码")[0].id == hid
    assert service(store).search(shift_id=str(uuid.uuid4())) == ()


def test_incoming_acks_each_item_and_the_view_keeps_the_state(store: Store) -> None:
    s = service(store)
    [incoming] = s.incoming(unacked_only=True)
    assert incoming.from_name == "李娜" and incoming.shift_name == "夜班"
    assert [i.kind for i in incoming.unacked] == ["todo", "prospect"]
    s.ack(H_IN, 0)
    [after] = s.incoming()
    assert after.items[0].ack_pending and not after.items[1].acked
    s.ack(H_IN, 1)
    assert s.incoming(unacked_only=True) == (), "acknowledged here, waiting for the server"
    assert service(store, MATE).incoming() == (), "not addressed to its author"


def test_a_lead_is_alerted_once_per_item_left_unacknowledged_too_long(store: Store) -> None:
    watcher = AlertWatcher(store, agent_id=LEAD, team_id=TEAM, role="lead")
    fresh = {"id": str(uuid.uuid4()), "team_id": TEAM, "from_agent_id": ME, "to_agent_id": MATE,
             "created_at": NOW.isoformat(), "acked_at": None,
             "items": [{"kind": "todo", "text": "给客户回电", "acked_at": None},
                       {"kind": "note", "text": "已确认", "acked_at": NOW.isoformat()}]}
    with store.write() as session:
        applied = apply_changes(session, [_change("handover", fresh)], client_id="test")
    assert watcher.after_page(applied) == [], "a handover to someone else is no news to a lead"
    early = watcher.tick(NOW + dt.timedelta(minutes=29))
    assert sorted(a.preview for a in early) == ["想买礼盒", "退款跟进"], \
        "only the morning handover's items are over 30 minutes old"
    [alert] = watcher.tick(NOW + dt.timedelta(minutes=31))
    assert alert.event == "handover_overdue" and alert.urgent
    assert alert.preview == "给客户回电" and alert.colleague == "李娜"
    assert watcher.tick(NOW + dt.timedelta(minutes=40)) == [], "once per item"
    agent = AlertWatcher(store, agent_id=ME, team_id=TEAM)
    assert agent.tick(NOW + dt.timedelta(hours=2)) == [], "agents are not told"


def test_the_form_logs_out_night_shifts_by_default_and_hands_all_to_one_colleague(
        qtbot: QtBot, store: Store) -> None:
    s = service(store)
    form = HandoverDialog(Tr("zh"), s.draft(), s.customers())
    qtbot.addWidget(form)
    assert form.log_out.isChecked(), "H1.9: after a night shift the desk is left signed out"
    assert not form.submit.isEnabled() and not form.hint.isHidden(), "no colleague chosen yet"
    form.hand_all.setCurrentIndex(form.hand_all.findData(MATE))
    assert form.submit.isEnabled()
    assert [(i.conversation_id, i.to_agent_id) for i in form.items()] == [(C2, MATE), (C1, MATE)]
    form.add_item("note", "交接备注")
    form.extras.item(0).setSelected(True)
    form.remove.click()
    assert [i.kind for i in form.items()] == ["conversation", "conversation"]
    day = HandoverService(store, agent_id=ME, team_id=TEAM, poke=lambda: None,
                          now=lambda: NOW.replace(hour=2))  # 10:00 in Shanghai: no shift
    morning = HandoverDialog(Tr("zh"), day.draft(), ())
    qtbot.addWidget(morning)
    assert day.draft().shift is None and not morning.log_out.isChecked()


# ---- end to end ------------------------------------------------------------------------------

async def _visible(window: Any, kind: type) -> Any:
    return await until(lambda: next((d for d in window.findChildren(kind) if d.isVisible()),
                                    None))


def test_full_handover_from_the_outgoing_form_to_the_incoming_acks(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess,
    ui_world: World, tmp_path: Path,
) -> None:
    company = ui_world.company()
    outgoing = ui_world.agent(company, name="王晓敏")
    incoming = ui_world.agent(company, name="李娜")
    second = App(ui_server.url, tmp_path / "incoming")

    async def scenario() -> None:
        window = await app.sign_in(outgoing.account, PASSWORD)
        visitors = {name: VisitorClient(ui_server.url, name, company=company.domain)
                    for name in ("小鱼儿", "奶茶续命", "月光宝盒")}
        for name, visitor in visitors.items():
            visitor.send(f"{name}：在吗？")
            await until(lambda n=name: _mine(window, n))
        prospect = row_of(window, "月光宝盒").customer_id

        window.commands["shift.handover"].trigger()
        form = await _visible(window, HandoverDialog)
        listed = [form.table.item(r, 1).text() for r in range(form.table.rowCount())]
        assert set(listed) == {"小鱼儿", "奶茶续命", "月光宝盒"}
        for row, name in enumerate(listed):
            form.choose(row, incoming.id, hand_over=name != "月光宝盒")
        form.add_item("todo", "小鱼儿的退款今天必须处理")
        form.add_item("prospect", "想买礼盒，明天联系", customer_id=prospect)
        form.add_item("callback", "回电确认尺码", customer_id=prospect,
                      due=dt.datetime.now() + dt.timedelta(hours=3))
        form.log_out.setChecked(True)
        assert form.submit.isEnabled()
        form.submit.click()
        # H1.9: the session ends once the handover is in the outbox (and flushed).
        await until(lambda: app.flow.main_window is None and app.flow.login.isVisible(),
                    timeout=30)

        window_b = await second.sign_in(incoming.account, PASSWORD)
        view = await _visible(window_b, IncomingHandoverDialog)
        await until(lambda: len(view.buttons) == 5)
        for name in ("小鱼儿", "奶茶续命"):  # H3.4: transferred at submit
            await until(lambda n=name: _mine(window_b, n))
        assert not row_of(window_b, "月光宝盒") or not row_of(window_b, "月光宝盒").mine
        [handover] = window_b.ws.handovers.incoming()
        assert handover.from_name == "王晓敏"
        assert [i.kind for i in handover.items] == [
            "conversation", "conversation", "todo", "prospect", "callback"]
        view.buttons[(handover.id, 0)]["conversation"].click()
        await until(lambda: window_b.current == handover.items[0].conversation_id)
        for index in range(5):
            await until(lambda i=index: "ack" in view.buttons.get((handover.id, i), {}))
            view.buttons[(handover.id, index)]["ack"].click()
        # the server's record comes back through the feed with every item acknowledged
        await until(lambda: _server_acked(window_b, handover.id), timeout=30)
        await until(lambda: all(i.acked_at for i in window_b.ws.handovers.incoming()[0].items))
        await until(lambda: not any("ack" in b for b in view.buttons.values()))

        # the kept records, searchable by customer and text (H13.2)
        window_b.commands["shift.history"].trigger()
        history = await until(lambda: next((d for d in window_b.findChildren(
            IncomingHandoverDialog) if d.isVisible() and d.history), None))
        history.customer.setCurrentIndex(history.customer.findData(prospect))
        assert history.tree.topLevelItemCount() == 1
        assert "王晓敏" in history.tree.topLevelItem(0).text(0)
        history.text.setText("没有这回事")
        assert history.tree.topLevelItemCount() == 0 and history.empty.isVisible()

    try:
        run(aloop, scenario(), timeout=150)
    finally:
        close_app(second, aloop)


def _mine(window: Any, nickname: str) -> bool:
    row = row_of(window, nickname)
    return row is not None and row.mine


def _server_acked(window: Any, handover_id: str) -> bool:
    with window.runtime.store.read() as session:
        record = session.get(Record, ("handover", handover_id))
    data = record.data if record is not None else {}
    return bool(data.get("items")) and all(i.get("acked_at") for i in data["items"]) \
        and bool(data.get("acked_at"))


def test_a_handover_submitted_offline_waits_and_lands_after_reconnect(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    from server import models as m

    company = ui_world.company()
    outgoing = ui_world.agent(company, name="陈晨")
    incoming = ui_world.agent(company, name="周敏")
    visitor = VisitorClient(ui_server.url, "断网顾客", company=company.domain)
    visitor.send("还在吗")

    def owner() -> str | None:
        with ui_world.db.read() as session:
            return session.get(m.Conversation, visitor.conversation_id).agent_id

    async def scenario() -> None:
        window = await app.sign_in(outgoing.account, PASSWORD)
        await until(lambda: _mine(window, "断网顾客"))
        await until(lambda: any(c.id == incoming.id for c in window.ws.colleagues.all()))
        ui_server.stop()
        try:
            await until(lambda: window.banner.isVisible(), timeout=30)
            window.commands["shift.handover"].trigger()
            form = await _visible(window, HandoverDialog)
            form.choose(0, incoming.id)
            form.add_item("note", "断网时交接")
            form.log_out.setChecked(False)
            form.submit.click()
            await until(lambda: any(h.pending for h in window.ws.handovers.search()))
            assert owner() == outgoing.id, "nothing reached the server yet"
        finally:
            ui_server.start()
        await until(lambda: owner() == incoming.id, timeout=60)
        await until(lambda: window.ws.handovers.search(text="断网时交接")
                    and not window.ws.handovers.search(text="断网时交接")[0].pending, timeout=30)
        assert app.flow.main_window is window, "still signed in: log out was not asked"

    run(aloop, scenario(), timeout=150)

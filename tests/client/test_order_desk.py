"""The 订单 tab (H5): look up an order by number, change its status through the server's state
machine, and see a change the server refuses reverted visibly with its reason (H5.1), the
handler's employee ID on the order (H5.4), the address only masked (H11.3)."""

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

from app.models.store import Store, open_store
from app.services.orders import OrderRefused, OrderService
from app.sync import outbox
from app.sync.apply import apply_changes
from kefu_protocol.wire import Change, MutationResult
from tests.support.api import VisitorClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.window_views import open_row, row_of
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

CUSTOMER = "c-1"
NEW = "0f0e0d0c-0000-4000-8000-000000000002"


def _order(oid: str, order_no: str, status: str, created_at: str, **extra: Any) -> Change:
    data = {"id": oid, "order_no": order_no, "customer_id": CUSTOMER, "team_id": "t",
            "status": status, "total_cents": 19900, "created_at": created_at, "version": 1,
            **extra}
    return Change(entity="order", op="upsert", id=oid, data=data)


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "cache.db")
    with s.write() as session:
        apply_changes(session, [
            _order("o-old", "DD1001", "已完成", "2026-11-01T08:00:00+00:00"),
            _order(NEW, "DD1002", "已付款", "2026-11-20T08:00:00+00:00",
                   lines=[{"sku": "SKU-1", "name": "保温杯", "qty": 2, "price_cents": 9950}],
                   payment_method="支付宝", address_masked="浙江省杭州市****",
                   history=[{"at": "2026-11-20T08:00:00+00:00", "status": "已付款",
                             "by": "system"}], handled_by=["10086"]),
            _order("o-x", "DD2001", "待付款", "2026-11-21T08:00:00+00:00", customer_id="c-2"),
            Change(entity="logistics_event", op="upsert", id="e2", data={
                "id": "e2", "order_id": NEW, "at": "2026-11-22T08:00:00+00:00",
                "carrier": "顺丰", "tracking_no": "SF1", "status": "运输中", "version": 1}),
            Change(entity="logistics_event", op="upsert", id="e1", data={
                "id": "e1", "order_id": NEW, "at": "2026-11-21T08:00:00+00:00",
                "carrier": "顺丰", "tracking_no": "SF1", "status": "已揽收", "version": 1}),
        ], client_id="me")
    yield s
    s.close()


def test_orders_newest_first_lookup_by_number_and_details(store: Store) -> None:
    service = OrderService(store, agent_id="a", poke=lambda: None)
    assert [o.order_no for o in service.of_customer(CUSTOMER)] == ["DD1002", "DD1001"]
    assert [o.order_no for o in service.lookup("DD1001")] == ["DD1001"]
    assert [o.order_no for o in service.lookup("DD1")] == ["DD1002", "DD1001"]
    assert service.lookup("DD9") == () and service.lookup(" ") == ()
    detail = service.detail(NEW)
    assert detail is not None
    assert [(li.name, li.qty, li.price_cents) for li in detail.lines] == [("保温杯", 2, 9950)]
    assert detail.payment_method == "支付宝" and detail.address_masked == "浙江省杭州市****"
    assert [e.status for e in detail.logistics] == ["已揽收", "运输中"], "sorted by time"
    assert detail.next_statuses == ("已发货", "退款中", "已取消")
    assert service.detail("o-old").next_statuses == ("退款中",)  # type: ignore[union-attr]


def test_a_queued_change_shows_pending_and_a_refused_one_reverts_with_its_reason(
        store: Store) -> None:
    pokes: list[int] = []
    service = OrderService(store, agent_id="a", poke=lambda: pokes.append(1))
    with pytest.raises(OrderRefused):
        service.actions.change_status(NEW, "已完成")  # not a legal step from 已付款
    service.actions.change_status(NEW, "已发货")
    assert pokes == [1]
    [row] = service.lookup("DD1002")
    assert (row.status, row.server_status, row.pending_status) == ("已发货", "已付款", "已发货")
    with store.write() as session:
        batch = outbox.next_batch(session)
        assert batch[0].args == {"order_id": NEW, "to_status": "已发货",
                                 "from_status": "已付款"}
        outbox.record_results(session, batch, [MutationResult(
            id=batch[0].mutation_id, status="rejected", code="stale_status",
            message="订单状态已变为“已取消”，请刷新后再操作")])
    [row] = service.lookup("DD1002")
    assert row.status == "已付款" and row.pending_status is None, "reverted"
    assert [r.reason for r in row.refused] == ["订单状态已变为“已取消”，请刷新后再操作"]
    service.actions.dismiss_refused(NEW)
    assert service.lookup("DD1002")[0].refused == ()


def _ship_setup(world: World, company: Any) -> tuple[str, str, str]:
    """An order of 老顾客 with a line, a payment method, an address and one tracking event."""
    from server import models as m

    customer_id, order_id, order_no = world.customer_with_order(company, status="已付款")
    with world.db.write() as session:
        order = session.get(m.Order, order_id)
        order.lines = [{"sku": "CUP-01", "name": "保温杯", "qty": 1, "price_cents": 19900}]
        order.payment_method = "微信支付"
        order.address = "浙江省杭州市西湖区文三路100号"
        order.history = [{"at": "2026-11-20T08:00:00+00:00", "status": "已付款", "by": "system"}]
        session.add(m.LogisticsEvent(
            id=str(uuid.uuid4()), order_id=order_id, team_id=company.team_id,
            at=dt.datetime(2026, 11, 21, 9, tzinfo=dt.UTC), carrier="顺丰",
            tracking_no="SF100200", status="已揽收", detail="杭州转运中心"))
    return customer_id, order_id, order_no


def _refund_behind_the_client(world: World, order_id: str, team_id: str) -> None:
    """A colleague's change the client has not seen: written with its feed row, as the server's
    mutators do, while the server is down."""
    from server import models as m
    from server.changes import ChangeWriter, team_scope
    from server.mutations.base import bump

    with world.db.write() as session:
        order = session.get(m.Order, order_id)
        order.status = "退款中"
        order.history = [*order.history, {"at": dt.datetime.now(dt.UTC).isoformat(),
                                          "status": "退款中", "by": "99999"}]
        bump(order)
        session.flush()
        ChangeWriter(session, "sqlite").upsert(team_scope(team_id), order)


def _items(widget: Any) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())]


def test_look_up_change_status_then_a_stale_change_is_refused_and_reverted(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="赵敏")
    employee_id = agent.account.split("@")[0]
    _customer, order_id, order_no = _ship_setup(ui_world, company)
    VisitorClient(ui_server.url, "老顾客", company=company.domain,
                  order_no=order_no).send("我的订单什么时候发货？")

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        panel = window.order_desk.panel
        window.side_tabs.setCurrentWidget(panel)
        await until(lambda: row_of(window, "老顾客") is not None, timeout=30)
        open_row(window, "老顾客")
        await until(lambda: panel.orders.count() == 1, timeout=30)
        assert panel.heading.text() == "当前客户的订单"

        # Look up by number: details with ¥ amounts, payment, the masked address, tracking.
        panel.search.setText(order_no)
        panel.lookup.click()
        await until(lambda: panel.detail.title.text() == f"订单 {order_no}")
        assert panel.heading.text() == "订单号查询结果"
        assert panel.detail.status.text() == "状态：已付款"
        facts = panel.detail.facts.text()
        assert "合计：¥199.00" in facts and "支付方式：微信支付" in facts
        assert "收货地址：浙江省杭州市****" in facts and "文三路" not in facts
        assert _items(panel.detail.lines) == ["保温杯（CUP-01）× 1 · ¥199.00"]
        assert any("顺丰 SF100200 已揽收 杭州转运中心" in t for t in _items(panel.detail.logistics))
        box = panel.detail.next_status
        offered = [box.itemText(i) for i in range(box.count())]
        assert offered == ["已发货", "退款中", "已取消"]

        # 已付款 → 已发货: pending at once, then applied with the agent's employee ID (H5.4).
        panel.detail.next_status.setCurrentIndex(offered.index("已发货"))
        panel.detail.apply.click()
        await until(lambda: panel.detail.status.text() == "状态：已发货", timeout=30)
        assert any(t.endswith(f"已发货（{employee_id}）") for t in _items(panel.detail.history))
        assert f"备注工号：{employee_id}" in panel.detail.facts.text()
        assert panel.detail.refused.isHidden()

        # Offline, the agent changes 已发货 → 已签收 while a colleague puts the order into
        # 退款中 on the server: the queued change is refused as stale when it arrives.
        ui_server.stop()
        try:
            _refund_behind_the_client(ui_world, order_id, company.team_id)
            panel.detail.next_status.setCurrentIndex(panel.detail.next_status.findData("已签收"))
            panel.detail.apply.click()
            await until(lambda: panel.detail.status.text() == "状态：已签收（待同步，原为已发货）")
            assert not panel.detail.apply.isEnabled(), "one change at a time"
        finally:
            ui_server.start()
        await until(lambda: panel.detail.refused.isVisible(), timeout=60)
        assert panel.detail.refused.text() == (
            "改为已签收被拒绝：订单状态已变为“退款中”，请刷新后再操作")
        await until(lambda: panel.detail.status.text() == "状态：退款中", timeout=30)
        assert any("退款中（99999）" in t for t in _items(panel.detail.history))
        assert "已签收" not in panel.orders.item(0).text(), "the refused change is reverted"

        # The agent has read it: the refusal leaves the order.
        panel.detail.dismiss.click()
        await until(lambda: panel.detail.refused.isHidden())

    run(aloop, scenario(), timeout=150)


def test_the_panel_offers_the_legal_steps_marks_refused_rows_and_says_when_none_match(
        qtbot: QtBot, store: Store) -> None:
    from app.i18n import Tr
    from app.ui.order_panel import OrderPanel

    service = OrderService(store, agent_id="a", poke=lambda: None)
    panel = OrderPanel(Tr("zh"))
    qtbot.addWidget(panel)
    panel.order_selected.connect(lambda oid: panel.show_detail(service.detail(oid)))
    with qtbot.waitSignal(panel.lookup_requested) as asked:
        panel.search.setText(" DD1001 ")
        panel.lookup.click()
    assert asked.args == ["DD1001"]
    panel.show_orders(service.lookup("DD1001"), heading="订单号查询结果")
    assert panel.orders.item(0).text() == "DD1001 · 已完成 · ¥199.00"
    box = panel.detail.next_status
    assert [box.itemText(i) for i in range(box.count())] == ["退款中"]
    with store.write() as session:  # 已完成 → 退款中 was refused: the list row says so
        outbox.enqueue(session, "order.transition",
                       {"order_id": "o-old", "to_status": "退款中", "from_status": "已完成"})
        outbox.reject_locally(session, outbox.next_batch(session), "forbidden_action", "无权退款")
    panel.show_orders(service.lookup("DD1001"), heading="订单号查询结果")
    assert panel.orders.item(0).text().endswith("有修改被拒绝")
    assert panel.detail.refused.text() == "改为退款中被拒绝：无权退款"
    panel.show_orders(service.lookup("DD2001"), heading="订单号查询结果")
    assert not panel.detail.apply.isHidden() and panel.detail.apply.isEnabled(), "待付款 can change"
    panel.show_orders(service.lookup("XX"), heading="订单号查询结果")
    assert panel.heading.text() == "没有找到订单" and panel.detail.widget().isHidden()

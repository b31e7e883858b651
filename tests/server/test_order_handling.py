"""Special order handling, the red flag and returns, each enforced by the server (H5.2-H5.4)."""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from kefu_protocol.shop import CANCEL_WINDOW_HOURS
from server import models as m
from server.db import open_database
from server.migrate import alembic_config, upgrade
from tests.support.api import AgentClient
from tests.support.pg import PgCluster
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World

LINES = [{"sku": "TEA-01", "name": "龙井", "qty": 2, "price_cents": 9900},
         {"sku": "CUP-02", "name": "茶杯", "qty": 1, "price_cents": 3900}]
ADDRESS = "浙江省杭州市西湖区文三路100号"
NEW_ADDRESS = "浙江省宁波市鄞州区天童南路888号"


def _agent(server: ServerProcess, world: World, company: CompanyRef, **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, **kw).account, PASSWORD)


def _order(world: World, company: CompanyRef, status: str, *, hours_old: float = 1) -> str:
    _customer, order_id, _no = world.customer_with_order(company, status=status)
    with world.db.write() as session:
        order = session.get(m.Order, order_id)
        assert order is not None
        order.lines, order.address = LINES, ADDRESS
        order.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_old)
    return order_id


def _latest(agent: AgentClient, entity: str, entity_id: str) -> dict[str, Any]:
    agent.cursor = ""
    rows = [c for c in agent.pull_all() if c["entity"] == entity and c["id"] == entity_id]
    return rows[-1]["data"]


def _employee(agent: AgentClient) -> str:
    return str(agent.agent["account"]).split("@")[0]


def test_address_changes_only_before_shipping_and_stays_masked_h5_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    for status in ("待付款", "已付款"):
        order_id = _order(world, company, status)
        assert agent.do("order.change_address", order_id=order_id, address=NEW_ADDRESS)[
            "status"] == "applied"
        row = _latest(agent, "order", order_id)
        assert row["address_masked"] == "浙江省宁波市****"
        assert NEW_ADDRESS not in str(row), "the feed never carries the full address (H11.3)"
        assert row["history"][-1]["action"] == "address_change"
        assert row["history"][-1]["by"] == _employee(agent)
        assert row["handled_by"] == [_employee(agent)]
    with world.db.read() as session:
        stored = session.get(m.Order, order_id)
        assert stored is not None and stored.address == NEW_ADDRESS
    for status in ("已发货", "已签收", "已完成", "已取消"):
        refused = agent.do("order.change_address", order_id=_order(world, company, status),
                           address=NEW_ADDRESS)
        assert refused["code"] == "address_locked_after_shipping", status
        assert status in refused["message"]


def test_cancel_only_before_shipping_within_the_window_h5_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    fresh = _order(world, company, "已付款")
    assert agent.do("order.cancel", order_id=fresh, reason="拍错了")["status"] == "applied"
    row = _latest(agent, "order", fresh)
    assert row["status"] == "已取消"
    assert row["history"][-1] | {"at": ""} == {
        "at": "", "by": _employee(agent), "status": "已取消", "action": "cancel", "note": "拍错了"}
    old = _order(world, company, "待付款", hours_old=CANCEL_WINDOW_HOURS + 1)
    late = agent.do("order.cancel", order_id=old, reason="拍错了")
    assert late["code"] == "cancel_window_passed" and str(CANCEL_WINDOW_HOURS) in late["message"]
    shipped = agent.do("order.cancel", order_id=_order(world, company, "已发货"), reason="不要了")
    assert shipped["code"] == "cancel_window_passed"
    blank = agent.do("order.cancel", order_id=_order(world, company, "已付款"), reason=" ")
    assert blank["code"] == "invalid_args", "a cancellation needs its reason"


def test_interception_only_after_shipping_h5_3(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    for status in ("已付款", "已签收", "待付款"):
        refused = agent.do("order.intercept", order_id=_order(world, company, status),
                           reason="顾客要求拦截")
        assert refused["code"] == "intercept_not_shipped", status
    shipped = _order(world, company, "已发货")
    assert agent.do("order.intercept", order_id=shipped, reason="顾客要求拦截")[
        "status"] == "applied"
    row = _latest(agent, "order", shipped)
    assert row["status"] == "已发货" and row["intercept_requested_at"]
    assert row["history"][-1]["action"] == "intercept"
    assert row["history"][-1]["note"] == "顾客要求拦截"


def test_red_flag_and_note_are_seen_by_colleagues_with_every_handler_h5_4(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    alice, bob = _agent(server, world, company), _agent(server, world, company)
    order_id = _order(world, company, "已发货")
    assert alice.do("order.flag", order_id=order_id, flagged=True, note="顾客催发票")[
        "status"] == "applied"
    seen = _latest(bob, "order", order_id)
    assert seen["flagged"] is True and seen["flag_note"] == "顾客催发票"
    assert bob.do("order.flag", order_id=order_id, flagged=False)["status"] == "applied"
    seen = _latest(alice, "order", order_id)
    assert seen["flagged"] is False and seen["flag_note"] == ""
    assert seen["handled_by"] == [_employee(alice), _employee(bob)]
    assert [h["action"] for h in seen["history"]] == ["flag", "unflag"]
    outsider = _agent(server, world, company, team_id=company.other_team_id)
    assert outsider.do("order.flag", order_id=order_id, flagged=True)["code"] == "order_not_found"


def _return(agent: AgentClient, order_id: str, kind: str = "退货",
            items: list[dict[str, Any]] | None = None) -> tuple[str, dict[str, Any]]:
    case_id = str(uuid.uuid4())
    result = agent.do("return.create", id=case_id, order_id=order_id, kind=kind,
                      reason="质量问题", items=items or [{"sku": "TEA-01", "qty": 1}],
                      note="包装破损")
    return case_id, result


def test_a_return_case_needs_a_shipped_order_and_its_own_items_h5_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    for status in ("待付款", "已付款", "已取消"):
        _id, refused = _return(agent, _order(world, company, status))
        assert refused["code"] == "return_not_allowed", status
    order_id = _order(world, company, "已签收")
    _id, unknown = _return(agent, order_id, items=[{"sku": "NOPE", "qty": 1}])
    assert unknown["code"] == "return_items_invalid" and "NOPE" in unknown["message"]
    _id, too_many = _return(agent, order_id, items=[{"sku": "CUP-02", "qty": 2}])
    assert too_many["code"] == "return_items_invalid"
    _id, split = _return(agent, order_id, items=[{"sku": "TEA-01", "qty": 2},
                                                  {"sku": "TEA-01", "qty": 1}])
    assert split["code"] == "return_items_invalid", "quantities of one sku add up"
    case_id, created = _return(agent, order_id, items=[{"sku": "TEA-01", "qty": 2}])
    assert created["status"] == "applied"
    case = _latest(agent, "return_case", case_id)
    assert case["status"] == "待审核" and case["kind"] == "退货"
    assert case["items"] == [{"sku": "TEA-01", "qty": 2}]
    assert case["order_id"] == order_id and case["created_by"] == agent.agent["id"]
    assert case["history"][0]["by"] == _employee(agent)
    order = _latest(agent, "order", order_id)
    assert order["history"][-1]["action"] == "return_create"
    assert order["handled_by"] == [_employee(agent)]
    colleague = _agent(server, world, company)
    colleague.cursor = ""
    boot = colleague.get("/api/v1/sync/bootstrap").json()
    assert any(r["entity"] == "return_case" and r["id"] == case_id for r in boot["rows"])


def test_return_and_exchange_move_through_their_states_h5_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    refund_id, _r = _return(agent, _order(world, company, "已完成"), kind="退货")
    exchange_id, _r = _return(agent, _order(world, company, "已发货"), kind="换货")
    skip = agent.do("return.update", id=refund_id, status="已寄回")
    assert skip["code"] == "return_illegal_transition" and "待审核" in skip["message"]
    for status in ("已同意", "已寄回"):
        for case_id in (refund_id, exchange_id):
            assert agent.do("return.update", id=case_id, status=status, note=status)[
                "status"] == "applied"
    wrong_end = agent.do("return.update", id=refund_id, status="已换货")
    assert wrong_end["code"] == "return_illegal_transition", "a 退货 ends 已退款"
    assert agent.do("return.update", id=refund_id, status="已退款")["status"] == "applied"
    assert agent.do("return.update", id=exchange_id, status="已退款")[
        "code"] == "return_illegal_transition", "a 换货 ends 已换货"
    assert agent.do("return.update", id=exchange_id, status="已换货")["status"] == "applied"
    refund = _latest(agent, "return_case", refund_id)
    assert [h["status"] for h in refund["history"]] == ["待审核", "已同意", "已寄回", "已退款"]
    assert agent.do("return.update", id=refund_id, status="已同意")[
        "code"] == "return_illegal_transition", "a finished case stays finished"
    rejected_id, _r = _return(agent, _order(world, company, "已签收"))
    assert agent.do("return.update", id=rejected_id, status="已拒绝")["status"] == "applied"
    assert agent.do("return.update", id=str(uuid.uuid4()), status="已同意")[
        "code"] == "return_not_found"


def test_a_large_refund_return_needs_the_grant_h5_2_h10_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent, lead = _agent(server, world, company), _agent(server, world, company, role="lead")
    order_id = _order(world, company, "已签收")
    with world.db.write() as session:
        order = session.get(m.Order, order_id)
        assert order is not None
        order.total_cents = 88800
    case_id, created = _return(agent, order_id)
    assert created["status"] == "applied", "anyone may open the case"
    assert agent.do("return.update", id=case_id, status="已同意")[
        "code"] == "permission_required"
    assert lead.do("return.update", id=case_id, status="已同意")["status"] == "applied"
    exchange_id, _r = _return(agent, order_id, kind="换货")
    assert agent.do("return.update", id=exchange_id, status="已同意")[
        "status"] == "applied", "an exchange refunds nothing"


@pytest.fixture
def blank_database_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        return cluster.new_database()
    return f"sqlite:///{Path(tempfile.mkdtemp(prefix='kefu-mig-')) / 'server.db'}"


def test_migrations_0005_0006_keep_existing_orders_unflagged(blank_database_url: str) -> None:
    db = open_database(blank_database_url)
    try:
        with db.engine.connect() as conn:
            cfg = alembic_config(db.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0004")
            for sql in (
                "INSERT INTO company (id, domain, name) VALUES ('c', 'o.t', '老')",
                "INSERT INTO team (id, company_id, name, receives_visitors, first_response_s, "
                "complaint_response_s, max_load, auto_reply, version) "
                "VALUES ('t', 'c', '老组', true, 30, 300, 8, '', 1)",
                "INSERT INTO customer (id, company_id, team_id, nickname, vip_level, phone, "
                "address, id_number, tags, created_at, version) VALUES ('u', 'c', 't', '老顾客', "
                "0, '', '', '', '[]', '2026-01-01 00:00:00+00:00', 1)",
                "INSERT INTO shop_order (id, company_id, team_id, order_no, customer_id, status, "
                "total_cents, payment_method, address, lines, history, handled_by, created_at, "
                "version) VALUES ('o', 'c', 't', 'DD1', 'u', '已发货', 100, '', '', '[]', '[]', "
                "'[]', '2026-01-01 00:00:00+00:00', 1)",
            ):
                conn.execute(text(sql))
            conn.commit()
        upgrade(db)
        with db.read() as session:
            order = session.get(m.Order, "o")
            assert order is not None and order.status == "已发货"
            assert (order.flagged, order.flag_note, order.intercept_requested_at) == (
                False, "", None)
            assert order.logistics_issue is None  # 0006 (H7)
            assert session.scalar(text("SELECT count(*) FROM return_case")) == 0
            assert session.scalar(text("SELECT version_num FROM alembic_version")) == "0007"
    finally:
        db.engine.dispose()

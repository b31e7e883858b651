"""The demo data and the customer simulator, against a real server; the demo shop comes from
server/demo_data/ through the importer (issue 8, H5-H7, H9)."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.services.phrases import VARIABLES
from kefu_protocol.shop import DELAY_HOURS, ORDER_TRANSITIONS, REFUND_LIMIT_CENTS
from server import models as m
from server.changes import company_scope
from server.db import open_database
from server.demo import DEMO_ACCOUNTS, DEMO_DOMAIN, demo_id, load_demo
from server.demo_shop import (
    DATA_DIR,
    SHOP_FILES,
    data_records,
    import_demo_shop,
    load_shop_files,
    order_numbers,
)
from server.migrate import upgrade
from server.shop_import import import_files
from server.simulate import Simulator
from tests.support.api import AgentClient, login
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


def test_documented_demo_accounts_log_in_as_the_readme_says(server: ServerProcess) -> None:
    by_account = {a.account: a for a in DEMO_ACCOUNTS}
    assert {"20240001@demo.kefu", "20240099@demo.kefu"} <= by_account.keys()
    assert {a.role for a in DEMO_ACCOUNTS} == {"agent", "lead", "supervisor", "admin"}
    assert by_account["20240099@demo.kefu"].password == "240099"
    for account in ("20240001@demo.kefu", "20240099@demo.kefu"):
        response = login(server.url, account, by_account[account].password)
        assert response.status_code == 200, response.text
    changed = login(server.url, "20240001@demo.kefu", by_account["20240001@demo.kefu"].password)
    assert changed.json()["must_change_password"] is False
    initial = login(server.url, "20240099@demo.kefu", "240099")
    assert initial.json()["must_change_password"] is True


def test_demo_agent_replicates_chinese_demo_data(server: ServerProcess) -> None:
    spec = next(a for a in DEMO_ACCOUNTS if a.account == f"20240001@{DEMO_DOMAIN}")
    agent = AgentClient(server.url, spec.account, spec.password)
    rows = agent.get("/api/v1/sync/bootstrap", params={"limit": 5000}).json()["rows"]
    entities = {r["entity"] for r in rows}
    assert {"team", "agent", "tag", "customer", "product", "order", "kb_entry", "shift"} <= entities
    levels = {r["data"]["level"] for r in rows if r["entity"] == "tag"}
    assert levels == {1, 2, 3}
    assert any(r["data"].get("vip_level", 0) > 0 for r in rows if r["entity"] == "customer")
    statuses = {r["data"]["status"] for r in rows if r["entity"] == "order"}
    assert len(statuses) >= 4


def _phrases(server: ServerProcess, employee_id: str) -> list[dict[str, object]]:
    spec = next(a for a in DEMO_ACCOUNTS if a.account == f"{employee_id}@{DEMO_DOMAIN}")
    agent = AgentClient(server.url, spec.account, spec.password)
    rows = agent.get("/api/v1/sync/bootstrap", params={"limit": 5000}).json()["rows"]
    return [r["data"] for r in rows if r["entity"] == "quick_phrase"]


def test_demo_quick_phrases_reach_the_agents_bootstrap(server: ServerProcess) -> None:
    """H2.2: team sets in groups, the demo agent's own phrases, variables the client fills."""
    mine = _phrases(server, "20240001")
    team = [p for p in mine if p["owner_id"] is None]
    personal = [p for p in mine if p["owner_id"] is not None]
    assert {"售前", "物流", "售后"} <= {p["group"] for p in team}
    assert len(team) >= 5 and personal
    assert {"订单已发货", "请提供订单号"} <= {p["title"] for p in team}
    names = {n for p in mine for n in re.findall(r"\{(\w+)\}", str(p["text"]))}
    assert {"customer", "agent", "order_no"} <= names
    assert names <= VARIABLES.keys()
    # A colleague in the same team shares the team set, not the demo agent's own phrases;
    # the after-sales team has a set of its own.
    colleague = _phrases(server, "20240002")
    assert {p["id"] for p in colleague} == {p["id"] for p in team}
    aftersales = _phrases(server, "20240004")
    assert aftersales and not {p["id"] for p in aftersales} & {p["id"] for p in mine}


def test_simulated_customers_reach_an_agent_and_read_replies(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    agent.online()
    simulator = Simulator(server.url, customers=3, rate=5, company=company.domain, seed=7)
    simulator.start()
    try:
        deadline = time.monotonic() + 20
        answered: set[str] = set()
        while time.monotonic() < deadline and simulator.stats.replies_received < 2:
            body = agent.pull(wait=1)
            for change in body["changes"]:
                data = change["data"] or {}
                if (change["entity"] == "message" and data.get("sender") == "customer"
                        and data["conversation_id"] not in answered):
                    answered.add(data["conversation_id"])
                    agent.do("message.send", id=str(uuid.uuid4()),
                             conversation_id=data["conversation_id"], text="您好，马上为您查询")
    finally:
        simulator.stop()
    stats = simulator.stats
    assert stats.sessions >= 1 and stats.messages_sent >= 1
    assert stats.replies_received >= 1
    assert stats.errors == 0, stats.last_error


def _shop(world: World) -> dict[str, Any]:
    """The demo company's shop rows, as the seeding left them."""
    company_id = demo_id("company", DEMO_DOMAIN)
    with world.db.read() as session:
        orders = session.scalars(select(m.Order).where(m.Order.company_id == company_id)).all()
        events = session.scalars(select(m.LogisticsEvent).where(
            m.LogisticsEvent.order_id.in_([o.id for o in orders]))).all()
        shop = {
            "products": {p.sku: p for p in session.scalars(
                select(m.Product).where(m.Product.company_id == company_id))},
            "promotions": {p.name: p for p in session.scalars(
                select(m.Promotion).where(m.Promotion.company_id == company_id))},
            "orders": {o.order_no: o for o in orders},
            "events": events,
            "kb": session.scalars(select(m.KbEntry).where(
                m.KbEntry.company_id == company_id)).all(),
            "customers": {c.id: c for c in session.scalars(
                select(m.Customer).where(m.Customer.company_id == company_id))},
            "feed": Counter(dict(session.execute(select(m.ChangeLog.entity, func.count()).where(
                m.ChangeLog.scope == company_scope(company_id)).group_by(
                m.ChangeLog.entity)).all())),
        }
        session.expunge_all()  # plain objects to read after the session ends
    return shop


def test_demo_products_and_promotions_come_from_the_data_files_h6(
    server: ServerProcess, world: World
) -> None:
    shop, now = _shop(world), dt.datetime.now(dt.UTC)
    files = load_shop_files(now)
    products = shop["products"]
    assert products.keys() == {r.values["sku"] for r in files["products"]}
    for row in files["products"]:
        product = products[row.values["sku"]]
        assert {k: getattr(product, k) for k in row.values} == row.values
    assert all(p.category and p.specs for p in products.values())
    stock = [p.stock for p in products.values()]
    assert 0 in stock and None in stock and any(s and s < 10 for s in stock), "out, untracked, low"
    current = [p for p in shop["promotions"].values()
               if p.starts_at is None or p.starts_at <= now
               if p.ends_at is None or now < p.ends_at]
    assert any(p.kind == "满减" and not p.skus for p in current), "a whole-shop 满减 now"
    assert any(p.kind == "折扣" and p.skus for p in current), "a per-SKU 折扣 now"
    assert any(p.kind == "赠品" for p in current)
    assert any(p.ends_at and p.ends_at <= now for p in shop["promotions"].values()), "expired"
    assert any(p.starts_at and p.starts_at > now for p in shop["promotions"].values()), "future"
    skus = {s for p in shop["promotions"].values() for s in p.skus}
    assert skus and skus <= products.keys()
    # Through the importer: it fed every created row to the company's desks (plain demo rows
    # are not published).
    assert shop["feed"]["product"] == len(products)
    assert shop["feed"]["promotion"] == len(shop["promotions"])
    assert shop["feed"]["kb_entry"] == len(shop["kb"])


def test_demo_orders_cover_every_status_and_special_case_h5_h7(
    server: ServerProcess, world: World
) -> None:
    shop, now = _shop(world), dt.datetime.now(dt.UTC)
    orders: dict[str, m.Order] = shop["orders"]
    assert set(orders) == set(order_numbers()) and len(orders) == 40
    assert {o.status for o in orders.values()} == set(ORDER_TRANSITIONS)
    for order in orders.values():
        assert order.history[-1]["status"] == order.status, order.order_no
        assert shop["customers"][order.customer_id].team_id == order.team_id, order.order_no
        assert order.total_cents == sum(line["qty"] * line["price_cents"] for line in order.lines)
    last_event: dict[str, dt.datetime] = {}
    for event in shop["events"]:
        last_event[event.order_id] = max(event.at, last_event.get(event.order_id, event.at))
    shipped = [o for o in orders.values() if o.status == "已发货"]
    stale = [o for o in shipped if now - last_event[o.id] > dt.timedelta(hours=DELAY_HOURS)]
    assert len(stale) == 1 and len(shipped) > 1, "one parcel shows 疑似延误, the others move"
    assert all(o.history[2]["at"] <= last_event[o.id].isoformat() for o in shipped)
    cases = {o["order_no"]: o["demo_case"] for o in data_records(SHOP_FILES["orders"])
             if "demo_case" in o}
    assert len(cases) >= 10 and stale[0].order_no in cases
    day = dt.timedelta(hours=24)
    by_case = {case.split("（")[0]: orders[no] for no, case in cases.items()}
    assert now - by_case["下单24小时内，可取消"].created_at < day
    assert now - by_case["下单超过24小时，不能取消"].created_at > day
    assert by_case["下单超过24小时，不能取消"].status == "已付款"
    assert by_case["发货前改地址"].status in ("待付款", "已付款")
    assert by_case["已发货，可申请拦截改派"].status == "已发货"
    assert by_case["超过¥500，退款或取消需 order.refund_large 权限"].total_cents > \
        REFUND_LIMIT_CENTS


def test_demo_kb_has_payment_methods_and_delivery_problems_h7_h9(
    server: ServerProcess, world: World
) -> None:
    titles: dict[str, set[str]] = {}
    for entry in _shop(world)["kb"]:
        titles.setdefault(entry.category, set()).add(entry.title)
    assert {"支持哪些支付方式", "分期付款与花呗", "发票开具"} <= titles["支付方式"]
    assert {"快递延误怎么办", "快递丢件怎么办", "包裹破损怎么办"} <= titles["物流"]
    assert sum(map(len, titles.values())) == len(data_records(SHOP_FILES["kb"]))


def test_the_demo_shop_is_the_importers_and_its_files_import_as_they_are(
    world: World, tmp_path: Path
) -> None:
    """Seeding again with the same clock changes nothing (the importer's natural keys); the
    files themselves are plain `kefudesk-server import` input."""
    db = open_database(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(db)
    now = dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC)
    with db.write() as session:
        assert load_demo(session, now=now)
    with db.write() as session:
        customers = {c.nickname: c for c in session.scalars(select(m.Customer))}
        again = import_demo_shop(session, demo_id("company", DEMO_DOMAIN), customers, now=now)
    assert all(c.created == c.updated == 0 and c.unchanged for c in again.counts.values())
    assert set(again.counts) == set(SHOP_FILES)
    db.engine.dispose()
    company = world.company()
    paths = [DATA_DIR / name for name in SHOP_FILES.values()]
    report = import_files(world.db, paths, company=company.domain)
    assert {k: c.created for k, c in report.counts.items()} == {
        kind: len(data_records(name)) for kind, name in SHOP_FILES.items()}

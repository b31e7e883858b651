"""The shop data import (issue 8): CSV/JSON of each kind, idempotent upserts, all-or-nothing
with `file:line` errors, fed to the team's desks only; ImportedPlatform's state machine (H5.1)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from server import models as m
from server.cli import main
from server.shop_import import import_files
from server.shop_platform import IllegalTransition, ImportedPlatform
from server.shop_rows import ImportFailed
from tests.support.api import AgentClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World

BOM = "\ufeff"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _shop(folder: Path, *, price: str = "89.00") -> list[Path]:
    """One file of each kind: CSV with BOM and key=value cells, JSON lists."""
    products = _write(folder, "products.csv", BOM + "sku,name,price,specs,promotion\n"
                      f"A001,保温杯,{price},容量=500ml;颜色=白,满99减10\n"
                      'A002,水壶,12.5,"{""容量"": ""1L""}",\n')
    orders = _write(folder, "orders.json", json.dumps([
        {"order_no": "DD1001", "customer": "张三", "status": "已付款", "total": "101.50",
         "payment_method": "支付宝", "address": "浙江省杭州市西湖区文三路1号",
         "lines": "A001=1;A002=1"},
        {"order_no": "DD1002", "customer": "李四", "status": "已发货", "total": 12.5,
         "lines": [{"sku": "A002", "qty": 1}]},
    ], ensure_ascii=False))
    logistics = _write(folder, "logistics.csv", "order_no,at,carrier,tracking_no,status,detail\n"
                       "DD1002,2024-06-01T10:00:00+08:00,顺丰,SF123,已揽收,杭州转运中心\n")
    kb = _write(folder, "kb.json", json.dumps([
        {"category": "售后", "title": "七天无理由退货", "body": "签收后七天内可申请退货",
         "keywords": "退货;七天"}], ensure_ascii=False))
    return [products, orders, logistics, kb]


def _latest(agent: AgentClient, entity: str) -> dict[str, dict[str, Any]]:
    """Every row of `entity` the agent's pulls deliver, newest version per id."""
    rows: dict[str, dict[str, Any]] = {}
    for change in agent.pull_all():
        if change["entity"] == entity and change["op"] == "upsert":
            rows[change["id"]] = change["data"]
    return rows


def _count(world: World, model: Any, **where: Any) -> int:
    with world.db.read() as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(session.scalar(query) or 0)


def test_each_kind_imports_and_reaches_the_teams_desk_only(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    company, stranger_co = world.company(), world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    other_team = AgentClient(server.url, world.agent(
        company, team_id=company.other_team_id).account, PASSWORD)
    stranger = AgentClient(server.url, world.agent(stranger_co).account, PASSWORD)
    for desk in (agent, other_team, stranger):
        desk.pull_all()  # connected desks: what follows arrives through the feed
    report = import_files(world.db, _shop(tmp_path), company=company.domain, team="售前组")
    assert {k: (c.created, c.updated) for k, c in report.counts.items()} == {
        "products": (2, 0), "orders": (2, 0), "logistics": (1, 0), "kb": (1, 0)}
    orders = {o["order_no"]: o for o in _latest(agent, "order").values()}
    assert orders["DD1001"]["total_cents"] == 10150 and orders["DD1002"]["total_cents"] == 1250
    assert orders["DD1001"]["lines"] == [{"sku": "A001", "qty": 1}, {"sku": "A002", "qty": 1}]
    assert "address" not in orders["DD1001"] and orders["DD1001"]["address_masked"]
    agent.cursor = ""
    everything = agent.pull_all()
    kinds = {c["entity"] for c in everything}
    assert {"order", "product", "logistics_event", "kb_entry", "customer"} <= kinds
    products = {c["data"]["sku"]: c["data"] for c in everything if c["entity"] == "product"}
    assert products["A001"]["specs"] == {"容量": "500ml", "颜色": "白"}
    assert products["A002"]["price_cents"] == 1250
    nicknames = {c["data"]["nickname"] for c in everything if c["entity"] == "customer"}
    assert {"张三", "李四"} <= nicknames
    assert _latest(other_team, "order") == {}, "orders are team-scoped"
    assert _latest(stranger, "order") == {} and _latest(stranger, "product") == {}


def test_reimport_is_idempotent_and_updates_what_changed(
    world: World, tmp_path: Path
) -> None:
    company = world.company()
    import_files(world.db, _shop(tmp_path), company=company.domain)
    feed_rows = _count(world, m.ChangeLog)
    again = import_files(world.db, _shop(tmp_path), company=company.domain)
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())
    assert _count(world, m.ChangeLog) == feed_rows, "nothing unchanged goes to the feed"
    changed = import_files(world.db, _shop(tmp_path, price="79.90"), company=company.domain)
    assert (changed.counts["products"].created, changed.counts["products"].updated) == (0, 1)
    with world.db.read() as session:
        cup = session.scalars(select(m.Product).where(
            m.Product.company_id == company.id, m.Product.sku == "A001")).one()
        assert (cup.price_cents, cup.version) == (7990, 2)
    assert _count(world, m.Order, company_id=company.id) == 2
    assert _count(world, m.Customer, company_id=company.id) == 2


def test_the_other_format_of_each_kind_and_existing_customers_by_id(
    world: World, tmp_path: Path
) -> None:
    company = world.company()
    customer_id, _order_id, _no = world.customer_with_order(company)
    products = _write(tmp_path, "products.json", json.dumps([
        {"sku": "B1", "name": "茶叶", "price": 58, "specs": {"产地": "杭州"}}], ensure_ascii=False))
    orders = _write(tmp_path, "orders.csv", "order_no,customer_id,status,total,lines\n"
                    f'DD2001,{customer_id},待付款,58.00,"[{{""sku"": ""B1"", ""qty"": 1}}]"\n')
    events = _write(tmp_path, "logistics.json", json.dumps([
        {"order_no": "DD2001", "at": "2024-06-02T09:00:00", "carrier": "中通",
         "tracking_no": "ZT1", "status": "已揽收"}], ensure_ascii=False))
    kb = _write(tmp_path, "faq.csv",
                "category,title,body,keywords\n物流,几天到货,一般三天,到货，物流\n")
    report = import_files(world.db, [products, orders, events], company=company.domain)
    assert all(c.created == 1 for c in report.counts.values())
    assert import_files(world.db, [kb], company=company.domain, kind="kb").counts["kb"].created == 1
    with world.db.read() as session:
        order = session.scalars(select(m.Order).where(m.Order.order_no == "DD2001")).one()
        assert (order.customer_id, order.lines) == (customer_id, [{"sku": "B1", "qty": 1}])
        event = session.scalars(select(m.LogisticsEvent).where(
            m.LogisticsEvent.order_id == order.id)).one()
        assert event.at.utcoffset() == dt.timedelta(0) and event.at.hour == 1, "read as +08:00"
        entry = session.scalars(select(m.KbEntry).where(m.KbEntry.company_id == company.id)).one()
        assert entry.keywords == ["到货", "物流"]
    unknown = _write(tmp_path, "orders_bad.csv", "order_no,customer_id,status,total\n"
                     "DD2002,no-such-customer,待付款,1.00\n")
    with pytest.raises(ImportFailed, match=r"orders_bad.csv:2: unknown customer_id"):
        import_files(world.db, [unknown], company=company.domain)


@pytest.mark.parametrize(("line", "reason"), [
    ("DD9,王五,已付款,10.00", ""),  # the good row that must not be written either
    ("DD10,王五,已发出,10.00", "unknown status"),
    ("DD11,王五,已付款,10.005", "bad amount"),
    ("DD12,王五,已付款,", "missing total"),
])
def test_a_bad_row_fails_with_its_line_and_writes_nothing(
    world: World, tmp_path: Path, line: str, reason: str
) -> None:
    company = world.company()
    path = _write(tmp_path, "orders.csv",
                  "order_no,customer,status,total\nDD8,王五,已付款,1.00\n" + line + "\n")
    if not reason:
        import_files(world.db, [path], company=company.domain)
        assert _count(world, m.Order, company_id=company.id) == 2
        return
    with pytest.raises(ImportFailed) as failed:
        import_files(world.db, [path], company=company.domain)
    assert failed.value.errors[0].startswith(f"{path}:3: {reason}")
    assert _count(world, m.Order, company_id=company.id) == 0
    assert _count(world, m.Customer, company_id=company.id) == 0


def test_cli_prints_counts_and_exits_2_on_errors(
    world: World, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    company = world.company()
    shop = _shop(tmp_path)
    bad = _write(tmp_path, "logistics_bad.csv", "order_no,at,carrier,tracking_no,status\n"
                 "DD404,2024-06-01T10:00:00,顺丰,SF1,已揽收\n")
    args = ["import", "--database-url", database_url, "--company", company.domain]
    assert main([*args, *map(str, shop[:2]), str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: unknown order 'DD404'" in err and "nothing was imported" in err
    assert _count(world, m.Product, company_id=company.id) == 0, "one transaction for all files"
    assert main([*args, *map(str, shop)]) == 0
    assert "orders: 2 created, 0 updated" in capsys.readouterr().out


def test_imported_platform_fetches_and_pushes_through_the_state_machine_h5_1(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    company: CompanyRef = world.company()
    import_files(world.db, _shop(tmp_path), company=company.domain)
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    agent.pull_all()
    platform = ImportedPlatform(world.db)
    record = platform.fetch_order(company.id, "DD1001")
    assert record is not None and (record.status, record.total_cents) == ("已付款", 10150)
    assert platform.fetch_order(world.company().id, "DD1001") is None
    with pytest.raises(IllegalTransition, match="已付款 → 已完成"):
        platform.push_status(company.id, "DD1001", "已完成", note="")
    platform.push_status(company.id, "DD1001", "已发货", note="顺丰 SF9")
    shipped = platform.fetch_order(company.id, "DD1001")
    assert shipped is not None and shipped.status == "已发货"
    assert shipped.history[-1]["note"] == "顺丰 SF9"
    pushed = list(_latest(agent, "order").values())
    assert [(o["status"], o["version"]) for o in pushed] == [("已发货", 2)]


def _promotions(folder: Path, *, rule: str = "全店满300减40") -> list[Path]:
    """Products (with category and stock), then promotions as CSV and JSON (H6)."""
    products = _write(folder, "products.csv", "sku,name,category,price,stock\n"
                      "A001,保温杯,家居日用,89.00,120\nA002,水壶,家居日用,12.50,\n"
                      "A003,茶叶,食品,58,0\n")
    csv_file = _write(folder, "promotions.csv", BOM +
                      "name,kind,rule,threshold,discount,percent_off,skus,starts_at,ends_at\n"
                      f"店铺满减,满减,{rule},300,40,,,2024-06-01T00:00:00,2024-06-30T00:00:00\n"
                      "保温杯九折,折扣,保温杯限时九折,,,10,A001;A002,2024-06-01T10:00:00+08:00,\n")
    json_file = _write(folder, "promotions-gifts.json", json.dumps([
        {"name": "买茶送杯", "kind": "赠品", "rule": "买茶叶送保温杯", "skus": ["A003"],
         "starts_at": "2024-06-01T00:00:00"},
        {"name": "新客立减", "kind": "满减", "rule": "新客满50减5", "threshold": 50,
         "discount": "5"}], ensure_ascii=False))
    return [products, csv_file, json_file]


def test_promotions_from_csv_and_json_reach_the_desks_and_reimport_is_idempotent_h6(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    agent.pull_all()
    report = import_files(world.db, _promotions(tmp_path), company=company.domain)
    assert (report.counts["products"].created, report.counts["promotions"].created) == (3, 4)
    pushed = {p["name"]: p for p in _latest(agent, "promotion").values()}
    assert pushed.keys() == {"店铺满减", "保温杯九折", "买茶送杯", "新客立减"}
    whole_shop = pushed["店铺满减"]
    assert (whole_shop["kind"], whole_shop["rule"]) == ("满减", "全店满300减40")
    assert whole_shop["skus"] == [], "the whole shop"
    assert (whole_shop["threshold_cents"], whole_shop["discount_cents"]) == (30000, 4000)
    assert whole_shop["starts_at"] == "2024-05-31T16:00:00+00:00", "China time without offset"
    assert whole_shop["ends_at"] == "2024-06-29T16:00:00+00:00"
    cups = pushed["保温杯九折"]
    assert (cups["percent_off"], cups["skus"], cups["ends_at"]) == (10, ["A001", "A002"], None)
    assert pushed["买茶送杯"]["skus"] == ["A003"] and pushed["新客立减"]["discount_cents"] == 500
    feed_rows = _count(world, m.ChangeLog)
    again = import_files(world.db, _promotions(tmp_path), company=company.domain)
    assert {k: (c.created, c.updated, c.unchanged) for k, c in again.counts.items()} == {
        "products": (0, 0, 3), "promotions": (0, 0, 4)}
    assert _count(world, m.ChangeLog) == feed_rows, "nothing unchanged goes to the feed"
    changed = import_files(world.db, _promotions(tmp_path, rule="全店满300减40，可叠加"),
                           company=company.domain)
    assert (changed.counts["promotions"].updated, changed.counts["promotions"].unchanged) == (1, 3)
    assert [(p["name"], p["rule"], p["version"]) for p in _latest(agent, "promotion").values()] == [
        ("店铺满减", "全店满300减40，可叠加", 2)]
    other = world.company()
    stranger = AgentClient(server.url, world.agent(other).account, PASSWORD)
    assert _latest(stranger, "promotion") == {}, "promotions are company-scoped"


def test_product_category_and_stock_empty_meaning_not_tracked(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    import_files(world.db, _promotions(tmp_path)[:1], company=company.domain)
    products = {p["sku"]: p for p in _latest(agent, "product").values()}
    assert {s: (p["category"], p["stock"]) for s, p in products.items()} == {
        "A001": ("家居日用", 120), "A002": ("家居日用", None), "A003": ("食品", 0)}
    restocked = _write(tmp_path, "products-restock.json", json.dumps([
        {"sku": "A003", "name": "茶叶", "category": "食品", "price": 58, "stock": 25}],
        ensure_ascii=False))
    report = import_files(world.db, [restocked], company=company.domain)
    assert (report.counts["products"].updated, report.counts["products"].unchanged) == (1, 0)
    with world.db.read() as session:
        tea = session.scalars(select(m.Product).where(
            m.Product.company_id == company.id, m.Product.sku == "A003")).one()
        assert (tea.stock, tea.version) == (25, 2)
    bad = _write(tmp_path, "products-bad.csv", "sku,name,price,stock\nB1,杯子,9.90,-1\n"
                 "B2,杯子,9.90,2.5\n")
    with pytest.raises(ImportFailed) as failed:
        import_files(world.db, [bad], company=company.domain)
    assert [e.split(": ", 1)[0] for e in failed.value.errors] == [f"{bad}:2", f"{bad}:3"]
    assert all("bad stock" in e for e in failed.value.errors)


_PROMO_HEADER = "name,kind,rule,threshold,discount,percent_off,skus,starts_at,ends_at\n"


@pytest.mark.parametrize(("line", "reason"), [
    ("坏活动,秒杀,限时秒杀,,,,,,", "unknown kind '秒杀'"),
    ("坏满减,满减,满300减40,300,40.001,,,,", "bad amount '40.001'"),
    ("倒挂,满减,满40减300,40,300,,,,", "a 满减 needs a discount above 0 and not above"),
    ("没折扣,折扣,打折,,,,,,", "a 折扣 needs percent_off"),
    ("太多,折扣,打折,,,101,,,", "bad percent_off '101'"),
    ("倒着,赠品,送杯子,,,,,2024-06-30T00:00:00,2024-06-01T00:00:00",
     "ends_at 2024-06-01T00:00:00 is not after starts_at"),
    ("坏时间,赠品,送杯子,,,,,六月一日,", "bad time '六月一日'"),
    ("没规则,赠品,,,,,,,", "missing rule"),
    ("查无此货,折扣,九折,,,10,A001;ZZ9,,", "unknown sku 'ZZ9'"),
])
def test_a_bad_promotion_fails_with_its_line_and_writes_nothing(
    world: World, tmp_path: Path, line: str, reason: str
) -> None:
    company = world.company()
    products = _write(tmp_path, "products.csv", "sku,name,price\nA001,保温杯,89.00\n")
    path = _write(tmp_path, "promotions.csv",
                  _PROMO_HEADER + "好活动,满减,满100减10,100,10,,A001,,\n" + line + "\n")
    with pytest.raises(ImportFailed) as failed:
        import_files(world.db, [products, path], company=company.domain)
    assert failed.value.errors == [failed.value.errors[0]]
    assert failed.value.errors[0].startswith(f"{path}:3: {reason}"), failed.value.errors
    assert _count(world, m.Promotion, company_id=company.id) == 0
    assert _count(world, m.Product, company_id=company.id) == 0, "the products neither"


def test_promotion_skus_may_name_products_already_imported_and_cli_kind(
    world: World, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    company = world.company()
    import_files(world.db, _promotions(tmp_path)[:1], company=company.domain)
    offers = _write(tmp_path, "offers.csv", _PROMO_HEADER + "茶叶九折,折扣,茶叶九折,,,10,A003,,\n")
    args = ["import", "--database-url", database_url, "--company", company.domain]
    assert main([*args, str(offers)]) == 2
    assert "cannot tell the kind from the name" in capsys.readouterr().err
    assert main([*args, "--kind", "promotions", str(offers)]) == 0
    assert "promotions: 1 created, 0 updated, 0 unchanged" in capsys.readouterr().out

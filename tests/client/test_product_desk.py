"""The 商品 tab (H6): search by name, SKU, category and spec values with 1-, 2- and 4-character
Chinese queries, the category filter, stock states, the promotions in force (window, SKUs,
whole shop) and the best saving, the list model, and 插入 into the composer on a real server."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.i18n import Tr
from app.models.store import Store, open_store
from app.services.products import ProductService
from app.sync.apply import apply_changes
from app.ui.product_models import ProductListModel
from app.ui.product_panel import ProductPanel
from kefu_protocol.wire import Change
from server import models as m
from server.changes import ChangeWriter, company_scope
from tests.support.api import VisitorClient
from tests.support.qt_async import App, aloop, run, until
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
__all__ = ["aloop"]

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
"""The promotions' windows are set around the real clock, so the panel (which reads it) agrees."""
DAY = dt.timedelta(days=1)

# id, sku, name, category, price in cents, stock, specs, the product page's promotion line
PRODUCTS: tuple[tuple[str, str, str, str, int, int | None, dict[str, str], str], ...] = (
    ("p-phone", "PH-A15-256BK", "星耀 A15 5G智能手机", "手机", 399900, 120,
     {"颜色": "曜石黑", "存储": "8GB+256GB", "网络": "5G双卡双待"}, "以旧换新至高补贴500元"),
    ("p-phone-w", "PH-A15-512WH", "星耀 A15 5G智能手机 冰川白", "手机", 449900, 3,
     {"颜色": "冰川白", "存储": "12GB+512GB"}, ""),
    ("p-buds", "EP-BUDS3-WH", "声悦 Buds 3 真无线降噪耳机", "耳机", 59900, 0,
     {"颜色": "白色", "防水": "IPX4"}, "满300减40"),
    ("p-cooker", "RC-IH40", "臻味 IH电饭煲 4L", "厨房电器", 39900, None,
     {"容量": "4L", "加热方式": "IH电磁加热"}, ""),
    ("p-coat", "DJ-M24-BK-XL", "轻暖鹅绒羽绒服 男款", "男装", 89900, 45,
     {"颜色": "黑色", "尺码": "XL", "含绒量": "90%白鹅绒"}, "第二件半价"),
    ("p-ph", "ACC-PH-CASE", "手机壳 透明", "配件", 2900, 500, {"材质": "TPU"}, ""),
)


def product_rows() -> list[dict[str, Any]]:
    return [{"id": i, "company_id": "c1", "sku": s, "name": n, "category": c, "price_cents": p,
             "stock": st, "specs": sp, "promotion": pr, "version": 1}
            for i, s, n, c, p, st, sp, pr in PRODUCTS]


def promotion(pid: str, name: str, kind: str, *, skus: tuple[str, ...] = (),
              start: dt.datetime | None = None, end: dt.datetime | None = None,
              threshold: int = 0, discount: int = 0, percent: int = 0,
              rule: str = "") -> dict[str, Any]:
    return {"id": pid, "company_id": "c1", "name": name, "kind": kind, "rule": rule or name,
            "threshold_cents": threshold, "discount_cents": discount, "percent_off": percent,
            "skus": list(skus), "starts_at": start.isoformat() if start else None,
            "ends_at": end.isoformat() if end else None, "version": 1}


PROMOTIONS = (
    promotion("pr-shop", "全店满300减40", "满减", threshold=30000, discount=4000,
              start=NOW - DAY, end=NOW + 7 * DAY, rule="全店满300元减40元，可与店铺券叠加"),
    promotion("pr-phone", "手机九折", "折扣", skus=("PH-A15-256BK",), percent=10,
              start=NOW - DAY, end=NOW + 2 * DAY, rule="星耀 A15 黑色款限时九折"),
    promotion("pr-gift", "耳机赠收纳包", "赠品", skus=("EP-BUDS3-WH",), rule="买耳机送收纳包"),
    promotion("pr-over", "五一大促", "满减", threshold=10000, discount=2000,
              start=NOW - 40 * DAY, end=NOW - 30 * DAY),
    promotion("pr-later", "618预热", "折扣", percent=20, start=NOW + 3 * DAY),
    promotion("pr-other", "羽绒服八折", "折扣", skus=("DJ-M24-BK-XL",), percent=20,
              end=NOW + 5 * DAY),
)


def fill(store: Store, entity: str, rows: list[dict[str, Any]]) -> None:
    with store.write() as session:
        apply_changes(session, [Change(entity=entity, op="upsert", id=r["id"], data=r)
                                for r in rows], client_id="test")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "cache.db")
    fill(store, "product", product_rows())
    fill(store, "promotion", list(PROMOTIONS))
    yield store
    store.close()


@pytest.fixture
def service(store: Store) -> ProductService:
    return ProductService(store)


def skus(service: ProductService, query: str, category: str | None = None) -> list[str]:
    return [r.sku for r in service.rows(service.search(query, category=category))]


# ---- ProductService ------------------------------------------------------------------------------

def test_one_two_and_four_chinese_characters_match_name_category_and_specs(
        service: ProductService) -> None:
    assert skus(service, "机") == ["EP-BUDS3-WH", "ACC-PH-CASE", "PH-A15-256BK",
                                   "PH-A15-512WH"], "name matches, by name (code points)"
    assert skus(service, "手机") == ["ACC-PH-CASE", "PH-A15-256BK", "PH-A15-512WH"], \
        "a name starting with the query comes before names holding it"
    assert skus(service, "黑色") == ["DJ-M24-BK-XL"], "a spec value"
    assert skus(service, "白") == ["PH-A15-512WH", "EP-BUDS3-WH", "DJ-M24-BK-XL"], \
        "names first (冰川白), then spec values (90%白鹅绒, 白色)"
    assert skus(service, "厨房") == ["RC-IH40"], "a category"
    assert skus(service, "智能手机") == ["PH-A15-256BK", "PH-A15-512WH"]
    assert skus(service, "电磁加热") == ["RC-IH40"]
    assert skus(service, "颜色") == [], "spec names are not searched, only their values"
    assert skus(service, "不存在的") == []


def test_sku_prefixes_case_insensitive(service: ProductService) -> None:
    assert skus(service, "ph-a15-512wh") == ["PH-A15-512WH"]
    assert skus(service, "PH-A15") == ["PH-A15-256BK", "PH-A15-512WH"]
    assert skus(service, "ph") == ["PH-A15-256BK", "PH-A15-512WH", "ACC-PH-CASE"], \
        "SKU prefixes before a SKU holding it in the middle"
    assert skus(service, "xl") == ["DJ-M24-BK-XL"]
    assert skus(service, "Buds") == ["EP-BUDS3-WH"]
    assert skus(service, "  ") == [r[1] for r in sorted(PRODUCTS, key=lambda r: r[2].lower())]


def test_an_exact_sku_comes_before_prefixes_and_names(service: ProductService,
                                                      store: Store) -> None:
    fill(store, "product", [dict(product_rows()[5], id="p-exact", sku="PH", name="手机支架")])
    assert skus(service, "ph") == ["PH", "PH-A15-256BK", "PH-A15-512WH", "ACC-PH-CASE"]
    assert skus(service, "手机")[:2] == ["ACC-PH-CASE", "PH"], "names starting with it first"


def test_the_category_filter_narrows_and_lists(service: ProductService) -> None:
    assert service.categories() == (("手机", 2), ("厨房电器", 1), ("男装", 1), ("耳机", 1),
                                    ("配件", 1))
    assert skus(service, "", category="手机") == ["PH-A15-256BK", "PH-A15-512WH"]
    assert skus(service, "白", category="手机") == ["PH-A15-512WH"]
    assert skus(service, "黑色", category="手机") == []
    assert skus(service, "", category="没有") == []


def test_stock_states(service: ProductService) -> None:
    rows = {r.sku: r for r in service.rows(service.search(""))}
    assert rows["PH-A15-256BK"].stock_state == "in_stock"
    assert (rows["PH-A15-512WH"].stock_state, rows["PH-A15-512WH"].stock) == ("low", 3)
    assert rows["EP-BUDS3-WH"].stock_state == "out"
    assert (rows["RC-IH40"].stock_state, rows["RC-IH40"].stock) == ("untracked", None)
    assert service.rows(["p-coat", "gone", "p-ph"])[1].sku == "ACC-PH-CASE", "order kept"


def test_promotions_in_force_for_a_product_and_the_best_saving(service: ProductService) -> None:
    phone = service.detail("p-phone", now=NOW)
    assert phone is not None
    assert phone.specs == (("颜色", "曜石黑"), ("存储", "8GB+256GB"), ("网络", "5G双卡双待"))
    assert [(o.promotion.id, o.saving_cents) for o in phone.offers] == [
        ("pr-phone", 39990), ("pr-shop", 4000)], "its own 九折 and the whole shop's 满减"
    assert phone.best is not None and phone.best.promotion.name == "手机九折"
    case = service.detail("p-ph", now=NOW)
    assert case is not None
    assert [(o.promotion.id, o.saving_cents, o.short_cents) for o in case.offers] == [
        ("pr-shop", None, 27100)], "满300 not reached by one ¥29 case: ¥271 short"
    assert case.best is None
    buds = service.detail("p-buds", now=NOW)
    assert buds is not None
    assert [(o.promotion.id, o.saving_cents) for o in buds.offers] == [
        ("pr-shop", 4000), ("pr-gift", None)], "a gift has no computable saving"
    coat = service.detail("p-coat", now=NOW)
    assert coat is not None and [o.promotion.id for o in coat.offers] == ["pr-other", "pr-shop"]
    assert coat.best is not None and coat.best.saving_cents == 17980


def test_expired_not_started_and_other_sku_promotions_are_left_out(
        service: ProductService) -> None:
    cooker = service.detail("p-cooker", now=NOW)
    assert cooker is not None and [o.promotion.id for o in cooker.offers] == ["pr-shop"], \
        "not 五一大促 (ended), 618预热 (not started), nor the phone's or the coat's"
    later = service.detail("p-cooker", now=NOW + 4 * DAY)
    assert later is not None and [o.promotion.id for o in later.offers] == ["pr-later", "pr-shop"]
    assert later.best is not None and later.best.saving_cents == 7980
    after_shop = service.detail("p-cooker", now=NOW + 8 * DAY)
    assert after_shop is not None and [o.promotion.id for o in after_shop.offers] == ["pr-later"]
    assert service.detail("nope") is None
    assert [p.id for p in service.promotions_now(now=NOW)] == [
        "pr-phone", "pr-other", "pr-shop", "pr-gift"], "ending soonest first, open-ended last"


def test_touched_names_products_and_promotions_only(service: ProductService,
                                                    store: Store) -> None:
    assert service.touched({"p-coat"}) and service.touched({"pr-gift"})
    assert not service.touched({"kb-1", "conv-9"}) and not service.touched(set())
    before = service.signature()
    fill(store, "product", [dict(product_rows()[0], stock=0, version=2)])
    assert service.signature() != before
    assert service.rows(["p-phone"])[0].stock_state == "out"


# ---- the panel -----------------------------------------------------------------------------------

@pytest.fixture
def panel(qtbot: QtBot, service: ProductService) -> ProductPanel:
    widget = ProductPanel(Tr("zh"), service)
    qtbot.addWidget(widget)
    return widget


def shown_names(panel: ProductPanel) -> list[str]:
    model = panel.model
    return [str(model.data(model.index(n), Qt.ItemDataRole.DisplayRole)).split("\n")[0]
            for n in range(model.rowCount())]


def test_typing_filters_and_the_detail_shows_specs_stock_and_offers(panel: ProductPanel) -> None:
    assert len(shown_names(panel)) == len(PRODUCTS)
    panel.search.insert("机")
    assert shown_names(panel)[:2] == ["声悦 Buds 3 真无线降噪耳机", "手机壳 透明"]
    panel.search.setText("白色")
    assert shown_names(panel) == ["声悦 Buds 3 真无线降噪耳机"]
    row = panel.model.data(panel.model.index(0), Qt.ItemDataRole.DisplayRole)
    assert row.split("\n")[1] == "EP-BUDS3-WH · ¥599.00 · 缺货"
    panel.search.setText("PH-A15-256BK")
    detail = panel.detail
    assert detail.title.text() == "星耀 A15 5G智能手机"
    assert detail.meta.text() == "SKU PH-A15-256BK · 手机"
    assert detail.price.text() == "售价 ¥3999.00"
    assert detail.stock.text() == "有货（120 件）"
    assert detail.spec_rows() == [("颜色", "曜石黑"), ("存储", "8GB+256GB"), ("网络", "5G双卡双待")]
    offers = detail.offers.text()
    assert offers.startswith("【折扣】手机九折：星耀 A15 黑色款限时九折（指定 1 款商品，")
    assert "买一件可省 ¥399.90，到手价 ¥3599.10。" in offers
    assert "【满减】全店满300减40：全店满300元减40元，可与店铺券叠加（全店通用，" in offers
    assert detail.best.text() == "单件最优惠：手机九折，省 ¥399.90，到手价 ¥3599.10。"
    assert detail.own.text() == "商品页标注的优惠：以旧换新至高补贴500元"
    panel.search.setText("手机壳")
    assert "买一件还差 ¥271.00 才满足门槛。" in detail.offers.text()
    assert detail.best.isHidden()
    panel.search.setText("不存在的")
    assert shown_names(panel) == [] and panel.count.text() == "没有找到匹配的商品"
    assert not panel.insert.isEnabled() and detail.shown is None


def test_stock_words_and_the_category_filter(panel: ProductPanel) -> None:
    labels = [panel.category.itemText(n) for n in range(panel.category.count())]
    assert labels == ["全部分类", "手机（2）", "厨房电器（1）", "男装（1）", "耳机（1）",
                      "配件（1）"]
    panel.category.setCurrentIndex(panel.category.findData("手机"))
    assert shown_names(panel) == ["星耀 A15 5G智能手机", "星耀 A15 5G智能手机 冰川白"]
    panel.results.setCurrentIndex(panel.model.index(1))
    assert panel.detail.stock.text() == "库存紧张（仅剩 3 件）"
    panel.category.setCurrentIndex(0)
    panel.search.setText("电饭煲")
    assert panel.detail.stock.text() == "不跟踪库存"


def test_insert_button_and_enter_hand_over_the_summary(panel: ProductPanel, qtbot: QtBot) -> None:
    inserted: list[str] = []
    panel.insert_requested.connect(inserted.append)
    panel.search.setText("PH-A15-256BK")
    panel.insert.click()
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    phone = ("星耀 A15 5G智能手机，售价 ¥3999.00，颜色：曜石黑，存储：8GB+256GB，"
             "网络：5G双卡双待。\n现在有活动：星耀 A15 黑色款限时九折（")
    assert len(inserted) == 2 and inserted[0] == inserted[1] and inserted[0].startswith(phone)
    panel.search.setText("TPU")  # a spec value; the 满减 is not reached but still in force
    qtbot.keyClick(panel.results, Qt.Key.Key_Enter)
    assert inserted[2].startswith(
        "手机壳 透明，售价 ¥29.00，材质：TPU。\n现在有活动：全店满300元减40元")
    panel.search.setText("电饭煲")
    panel.insert.click()
    assert inserted[3].startswith(
        "臻味 IH电饭煲 4L，售价 ¥399.00，容量：4L，加热方式：IH电磁加热。\n")


def test_the_current_promotions_page(panel: ProductPanel, qtbot: QtBot) -> None:
    page = panel.promotions
    assert panel.pages.tabText(1) == "当前活动（4）"
    assert page.names() == ["手机九折", "羽绒服八折", "全店满300减40", "耳机赠收纳包"]
    assert page.list.item(3).text() == \
        "【赠品】耳机赠收纳包\n买耳机送收纳包\n指定 1 款商品 · 长期有效"
    inserted: list[str] = []
    panel.insert_requested.connect(inserted.append)
    page.list.setCurrentRow(3)
    qtbot.keyClick(page.list, Qt.Key.Key_Return)
    page.insert_all.click()
    assert inserted[0] == "现在有活动：买耳机送收纳包（长期有效）。"
    lines = inserted[1].split("\n")
    assert lines[0] == "现在店铺有这些活动：" and len(lines) == 5
    assert lines[4] == "· 耳机赠收纳包：买耳机送收纳包（长期有效）"
    panel.focus_search()
    assert panel.pages.currentIndex() == 0


def test_the_list_model_passes_the_model_tester(service: ProductService,
                                                qtmodeltester: ModelTester) -> None:
    model = ProductListModel(Tr("zh"), service.rows)
    model.set_ids(service.search("机"))
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    assert model.data(model.index(0), Qt.ItemDataRole.AccessibleTextRole) == \
        "声悦 Buds 3 真无线降噪耳机"


def test_the_row_cache_reads_blocks_of_rows(service: ProductService) -> None:
    reads: list[int] = []

    def counted(ids: Any) -> Any:
        reads.append(len(ids))
        return service.rows(ids)

    model = ProductListModel(Tr("zh"), counted)
    model.set_ids([f"p-{n}" for n in range(450)] + ["p-coat"])
    assert model.data(model.index(450), Qt.ItemDataRole.DisplayRole).startswith("轻暖鹅绒羽绒服")
    assert model.data(model.index(3), Qt.ItemDataRole.DisplayRole) == "", "no such product: empty"
    model.data(model.index(5), Qt.ItemDataRole.DisplayRole)
    assert reads == [51, 200], "one read per block of 200, none again for a cached block"


# ---- on a real server ----------------------------------------------------------------------------

def _publish(world: World, company_id: str, *rows: m.Base) -> None:
    """Rows and their change-feed entries in the company's scope, as server/shop_import.py
    publishes products and promotions."""
    with world.db.write() as session:
        session.add_all(rows)
        session.flush()
        writer = ChangeWriter(session, "sqlite")
        for row in rows:
            writer.upsert(company_scope(company_id), row)


def _product(company_id: str, sku: str, name: str, category: str, price_cents: int,
             stock: int | None, specs: dict[str, str]) -> m.Product:
    return m.Product(id=str(uuid.uuid4()), company_id=company_id, sku=sku, name=name,
                     category=category, price_cents=price_cents, stock=stock, specs=specs,
                     promotion="", version=1)


def _promotion(company_id: str, name: str, kind: str, rule: str, skus: list[str],
               **fields: Any) -> m.Promotion:
    return m.Promotion(id=str(uuid.uuid4()), company_id=company_id, name=name, kind=kind,
                       rule=rule, skus=skus, version=1, **fields)


def test_in_the_window_products_arrive_search_and_insert_into_the_composer(
    qtbot: QtBot, aloop: qasync.QEventLoop, app: App, ui_server: ServerProcess, ui_world: World
) -> None:
    company = ui_world.company()
    agent = ui_world.agent(company, name="王晓")
    now = dt.datetime.now(dt.UTC)
    _publish(ui_world, company.id,
             _product(company.id, "EP-BUDS3-WH", "声悦 Buds 3 真无线降噪耳机", "耳机", 59900, 8,
                      {"颜色": "白色", "续航": "单次8小时", "防水": "IPX4"}),
             _product(company.id, "RC-IH40", "臻味 IH电饭煲 4L", "厨房电器", 39900, None,
                      {"容量": "4L"}),
             _promotion(company.id, "耳机直降", "折扣", "声悦耳机限时九折", ["EP-BUDS3-WH"],
                        percent_off=10, starts_at=now - dt.timedelta(hours=1),
                        ends_at=now + dt.timedelta(days=3)),
             _promotion(company.id, "已结束", "满减", "满100减10", [], threshold_cents=10000,
                        discount_cents=1000, ends_at=now - dt.timedelta(days=1)))

    async def scenario() -> None:
        window = await app.sign_in(agent.account, PASSWORD)
        desk = window.product_desk
        panel = desk.panel
        assert window.side_tabs.tabText(desk.tab_index) == "商品"
        await until(lambda: len(panel.model.ids) == 2, timeout=30)
        search = window.commands["products.search"]
        assert search.shortcut().toString() == "Ctrl+Shift+M"
        search.trigger()
        assert window.side_tabs.currentIndex() == desk.tab_index
        assert panel.search.hasFocus() or not window.isActiveWindow()
        panel.search.insert("耳机")
        assert shown_names(panel) == ["声悦 Buds 3 真无线降噪耳机"]
        assert panel.detail.stock.text() == "库存紧张（仅剩 8 件）"
        assert panel.promotions.names() == ["耳机直降"], "the ended one is not in force"
        qtbot.keyClick(panel.search, Qt.Key.Key_Return)
        text = window.chat_panel.composer.toPlainText()
        assert text.startswith(
            "声悦 Buds 3 真无线降噪耳机，售价 ¥599.00，颜色：白色，续航：单次8小时，防水：IPX4。\n"
            "现在有活动：声悦耳机限时九折（"), text

        # a promotion published later reaches the tab with the next synced page
        _publish(ui_world, company.id,
                 _promotion(company.id, "全店满减", "满减", "全店满300减40", [],
                            threshold_cents=30000, discount_cents=4000))
        VisitorClient(ui_server.url, "阿花", company=company.domain).send("现在有什么活动")
        await until(lambda: panel.promotions.names() == ["耳机直降", "全店满减"], timeout=30)
        assert "【满减】全店满减：全店满300减40" in panel.detail.offers.text()

    run(aloop, scenario(), timeout=90)

"""The conversation list's views, orders and urgency (H2.1, H8.1, H8.2) on a real cache file,
and the sensitive-data check before sending (H11.3)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.store import Store, open_store
from app.models.tables import Conversation, Customer, Record
from app.services.listing import ListingService, ListQuery
from app.services.sensitive import find_sensitive
from app.sync import outbox

ME, COLLEAGUE, TEAM = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
NOW = dt.datetime.now(dt.UTC)


def _iso(seconds_ago: float) -> str:
    return (NOW - dt.timedelta(seconds=seconds_ago)).isoformat()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "cache.db")
    people = [
        # nickname, vip, agent, state, order, activity (s ago), awaiting (s ago), complaint
        ("阿狸", 0, ME, "open", "DD300", 50, 25, False),
        ("小鱼儿", 2, ME, "open", "", 400, None, False),  # VIP 2: on top by default
        ("柠檬", 0, None, "queued", "DD100", 10, 10, False),
        ("奶茶", 0, COLLEAGUE, "open", "DD200", 200, 200, True),  # complaint: 300 s allowed
        ("追风", 0, ME, "closed", "", 5, None, False),
        ("墨染", 0, COLLEAGUE, "open", "", 100, 35, False),  # past the 30 s standard
    ]
    with s.write() as session:
        session.add(Record(entity="team", id=TEAM, version=1, data={
            "id": TEAM, "first_response_s": 30, "complaint_response_s": 300}))
        for nickname, vip, agent, state, order, active, awaiting, complaint in people:
            cid, customer = str(uuid.uuid4()), str(uuid.uuid4())
            session.add(Customer(id=customer, team_id=TEAM, nickname=nickname, vip_level=vip,
                                 version=1, data={}))
            session.add(Conversation(
                id=cid, team_id=TEAM, customer_id=customer, agent_id=agent, state=state,
                order_no=order, created_at=_iso(active + 60), last_message_at=_iso(active),
                last_message_text=f"{nickname}的消息", version=1,
                awaiting_reply_since=_iso(awaiting) if awaiting is not None else None,
                data={"is_complaint": complaint}))
    yield s
    s.close()


def names(service: ListingService, query: ListQuery) -> list[str]:
    order = service.order(query)
    found = service.rows([cid for cid, _ in order], query)
    return [found[cid].nickname for cid, _ in order]


def test_views_split_mine_queue_waiting_and_closed(store: Store) -> None:
    service = ListingService(store, agent_id=ME)
    assert names(service, ListQuery(view="all")) == ["小鱼儿", "柠檬", "阿狸", "墨染", "奶茶"]
    assert names(service, ListQuery(view="mine")) == ["小鱼儿", "阿狸"]
    assert names(service, ListQuery(view="queue")) == ["柠檬"]
    assert names(service, ListQuery(view="waiting")) == ["柠檬", "阿狸", "墨染", "奶茶"]
    assert names(service, ListQuery(view="closed")) == ["追风"]


def test_orders_by_nickname_order_number_and_urgency_with_vip_on_top(store: Store) -> None:
    service = ListingService(store, agent_id=ME)
    assert names(service, ListQuery(sort="order")) == ["小鱼儿", "柠檬", "奶茶", "阿狸", "墨染"]
    by_name = names(service, ListQuery(sort="nickname", auto_pin_vip=0))
    assert by_name == sorted(by_name)
    # Urgency: the nearest deadline first. 墨染 is 5 s past its 30 s; 阿狸 has 5 s left;
    # 柠檬 20 s; the complaint 奶茶 has 100 s of its 300 s left.
    assert names(service, ListQuery(sort="urgency", auto_pin_vip=0)) == [
        "墨染", "阿狸", "柠檬", "奶茶", "小鱼儿"]


def test_rows_carry_urgency_against_the_team_standard(store: Store) -> None:
    service = ListingService(store, agent_id=ME)
    query = ListQuery()
    order = service.order(query)
    found = {r.nickname: r for r in service.rows([c for c, _ in order], query).values()}
    assert found["墨染"].urgency(NOW) == "breach"
    assert found["阿狸"].urgency(NOW) == "warn"  # 25 of 30 s gone: amber before the breach
    assert found["柠檬"].urgency(NOW) == "ok"
    assert found["奶茶"].standard_s == 300 and found["奶茶"].urgency(NOW) == "warn"  # 200/300
    assert found["小鱼儿"].urgency(NOW) == "" and found["小鱼儿"].auto_pinned


def test_typed_filter_matches_nickname_order_and_message_including_wildcards(
        store: Store) -> None:
    service = ListingService(store, agent_id=ME)
    assert names(service, ListQuery(text="柠")) == ["柠檬"]
    assert names(service, ListQuery(text="DD2")) == ["奶茶"]
    assert names(service, ListQuery(text="墨染的消")) == ["墨染"]
    assert names(service, ListQuery(text="%")) == []
    assert names(service, ListQuery(text="_")) == []


def test_queued_actions_show_before_the_server_confirms(store: Store) -> None:
    service = ListingService(store, agent_id=ME)
    ids = {service.rows([c], ListQuery())[c].nickname: c for c, _ in service.order(ListQuery())}
    with store.write() as session:
        outbox.enqueue(session, "conversation.pin", {"conversation_id": ids["墨染"],
                                                     "pinned": True})
        outbox.enqueue(session, "conversation.accept", {"conversation_id": ids["柠檬"]})
        outbox.enqueue(session, "conversation.close", {"conversation_id": ids["阿狸"]})
    assert names(service, ListQuery(view="mine")) == ["小鱼儿", "柠檬"]
    assert names(service, ListQuery(view="all"))[:2] == ["墨染", "小鱼儿"]  # both on top
    assert "阿狸" in names(service, ListQuery(view="closed"))
    keys = service.keys([ids["阿狸"], ids["柠檬"]], ListQuery(view="mine"))
    assert keys[ids["阿狸"]] is None and keys[ids["柠檬"]] is not None


@pytest.mark.parametrize("text, kinds", [
    ("我的手机是13812345678", ["phone"]),
    ("电话 138-1234-5678", ["phone"]),
    ("身份证440305199203140523", ["id_number"]),
    ("卡号 6222 0202 0000 1234 562", ["bank_card"]),
    ("寄到广东省深圳市南山区桃源街道幸福里花园3栋1202", ["address"]),
    ("上海市浦东新区张江镇丹桂苑12号601室，电话13923456789", ["address", "phone"]),
])
def test_private_data_is_spotted(text: str, kinds: list[str]) -> None:
    assert [f.kind for f in find_sensitive(text)] == kinds


@pytest.mark.parametrize("text", [
    "订单号 DD20261201000123 已发货", "请提供订单号", "440305199203140521",  # bad checksum
    "6222020200001234563",  # fails Luhn
    "您好，北京今天发货", "价格 1380 元，优惠 50 元",
])
def test_ordinary_text_is_not_questioned(text: str) -> None:
    assert find_sensitive(text) == []

"""The handover record (H13.2) with transfers (H3.4) and per-item acknowledgement, over HTTP on
both databases: the outgoing agent writes it, the incoming agent acknowledges item by item."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kefu_protocol.wire import TRANSFER_NOTICE_ZH
from server import models as m
from tests.support.api import AgentClient, VisitorClient
from tests.support.server_proc import ServerProcess
from tests.support.settled_feed import customer as _visitor
from tests.support.settled_feed import latest as _latest
from tests.support.settled_feed import signed_in as _agent
from tests.support.world import PASSWORD, CompanyRef, World


def _activity(world: World, agent_id: str) -> list[str]:
    with world.db.read() as session:
        return list(session.scalars(
            select(m.Activity.kind).where(m.Activity.agent_id == agent_id).order_by(m.Activity.id)
        ))


def _shift_change(server: ServerProcess, world: World, company: CompanyRef) -> tuple[
        AgentClient, AgentClient, list[VisitorClient]]:
    """The outgoing agent (alone online) serves three customers; the incoming one is offline."""
    outgoing = _agent(server, world, company, name="白班小王")
    incoming = _agent(server, world, company, name="夜班小李")
    outgoing.online()
    visitors = [_visitor(server, company) for _ in range(3)]
    for visitor in visitors:
        assert _latest(outgoing, "conversation", visitor.conversation_id)["agent_id"] == \
            outgoing.agent["id"]
    return outgoing, incoming, visitors


def test_a_handover_moves_the_conversations_and_is_acknowledged_item_by_item_h13_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    outgoing, incoming, (first, second, finished) = _shift_change(server, world, company)
    assert outgoing.do("conversation.close", conversation_id=finished.conversation_id)[
        "status"] == "applied"
    prospect = _latest(outgoing, "conversation", second.conversation_id)["customer_id"]
    handover_id = str(uuid.uuid4())
    items = [
        {"kind": "conversation", "conversation_id": first.conversation_id, "text": "等物流回复"},
        {"kind": "conversation", "conversation_id": second.conversation_id},
        {"kind": "conversation", "conversation_id": finished.conversation_id},
        {"kind": "todo", "text": "退款单 8812 今晚必须处理"},
        {"kind": "prospect", "text": "想买两台，等优惠", "customer_id": prospect},
        {"kind": "callback", "text": "回电张女士", "due_at": "2026-12-02T20:00:00+08:00"},
        {"kind": "note", "text": "打印机卡纸"},
    ]
    created = outgoing.do("handover.create", id=handover_id, to_agent_id=incoming.agent["id"],
                          note="白班交接", items=items)
    assert created["status"] == "applied", created

    # The open conversations now belong to the (still offline) incoming agent; the customers
    # are told who serves them now; the closed one stays closed and its item says skipped.
    notice = TRANSFER_NOTICE_ZH.format(name="夜班小李")
    for visitor in (first, second):
        row = _latest(incoming, "conversation", visitor.conversation_id)
        assert row["agent_id"] == incoming.agent["id"] and row["state"] == "open"
        assert notice in [msg["text"] for msg in visitor.receive()["messages"]]
    assert notice not in [msg["text"] for msg in finished.receive()["messages"]]
    record = _latest(incoming, "handover", handover_id)
    assert record["to_agent_id"] == incoming.agent["id"] and record["acked_at"] is None
    assert [item["skipped"] for item in record["items"]] == [False, False, True, False, False,
                                                            False, False]
    assert record["items"][2]["skip_reason"] == "closed"
    assert record["items"][4]["customer_id"] == prospect
    assert all(item["acked_at"] is None and item["acked_by"] is None
               for item in record["items"])

    # Someone it is not addressed to cannot acknowledge any of it.
    stranger = _agent(server, world, company)
    refused = stranger.do("handover.ack", id=handover_id, item=0)
    assert refused["status"] == "rejected" and refused["code"] == "forbidden_action"

    for index in range(len(items)):
        assert incoming.do("handover.ack", id=handover_id, item=index)["status"] == "applied"
        record = _latest(incoming, "handover", handover_id)
        assert record["items"][index]["acked_by"] == incoming.agent["id"]
        done = index == len(items) - 1
        assert (record["acked_at"] is not None) is done, "acked once every item is"
    assert record["acked_by"] == incoming.agent["id"]

    # Replays change nothing: the same ack again, the same record from another desk.
    version = record["version"]
    assert incoming.do("handover.ack", id=handover_id, item=0)["status"] == "applied"
    other_desk = AgentClient(server.url, outgoing.agent["account"], PASSWORD)
    assert other_desk.do("handover.create", id=handover_id, to_agent_id=incoming.agent["id"],
                         items=items)["status"] == "applied"
    assert _latest(incoming, "handover", handover_id)["version"] == version
    assert [msg["text"] for msg in first.receive()["messages"]].count(notice) == 0, \
        "no second transfer notice"

    assert {"handover_sent", "transferred_out"} <= set(_activity(world, outgoing.agent["id"]))
    kinds = _activity(world, incoming.agent["id"])
    assert kinds.count("transferred_in") == 2 and "handover_acked" in kinds


def test_items_addressed_to_a_colleague_are_theirs_to_acknowledge_h13_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    outgoing, incoming, (first, second, _third) = _shift_change(server, world, company)
    colleague = _agent(server, world, company, name="夜班小赵")
    handover_id = str(uuid.uuid4())
    items = [
        {"kind": "conversation", "conversation_id": first.conversation_id},
        {"kind": "conversation", "conversation_id": second.conversation_id,
         "to_agent_id": colleague.agent["id"]},
        {"kind": "todo", "text": "核对赠品库存", "to_agent_id": colleague.agent["id"]},
    ]
    assert outgoing.do("handover.create", id=handover_id, to_agent_id=incoming.agent["id"],
                       items=items)["status"] == "applied"
    assert _latest(colleague, "conversation", second.conversation_id)["agent_id"] == \
        colleague.agent["id"]
    assert _latest(colleague, "conversation", first.conversation_id)["agent_id"] == \
        incoming.agent["id"]

    refused = colleague.do("handover.ack", id=handover_id, item=0)
    assert refused["code"] == "forbidden_action", "item 0 is the incoming agent's"
    assert colleague.do("handover.ack", id=handover_id)["status"] == "applied"  # all of mine
    record = _latest(colleague, "handover", handover_id)
    assert [item["acked_by"] for item in record["items"]] == [
        None, colleague.agent["id"], colleague.agent["id"]]
    assert record["acked_at"] is None
    lead = _agent(server, world, company, role="lead")
    assert lead.do("handover.ack", id=handover_id)["status"] == "applied"  # a lead may, too
    record = _latest(colleague, "handover", handover_id)
    assert record["items"][0]["acked_by"] == lead.agent["id"] and record["acked_at"]
    missing = incoming.do("handover.ack", id=handover_id, item=9)
    assert missing["code"] == "handover_not_found"

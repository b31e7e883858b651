"""Sync protocol v1 over real HTTP: exactly-once push, ordered feed with acks, long-poll, reset."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.api import AgentClient, InBackground, VisitorClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World


def _agent(server: ServerProcess, world: World, company: CompanyRef, **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, **kw).account, PASSWORD)


def _conversation(
    server: ServerProcess, company: CompanyRef, text: str = "在吗？"
) -> VisitorClient:
    visitor = VisitorClient(server.url, "小鱼儿", company=company.domain)
    assert visitor.start_response.status_code == 200, visitor.start_response.text
    assert visitor.send(text).status_code == 200
    return visitor


def _messages(changes: list[dict[str, Any]], conversation_id: str) -> list[dict[str, Any]]:
    return [c["data"] for c in changes
            if c["entity"] == "message" and c["data"]["conversation_id"] == conversation_id]


def test_same_batch_twice_gives_one_message(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    visitor = _conversation(server, company)
    batch = [agent.mutation("message.send", id=str(uuid.uuid4()),
                            conversation_id=visitor.conversation_id, text="您好，在的")]
    first = agent.push(*batch)
    second = agent.push(*batch)
    assert first[0]["status"] == second[0]["status"] == "applied"
    assert (first[0]["replayed"], second[0]["replayed"]) == (False, True)
    texts = [m["text"] for m in _messages(agent.pull_all(), visitor.conversation_id)]
    assert texts.count("您好，在的") == 1
    seen = visitor.receive()["messages"]
    assert [m["text"] for m in seen].count("您好，在的") == 1


def test_replay_under_a_new_client_id_cannot_duplicate(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    visitor = _conversation(server, company)
    message_id = str(uuid.uuid4())
    assert agent.do("message.send", id=message_id, conversation_id=visitor.conversation_id,
                    text="重装后重发")["status"] == "applied"
    agent.client_id = str(uuid.uuid4())  # e.g. the app was reinstalled with its outbox exported
    agent._ids = iter(range(1, 100))
    assert agent.do("message.send", id=message_id, conversation_id=visitor.conversation_id,
                    text="重装后重发")["status"] == "applied"
    texts = [m["text"] for m in visitor.receive()["messages"]]
    assert texts.count("重装后重发") == 1


def test_rejection_never_blocks_the_queue_and_acks_follow_effects(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    visitor = _conversation(server, company)
    _customer, order_id, _no = world.customer_with_order(company, status="待付款")
    agent.pull_all()
    bad = agent.mutation("order.transition", order_id=order_id, to_status="已签收")
    unknown = agent.mutation("conversation.teleport", conversation_id=visitor.conversation_id)
    malformed = agent.mutation("message.send", conversation_id="not-a-uuid")
    good = agent.mutation("message.send", id=str(uuid.uuid4()),
                          conversation_id=visitor.conversation_id, text="好的，马上处理")
    results = agent.push(bad, unknown, malformed, good)
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "applied"]
    assert results[0]["code"] == "illegal_transition"
    assert "待付款" in results[0]["message"] and "已签收" in results[0]["message"]
    assert results[1]["code"] == "unknown_mutation"
    assert results[2]["code"] == "invalid_args"
    changes = agent.pull_all()
    acks = [c for c in changes if c["entity"] == "ack"]
    assert [a["data"]["mutation_id"] for a in acks] == [good["id"] - 3, good["id"] - 2,
                                                        good["id"] - 1, good["id"]]
    assert all(a["data"]["client_id"] == agent.client_id for a in acks)
    message_pos = next(i for i, c in enumerate(changes)
                       if c["entity"] == "message" and c["data"]["text"] == "好的，马上处理")
    ack_pos = next(i for i, c in enumerate(changes)
                   if c["entity"] == "ack" and c["data"]["mutation_id"] == good["id"])
    assert message_pos < ack_pos, "an ack must never arrive before its effects"


def test_out_of_order_and_gapped_ids_are_refused_without_loss(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    visitor = _conversation(server, company)

    def send(mid: int, text: str) -> dict[str, Any]:
        return {"id": mid, "name": "message.send",
                "args": {"id": str(uuid.uuid4()), "conversation_id": visitor.conversation_id,
                         "text": text}}

    reversed_batch = agent.post("/api/v1/sync/push", json={
        "client_id": agent.client_id, "mutations": [send(2, "二"), send(1, "一")]})
    assert reversed_batch.status_code == 400
    assert reversed_batch.json()["code"] == "mutations_out_of_order"
    gap = agent.post("/api/v1/sync/push", json={
        "client_id": agent.client_id, "mutations": [send(1, "一"), send(3, "三")]})
    assert gap.status_code == 409
    body = gap.json()
    assert body["code"] == "mutation_gap" and body["expected"] == 2
    assert body["results"][0]["status"] == "applied"
    texts = [m["text"] for m in visitor.receive()["messages"]]
    assert "一" in texts and "三" not in texts


def test_another_agents_client_id_is_refused(server: ServerProcess, world: World) -> None:
    company = world.company()
    first, second = _agent(server, world, company), _agent(server, world, company)
    first.do("presence.set", status="busy")
    second.client_id = first.client_id
    response = second.post("/api/v1/sync/push", json={
        "client_id": second.client_id,
        "mutations": [{"id": 1, "name": "presence.set", "args": {"status": "online"}}]})
    assert response.status_code == 403
    assert response.json()["code"] == "client_mismatch"


def test_long_poll_returns_soon_after_a_customer_message(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    visitor = _conversation(server, company)
    agent.pull_all()
    poll = InBackground(lambda: agent.pull(wait=20))
    assert visitor.send("有人吗？").status_code == 200
    body, seconds = poll.finish()
    texts = [m["text"] for m in _messages(body["changes"], visitor.conversation_id)]
    assert texts == ["有人吗？"]
    assert seconds < 10, "the long-poll timed out instead of waking up"


def test_a_message_between_two_long_polls_is_answered_at_once(
    server: ServerProcess, world: World
) -> None:
    """The second long-poll must not trust the first one's empty read (server/notify.py
    QuietReads): the message came while no long-poll was open, so only the wake-up's mark
    tells — without it the answer would wait for the 5 s re-check."""
    company = world.company()
    agent = _agent(server, world, company)
    visitor = _conversation(server, company)
    agent.pull_all()
    for _ in range(10):  # until a long-poll finds nothing, which the server remembers
        if not agent.pull(wait=0.5)["changes"]:
            break
    assert visitor.send("还在吗？").status_code == 200
    poll = InBackground(lambda: agent.pull(wait=20))
    body, seconds = poll.finish()
    texts = [m["text"] for m in _messages(body["changes"], visitor.conversation_id)]
    assert texts == ["还在吗？"]
    assert seconds < 3, "the long-poll skipped its read and waited for the re-check"


def test_scopes_come_from_the_token(server: ServerProcess, world: World) -> None:
    company = world.company()
    mine = _agent(server, world, company)
    other_team = _agent(server, world, company, team_id=company.other_team_id)
    visitor = _conversation(server, company, "只给售前组看")
    forged = other_team.get("/api/v1/sync/pull",
                            params={"cursor": "", "scope": f"team:{company.team_id}"})
    assert forged.status_code == 200
    ids = {c["id"] for c in forged.json()["changes"]}
    assert visitor.conversation_id not in ids
    assert visitor.conversation_id in {c["id"] for c in mine.pull_all()}
    history = other_team.get(f"/api/v1/conversations/{visitor.conversation_id}/messages")
    assert history.status_code == 404
    reply = other_team.do("message.send", id=str(uuid.uuid4()),
                          conversation_id=visitor.conversation_id, text="越权回复")
    assert reply["status"] == "rejected" and reply["code"] == "conversation_not_found"
    assert mine.get(f"/api/v1/conversations/{visitor.conversation_id}/messages").status_code == 200


def test_agents_cannot_call_admin_endpoints(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    target = world.agent(company)
    for path in (f"/api/v1/admin/agents/{target.id}/unlock",
                 f"/api/v1/admin/agents/{target.id}/reset-password"):
        response = agent.post(path)
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert agent.get("/api/v1/admin/agents").status_code == 403
    assert agent.post("/api/v1/admin/visitor-blocks",
                      json={"kind": "address", "value": "1.2.3.4"}).status_code == 403


def test_bootstrap_then_feed_resumes_without_loss(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    visitors = [_conversation(server, company, f"问题{i}") for i in range(5)]
    rows: list[dict[str, Any]] = []
    page: str | None = None
    cursor = ""
    while True:
        params: dict[str, Any] = {"limit": 7}
        if page:
            params["page"] = page
        body = agent.get("/api/v1/sync/bootstrap", params=params).json()
        rows.extend(body["rows"])
        cursor = body["cursor"]
        page = body["next"]
        if page is None:
            break
    conversation_ids = {r["id"] for r in rows if r["entity"] == "conversation"}
    assert {v.conversation_id for v in visitors} <= conversation_ids
    assert len({(r["entity"], r["id"]) for r in rows}) == len(rows), "a row came twice"
    assert visitors[0].send("追问一下").status_code == 200
    agent.cursor = cursor
    later = [m["text"] for m in _messages(agent.pull_all(), visitors[0].conversation_id)]
    assert "追问一下" in later


def test_foreign_or_garbled_cursor(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    agent.pull_all()
    kind, epoch, *rest = agent.cursor.split(":")
    stale = ":".join([kind, "0000000000000000", *rest])
    response = agent.get("/api/v1/sync/pull", params={"cursor": stale})
    assert response.status_code == 409 and response.json()["code"] == "reset_required"
    garbled = agent.get("/api/v1/sync/pull", params={"cursor": "sq:zz:abc"})
    assert garbled.status_code in (400, 409)
    assert garbled.json()["code"] in ("invalid_cursor", "reset_required")
    ahead = ":".join([kind, epoch, *(str(int(p) + 10**9) for p in rest)])
    restored = agent.get("/api/v1/sync/pull", params={"cursor": ahead})
    assert restored.status_code == 409 and restored.json()["code"] == "reset_required"


@pytest.mark.parametrize("wait", [0.0])
def test_pull_pages_never_split_a_transaction(
    server: ServerProcess, world: World, wait: float
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    agent.pull_all()
    visitor = _conversation(server, company)  # one visitor session writes several feed rows
    body = agent.pull(limit=1, wait=wait)
    entities = [c["entity"] for c in body["changes"]]
    assert len(entities) > 1, "a one-row page must extend to the end of its transaction"
    assert "conversation" in entities and "customer" in entities
    assert visitor.conversation_id in {c["id"] for c in body["changes"]}

"""Assignment, ownership, transfer and closing (H3.4, H3.5, H8.1, H14.1, H14.2, H14.4)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.api import AgentClient, InBackground, VisitorClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World


def _agent(server: ServerProcess, world: World, company: CompanyRef, **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, **kw).account, PASSWORD)


def _conversation_row(agent: AgentClient, conversation_id: str) -> dict[str, Any]:
    agent.cursor = ""  # read the whole feed again: the latest row wins
    rows = [c["data"] for c in agent.pull_all()
            if c["entity"] == "conversation" and c["id"] == conversation_id]
    assert rows, "conversation not in the agent's feed"
    return rows[-1]


def _visitor(server: ServerProcess, company: CompanyRef, **kw: Any) -> VisitorClient:
    visitor = VisitorClient(server.url, kw.pop("nickname", "顾客"), company=company.domain, **kw)
    assert visitor.start_response.status_code == 200, visitor.start_response.text
    return visitor


def test_new_conversation_goes_to_the_least_loaded_online_agent_h14_1(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    busy_one, free_one = _agent(server, world, company), _agent(server, world, company)
    offline = _agent(server, world, company)
    busy_one.online()
    first = _visitor(server, company)
    assert _conversation_row(busy_one, first.conversation_id)["agent_id"] == busy_one.agent["id"]
    free_one.online()
    second = _visitor(server, company)
    third = _visitor(server, company)
    assert _conversation_row(free_one, second.conversation_id)["agent_id"] == free_one.agent["id"]
    # Equal load now: the one who waited longest since an assignment gets the third.
    assert _conversation_row(free_one, third.conversation_id)["agent_id"] == busy_one.agent["id"]
    assert offline.agent["id"] not in {_conversation_row(offline, v.conversation_id)["agent_id"]
                                       for v in (first, second, third)}
    greeting = [m for m in second.receive()["messages"] if m["sender"] == "system"]
    assert greeting and free_one.agent["name"] in greeting[0]["text"]


def test_busy_agents_get_no_new_conversations(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    assert agent.do("presence.set", status="busy")["status"] == "applied"
    visitor = _visitor(server, company)
    assert _conversation_row(agent, visitor.conversation_id)["state"] == "queued"


def test_queue_with_auto_reply_then_assigned_when_an_agent_comes_online_h14_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company(auto_reply="您好，客服正忙，请稍候～")
    agent = _agent(server, world, company)
    visitor = _visitor(server, company)
    body = visitor.receive()
    assert body["state"] == "queued"
    assert body["queue_position"] == 1
    assert [m["text"] for m in body["messages"]] == ["您好，客服正忙，请稍候～"]
    agent.online()
    row = _conversation_row(agent, visitor.conversation_id)
    assert row["state"] == "open" and row["agent_id"] == agent.agent["id"]
    assert visitor.receive(wait=5)["state"] == "open"


def test_first_answer_owns_the_conversation_h3_5(server: ServerProcess, world: World) -> None:
    company = world.company()
    first, second = _agent(server, world, company), _agent(server, world, company)
    visitor = _visitor(server, company)
    visitor.send("请问有货吗")
    reply = first.do("message.send", id=str(uuid.uuid4()),
                     conversation_id=visitor.conversation_id, text="有货的")
    assert reply["status"] == "applied"
    late = second.do("message.send", id=str(uuid.uuid4()),
                     conversation_id=visitor.conversation_id, text="我也来回答")
    assert late["status"] == "rejected" and late["code"] == "not_owner"
    assert first.agent["name"] in late["message"]
    accept = second.do("conversation.accept", conversation_id=visitor.conversation_id)
    assert accept["code"] == "already_accepted"
    row = _conversation_row(first, visitor.conversation_id)
    assert row["agent_id"] == first.agent["id"]
    assert row["first_response_ms"] is not None and row["first_response_ms"] >= 0  # H8.1


def test_transfer_tells_the_customer_and_carries_history_h3_4(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    sales = _agent(server, world, company)
    after_sales = _agent(server, world, company, team_id=company.other_team_id, name="王售后")
    sales.online()
    after_sales.online()
    visitor = _visitor(server, company)
    visitor.send("我要退货")
    result = sales.do("conversation.transfer", conversation_id=visitor.conversation_id,
                      to_agent_id=after_sales.agent["id"], note="顾客要退货", reason="售后问题")
    assert result["status"] == "applied", result
    notices = [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "system"]
    assert "接下来由同事王售后为您继续服务" in notices
    changes = after_sales.pull_all()
    texts = [c["data"]["text"] for c in changes if c["entity"] == "message"
             and c["data"]["conversation_id"] == visitor.conversation_id]
    assert "我要退货" in texts, "the whole history goes along"
    notes = [c["data"]["text"] for c in changes if c["entity"] == "note"]
    assert any("顾客要退货" in n and "售后问题" in n for n in notes)
    row = [c["data"] for c in changes if c["entity"] == "conversation"
           and c["id"] == visitor.conversation_id][-1]
    assert row["agent_id"] == after_sales.agent["id"]
    assert row["team_id"] == company.other_team_id
    back = after_sales.do("conversation.transfer", conversation_id=visitor.conversation_id,
                          to_agent_id=sales.agent["id"], reason="转错了")
    assert back["status"] == "applied", "a misrouted conversation goes straight back"


def test_transfer_to_an_offline_colleague_is_refused(server: ServerProcess, world: World) -> None:
    company = world.company()
    owner, offline = _agent(server, world, company), _agent(server, world, company)
    owner.online()
    visitor = _visitor(server, company)
    result = owner.do("conversation.transfer", conversation_id=visitor.conversation_id,
                      to_agent_id=offline.agent["id"])
    assert result["status"] == "rejected" and result["code"] == "target_unavailable"


def test_close_then_rating_h14_4(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    agent.online()
    visitor = _visitor(server, company)
    early = visitor.http.post(f"{server.url}/api/v1/visitor/rating", json={"score": 5}, timeout=10)
    assert early.status_code == 409 and early.json()["code"] == "conversation_not_closed"
    assert agent.do("conversation.close", conversation_id=visitor.conversation_id)[
        "status"] == "applied"
    body = visitor.receive()
    assert body["state"] == "closed"
    assert "感谢" in body["messages"][-1]["text"]
    after = visitor.send("还有一个问题")
    assert after.status_code == 409 and after.json()["code"] == "conversation_closed"
    rated = visitor.http.post(f"{server.url}/api/v1/visitor/rating",
                              json={"score": 4, "comment": "很耐心"}, timeout=10)
    assert rated.status_code == 200
    again = visitor.http.post(f"{server.url}/api/v1/visitor/rating", json={"score": 1},
                              timeout=10)
    assert again.json()["code"] == "already_rated"
    row = _conversation_row(agent, visitor.conversation_id)
    assert row["rating"] == 4 and row["rating_comment"] == "很耐心"


def test_blacklisted_visitor_is_refused_politely_h14_2(server: ServerProcess) -> None:
    visitor = VisitorClient(server.url, "捣乱的人", company="demo.kefu",
                            visitor_key="blocked-demo-visitor")
    assert visitor.start_response.status_code == 403
    body = visitor.start_response.json()
    assert body["code"] == "visitor_blocked"
    assert "抱歉" in body["message"]


def test_order_number_links_the_known_customer(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    customer_id, _order_id, order_no = world.customer_with_order(company)
    visitor = _visitor(server, company, order_no=order_no)
    row = _conversation_row(agent, visitor.conversation_id)
    assert row["customer_id"] == customer_id and row["order_no"] == order_no


def test_customer_personal_data_is_masked_in_the_feed_h11_3(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    world.customer_with_order(company)
    changes = agent.get("/api/v1/sync/bootstrap").json()["rows"]
    customer = next(r["data"] for r in changes if r["entity"] == "customer")
    assert customer["phone_masked"] == "138****5678"
    assert "13812345678" not in str(changes)
    assert "330102199001011234" not in str(changes)
    assert "文三路100号" not in str(changes)


def test_customer_long_poll_wakes_when_an_agent_accepts(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    visitor = _visitor(server, company)
    visitor.receive()  # the queue's auto-reply
    news = InBackground(lambda: visitor.receive(wait=20))
    assert agent.do("conversation.accept", conversation_id=visitor.conversation_id)[
        "status"] == "applied"
    body, seconds = news.finish()
    assert seconds < 10
    assert body["state"] == "open"
    assert any(agent.agent["name"] in m["text"] for m in body["messages"])


def test_bootstrap_brings_the_customer_of_every_visible_conversation(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = _agent(server, world, company)
    # The order belongs to a customer of the other team; the chat lands in the visitor team.
    customer_id, _order_id, order_no = world.customer_with_order(
        company, team_id=company.other_team_id)
    visitor = _visitor(server, company, order_no=order_no)
    rows = agent.get("/api/v1/sync/bootstrap", params={"limit": 5000}).json()["rows"]
    conversation = next(r for r in rows if r["id"] == visitor.conversation_id)
    assert conversation["data"]["customer_id"] == customer_id
    assert customer_id in {r["id"] for r in rows if r["entity"] == "customer"}

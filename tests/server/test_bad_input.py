"""Bad input gets a 4xx with {code, message} and loses nothing already stored (issue §6)."""

from __future__ import annotations

import uuid

import pytest
import requests

from kefu_protocol.wire import MAX_BODY_BYTES, MAX_MESSAGE_CHARS
from tests.support.api import AgentClient, VisitorClient, http
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


def _assert_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]


@pytest.fixture()
def chat(server: ServerProcess, world: World) -> tuple[AgentClient, VisitorClient]:
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    visitor = VisitorClient(server.url, "顾客", company=company.domain)
    assert visitor.send("第一条消息").status_code == 200
    return agent, visitor


def _texts(visitor: VisitorClient) -> list[str]:
    visitor.after = 0
    return [m["text"] for m in visitor.receive()["messages"]]


def test_oversized_message_is_refused_and_nothing_is_lost(
    chat: tuple[AgentClient, VisitorClient],
) -> None:
    agent, visitor = chat
    _assert_error(visitor.send("长" * (MAX_MESSAGE_CHARS + 1)), 400, "invalid_request")
    result = agent.do("message.send", id=str(uuid.uuid4()),
                      conversation_id=visitor.conversation_id, text="长" * (MAX_MESSAGE_CHARS + 1))
    assert result["status"] == "rejected" and result["code"] == "invalid_args"
    _assert_error(visitor.send(" \n\t "), 400, "invalid_request")
    blank = agent.do("message.send", id=str(uuid.uuid4()),
                     conversation_id=visitor.conversation_id, text="   ")
    assert blank["code"] == "invalid_args"
    assert visitor.send("长" * MAX_MESSAGE_CHARS).status_code == 200
    assert "第一条消息" in _texts(visitor)


def test_invalid_utf8_and_garbage_json(
    server: ServerProcess, chat: tuple[AgentClient, VisitorClient]
) -> None:
    agent, visitor = chat
    raw = visitor.http.post(f"{server.url}/api/v1/visitor/messages",
                            data=b'{"text": "\xff\xfe"}',
                            headers={"Content-Type": "application/json"}, timeout=10)
    _assert_error(raw, 400, "invalid_json")
    garbage = agent.post("/api/v1/sync/push", data=b"{not json",
                         headers={"Content-Type": "application/json"})
    _assert_error(garbage, 400, "invalid_json")
    assert "第一条消息" in _texts(visitor)


def test_wrong_field_types_and_unknown_fields(chat: tuple[AgentClient, VisitorClient]) -> None:
    agent, _visitor = chat
    wrong_type = agent.post("/api/v1/sync/push", json={
        "client_id": agent.client_id,
        "mutations": [{"id": "one", "name": "presence.set", "args": {"status": "online"}}]})
    _assert_error(wrong_type, 400, "invalid_request")
    assert "id" in wrong_type.json()["message"]
    beyond_bigint = agent.post("/api/v1/sync/push", json={
        "client_id": agent.client_id,
        "mutations": [{"id": 2**63 + 5, "name": "presence.set", "args": {"status": "online"}}]})
    _assert_error(beyond_bigint, 400, "invalid_request")
    extra = agent.post("/api/v1/sync/push", json={
        "client_id": agent.client_id, "mutations": [], "scope": "team:all"})
    _assert_error(extra, 400, "invalid_request")
    bad_client = agent.post("/api/v1/sync/push", json={"client_id": "x", "mutations": []})
    _assert_error(bad_client, 400, "invalid_request")
    bad_limit = agent.get("/api/v1/sync/pull", params={"limit": -5})
    _assert_error(bad_limit, 400, "invalid_request")
    bad_status = agent.do("presence.set", status="sleeping")
    assert bad_status["status"] == "rejected" and bad_status["code"] == "invalid_args"


def test_too_large_body_protocol_and_auth_errors(server: ServerProcess) -> None:
    big = http().post(f"{server.url}/api/v1/visitor/sessions",
                      data=b"x" * (MAX_BODY_BYTES + 1),
                      headers={"Content-Type": "application/json"}, timeout=30)
    _assert_error(big, 413, "payload_too_large")
    old = requests.get(f"{server.url}/api/v1/health", headers={"X-Kefu-Protocol": "0"}, timeout=10)
    _assert_error(old, 426, "unsupported_protocol")
    anonymous = http().get(f"{server.url}/api/v1/sync/pull", timeout=10)
    _assert_error(anonymous, 401, "not_authenticated")
    forged = http().get(f"{server.url}/api/v1/sync/pull",
                        headers={"Authorization": "Bearer forged-token"}, timeout=10)
    _assert_error(forged, 401, "not_authenticated")
    _assert_error(http().get(f"{server.url}/api/v1/nothing-here", timeout=10), 404, "not_found")
    _assert_error(http().delete(f"{server.url}/api/v1/health", timeout=10), 405,
                  "method_not_allowed")
    visitor_forged = http().get(f"{server.url}/api/v1/visitor/messages",
                                headers={"Authorization": "Bearer nope"}, timeout=10)
    _assert_error(visitor_forged, 401, "not_authenticated")


def test_visitor_message_ids_are_idempotent_and_not_hijackable(
    server: ServerProcess, world: World, chat: tuple[AgentClient, VisitorClient]
) -> None:
    _agent, visitor = chat
    message_id = str(uuid.uuid4())
    assert visitor.send("重发两次", message_id).status_code == 200
    assert visitor.send("重发两次", message_id).status_code == 200
    assert _texts(visitor).count("重发两次") == 1
    other = VisitorClient(server.url, "另一位", company=world.company().domain)
    _assert_error(other.send("抢占编号", message_id), 409, "message_id_conflict")


def test_every_documented_endpoint_has_a_summary(server: ServerProcess) -> None:
    schema = http().get(f"{server.url}/openapi.json", timeout=10).json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), f"{method.upper()} {path} is undocumented"
    assert "/api/v1/sync/pull" in schema["paths"]


def test_a_nul_character_is_refused_on_both_databases_and_nothing_else_is(
    server: ServerProcess, chat: tuple[AgentClient, VisitorClient]
) -> None:
    """PostgreSQL text cannot hold U+0000: it used to answer 500 there (and fail a whole push
    batch); now it is a 400 / one rejected mutation everywhere, and the rest goes through."""
    agent, visitor = chat
    _assert_error(visitor.send("空\x00字符"), 400, "invalid_request")
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    results = agent.push(
        agent.mutation("message.send", id=bad, conversation_id=visitor.conversation_id,
                       text="坏\x00的"),
        agent.mutation("message.send", id=good, conversation_id=visitor.conversation_id,
                       text="同一批里好的回复"))
    assert [(r["status"], r.get("code")) for r in results] == [
        ("rejected", "invalid_args"), ("applied", None)]
    assert "NUL" in results[0]["message"]
    nickname = http().post(f"{server.url}/api/v1/visitor/sessions",
                           json={"nickname": "昵\x00称"}, timeout=10)
    _assert_error(nickname, 400, "invalid_request")
    assert _texts(visitor)[-1] == "同一批里好的回复"


def test_a_nul_character_in_the_address_is_refused_too(
    server: ServerProcess, chat: tuple[AgentClient, VisitorClient]
) -> None:
    """A search for "a%00b" answered 500 on PostgreSQL (a query parameter reaches SQL)."""
    agent, visitor = chat
    _assert_error(agent.get("/api/v1/search/messages", params={"q": "订单\x00号"}), 400,
                  "invalid_request")
    _assert_error(agent.get(f"/api/v1/conversations/{visitor.conversation_id}%00/messages"),
                  400, "invalid_request")
    found = agent.get("/api/v1/search/messages", params={"q": "第一条"})
    assert found.status_code == 200, found.text

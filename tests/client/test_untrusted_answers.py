"""The client's HTTP layer when the network lies: a lost refresh answer, a redirect elsewhere."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from app.sync.auth import TokenKeeper
from app.sync.client import ApiClient, NetworkError, ProtocolError, read_pull_answer
from tests.support.api import login
from tests.support.bad_proxy import BadProxy
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


@pytest.fixture()
def proxy(server: ServerProcess) -> Iterator[BadProxy]:
    p = BadProxy(server.url)
    yield p
    p.close()


def test_a_lost_refresh_answer_is_retried_and_the_agent_stays_signed_in(
    server: ServerProcess, world: World, proxy: BadProxy
) -> None:
    """The server rotated the pair but the answer never arrived; the desk still holds the old
    refresh token. Retrying with it must not end the session (H1.9: only the agent or a lead
    ends it)."""
    agent = world.agent(world.company())
    body = login(server.url, agent.account, PASSWORD).json()
    client = ApiClient(proxy.url, read_timeout=5)
    rotated: list[str] = []
    keeper = TokenKeeper(client, access_token="expired-" + body["access_token"],
                         refresh_token=body["refresh_token"], on_rotated=rotated.append)

    def me(token: str) -> object:
        return client.call("GET", "/auth/me", token=token)

    proxy.mode = "lose"  # the 401 comes back, the refresh is committed, its answer is lost
    proxy.lose_only = "/auth/refresh"
    with pytest.raises(NetworkError):
        keeper.call(me)
    assert rotated == [] and keeper.refresh_token == body["refresh_token"]
    proxy.mode = "pass"
    answer = keeper.call(me)
    assert isinstance(answer, dict) and answer["account"] == agent.account
    assert len(rotated) == 1 and rotated[0] != body["refresh_token"]


def test_a_redirect_is_not_followed_so_the_password_goes_nowhere_else(
    server: ServerProcess, world: World, proxy: BadProxy
) -> None:
    agent = world.agent(world.company())
    elsewhere = BadProxy(server.url)  # stands in for another host: it counts what reaches it
    reached: list[str] = []
    original = elsewhere.httpd.RequestHandlerClass.do_POST  # type: ignore[attr-defined]

    def counting(handler: object) -> None:
        reached.append(handler.path)  # type: ignore[attr-defined]
        original(handler)

    elsewhere.httpd.RequestHandlerClass.do_POST = counting  # type: ignore[attr-defined]
    try:
        proxy.mode, proxy.redirect_to = "redirect", elsewhere.url
        client = ApiClient(proxy.url, read_timeout=5)
        with pytest.raises(ProtocolError, match="307"):
            client.login(agent.account, PASSWORD, "device-1")
        assert reached == [], "the login was re-sent to the redirect target"
    finally:
        elsewhere.close()


def test_a_server_dripping_its_answer_is_given_up_on_not_waited_for(
    server: ServerProcess, proxy: BadProxy
) -> None:
    """Each byte comes within the read timeout, so only a deadline on the whole answer stops
    the sync thread from hanging while the agent's replies wait."""
    proxy.mode = "drip"  # the health answer (~100 bytes) would take half a minute
    client = ApiClient(proxy.url, connect_timeout=1, read_timeout=2)
    with pytest.raises(NetworkError, match="AnswerDeadline"):
        client.health()
    proxy.mode = "pass"
    assert client.health()["protocol_version"]


def test_an_answer_that_is_not_utf8_is_refused_not_guessed_into_mojibake(
    server: ServerProcess, proxy: BadProxy
) -> None:
    """requests would decode it with a guessed codec and the garbled text would parse."""
    client = ApiClient(proxy.url, read_timeout=5)
    proxy.mode = "badutf8"
    with pytest.raises(ProtocolError, match="not valid UTF-8"):
        client.health()
    proxy.mode = "pass"
    assert client.health()["status"] == "ok"


def test_a_row_from_a_newer_server_is_set_aside_not_the_whole_page() -> None:
    """An op this desk does not know must not fail the page (the desk would pull the same
    cursor for ever, showing 服务器异常); the row is kept with the reason, the rest applies."""
    page = read_pull_answer(json.dumps({
        "changes": [
            {"entity": "message", "op": "merge", "id": "m-new"},
            {"entity": "conversation", "op": "delete", "id": "c-1"},
            "not even an object",
        ],
        "cursor": "sq:e:1:9", "up_to_date": True,
    }).encode())
    assert [(c.entity, c.op, c.id) for c in page.changes] == [("conversation", "delete", "c-1")]
    assert page.cursor == "sq:e:1:9"
    assert [row["change"] for row in page.unreadable] == [
        {"entity": "message", "op": "merge", "id": "m-new"}, "not even an object"]
    assert "op" in page.unreadable[0]["error"]


@pytest.mark.parametrize("content", [
    b'{"changes": [], "up_to_date": true}',  # no cursor: nothing safe to move on to
    b'{"changes": {}, "cursor": "sq:e:1:9", "up_to_date": true}',
    b'<html>proxy error</html>',
    b'{"changes": [], "cursor": "sq:e:1:\xff", "up_to_date": true}',
])
def test_a_page_whose_frame_is_broken_is_still_refused(content: bytes) -> None:
    with pytest.raises(ProtocolError):
        read_pull_answer(content)

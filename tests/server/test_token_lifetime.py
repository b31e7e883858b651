"""Token lifetimes over real HTTP (issue 9): expiry, rotation, and every way a session ends."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import requests

from app.sync.auth import SessionExpired, TokenKeeper
from app.sync.client import ApiClient
from server import models as m
from tests.support.api import AgentClient, http, login
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

ACCESS_TTL_S = 3
REFRESH_TTL_S = 10
RETRY_S = 1


@pytest.fixture(scope="module")
def short_server(database_url: str) -> Iterator[ServerProcess]:
    """A second process on the same database whose tokens live seconds, not minutes."""
    proc = ServerProcess(database_url, demo=False, env={
        "KEFU_ACCESS_TTL_S": str(ACCESS_TTL_S), "KEFU_REFRESH_TTL_S": str(REFRESH_TTL_S),
        "KEFU_REFRESH_RETRY_S": str(RETRY_S)}).start()
    yield proc
    proc.stop()


def _wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def _me(base: str, access: str) -> requests.Response:
    return http().get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"},
                      timeout=10)


def _refresh(base: str, refresh: str) -> requests.Response:
    return http().post(f"{base}/api/v1/auth/refresh", json={"refresh_token": refresh},
                       timeout=10)


def _error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["message"], body


def _assert_ended(base: str, access: str, refresh: str) -> None:
    """Neither token of the session works any more."""
    _error(_me(base, access), 401, "not_authenticated")
    _error(_refresh(base, refresh), 401, "invalid_refresh_token")


def _tokens(base: str, account: str, device: str = "desk-1") -> tuple[str, str]:
    response = login(base, account, PASSWORD, device_id=device)
    assert response.status_code == 200, response.text
    return response.json()["access_token"], response.json()["refresh_token"]


def test_an_expired_access_token_is_refused_as_expired_and_a_refresh_renews_it(
    short_server: ServerProcess, world: World
) -> None:
    agent = world.agent(world.company())
    response = login(short_server.url, agent.account, PASSWORD)
    assert response.json()["expires_in"] == ACCESS_TTL_S
    access, refresh = response.json()["access_token"], response.json()["refresh_token"]
    assert _me(short_server.url, access).status_code == 200
    _wait_until(lambda: _me(short_server.url, access).status_code == 401, ACCESS_TTL_S + 5)
    _error(_me(short_server.url, access), 401, "token_expired")
    renewed = _refresh(short_server.url, refresh)
    assert renewed.status_code == 200, renewed.text
    assert _me(short_server.url, renewed.json()["access_token"]).status_code == 200
    _error(_me(short_server.url, access), 401, "not_authenticated")  # replaced, not revived


def test_the_desk_renews_an_expired_access_token_without_bothering_the_agent(
    short_server: ServerProcess, world: World
) -> None:
    """The client maps the 401 to one refresh and retries; the agent never sees a login."""
    agent = world.agent(world.company())
    access, refresh = _tokens(short_server.url, agent.account)
    rotated: list[str] = []
    client = ApiClient(short_server.url, read_timeout=10)
    keeper = TokenKeeper(client, access_token=access, refresh_token=refresh,
                         on_rotated=rotated.append)
    _wait_until(lambda: _me(short_server.url, access).status_code == 401, ACCESS_TTL_S + 5)
    page = keeper.call(lambda token: client.pull(token, "", limit=10, wait=0))
    assert page.cursor
    assert rotated == [keeper.refresh_token] and keeper.access_token != access
    client.close()


def test_the_refresh_token_ends_with_the_session_however_often_it_rotated(
    short_server: ServerProcess, world: World
) -> None:
    """Rotation does not extend the session: REFRESH_TTL_S after login, log in again."""
    agent = world.agent(world.company())
    started = time.monotonic()
    _access, refresh = _tokens(short_server.url, agent.account)
    while time.monotonic() - started < REFRESH_TTL_S - 2:
        rotated = _refresh(short_server.url, refresh)
        assert rotated.status_code == 200, rotated.text
        refresh = rotated.json()["refresh_token"]
        time.sleep(1)  # a desk refreshing every second, as it would every access TTL
    _wait_until(lambda: time.monotonic() - started > REFRESH_TTL_S + 1, REFRESH_TTL_S + 5)
    _error(_refresh(short_server.url, refresh), 401, "invalid_refresh_token")


def test_a_rotated_refresh_token_replayed_after_the_retry_window_revokes_the_family(
    short_server: ServerProcess, world: World
) -> None:
    agent = world.agent(world.company())
    _access, first = _tokens(short_server.url, agent.account)
    second = _refresh(short_server.url, first).json()
    third = _refresh(short_server.url, second["refresh_token"]).json()
    rotated_at = time.monotonic()  # the server rotated `second` away before this
    _wait_until(lambda: time.monotonic() - rotated_at > RETRY_S + 0.5, RETRY_S + 5)
    _error(_refresh(short_server.url, second["refresh_token"]), 401, "invalid_refresh_token")
    # Stolen or not, the whole session is gone: the newest pair too, access and refresh.
    _assert_ended(short_server.url, third["access_token"], third["refresh_token"])
    _error(_refresh(short_server.url, first), 401, "invalid_refresh_token")


def test_logout_ends_only_that_desks_session(server: ServerProcess, world: World) -> None:
    agent = world.agent(world.company())
    desk = AgentClient(server.url, agent.account, PASSWORD)
    other_access, other_refresh = _tokens(server.url, agent.account, device="desk-2")
    out = desk.post("/api/v1/auth/logout", json={"refresh_token": desk.refresh_token})
    assert out.status_code == 200
    _assert_ended(server.url, str(desk.http.headers["Authorization"])[7:], desk.refresh_token)
    assert _me(server.url, other_access).status_code == 200
    assert _refresh(server.url, other_refresh).status_code == 200


def test_a_password_change_ends_every_other_session(server: ServerProcess, world: World) -> None:
    agent = world.agent(world.company())
    desk = AgentClient(server.url, agent.account, PASSWORD)
    stolen_access, stolen_refresh = _tokens(server.url, agent.account, device="elsewhere")
    changed = desk.post("/api/v1/auth/password",
                        json={"old_password": PASSWORD, "new_password": "Changed-2025"})
    assert changed.status_code == 200, changed.text
    _assert_ended(server.url, stolen_access, stolen_refresh)
    assert desk.get("/api/v1/auth/me").status_code == 200, "the desk that changed it stays in"
    assert _refresh(server.url, desk.refresh_token).status_code == 200


@pytest.mark.parametrize("action", ["force-offline", "reset-password"])
def test_a_lead_ending_the_sessions_refuses_access_and_refresh(
    server: ServerProcess, world: World, action: str
) -> None:
    company = world.company()
    agent = world.agent(company)
    lead = AgentClient(server.url, world.agent(company, role="lead").account, PASSWORD)
    access, refresh = _tokens(server.url, agent.account)
    assert lead.post(f"/api/v1/admin/agents/{agent.id}/{action}").status_code == 200
    _assert_ended(server.url, access, refresh)


def test_a_disabled_account_can_neither_call_nor_refresh(
    server: ServerProcess, world: World
) -> None:
    agent = world.agent(world.company())
    access, refresh = _tokens(server.url, agent.account)
    with world.db.write() as session:  # an admin disables the account
        row = session.get(m.Agent, agent.id)
        assert row is not None
        row.disabled = True
    _assert_ended(server.url, access, refresh)
    _error(login(server.url, agent.account, PASSWORD), 403, "account_disabled")
    with world.db.write() as session:  # enabled again: the old session stays ended
        row = session.get(m.Agent, agent.id)
        assert row is not None
        row.disabled = False
    _error(_refresh(server.url, refresh), 401, "invalid_refresh_token")
    client = ApiClient(server.url, read_timeout=10)
    keeper = TokenKeeper(client, access_token=access, refresh_token=refresh)
    with pytest.raises(SessionExpired):  # the desk sends the agent back to the login window
        keeper.call(lambda token: client.pull(token, "", limit=10, wait=0))
    client.close()

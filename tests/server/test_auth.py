"""H1 account rules over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import requests
from sqlalchemy import select

from server import models as m
from server.security import token_hash
from tests.support.api import AgentClient, http, login
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


def test_account_must_be_employee_id_at_domain_h1_1(server: ServerProcess) -> None:
    for bad in ("20240001", "zhangsan@demo.kefu", "20240001@", "@demo.kefu", "2024 0001@demo.kefu"):
        response = login(server.url, bad, "whatever")
        assert response.status_code == 400, bad
        body = response.json()
        assert body["code"] == "invalid_account_format"
        assert "工号@公司域名" in body["message"]


def test_english_message_on_request(server: ServerProcess) -> None:
    response = http().post(f"{server.url}/api/v1/auth/login",
                           json={"account": "x", "password": "y", "device_id": "d"},
                           headers={"Accept-Language": "en-US"}, timeout=10)
    assert response.json()["message"].startswith("Account must look like")


def test_initial_password_forces_change_before_anything_else_h1_2(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = world.agent(company, changed=False)
    assert agent.password == agent.account.split("@")[0][-6:]
    client = AgentClient(server.url, agent.account, agent.password)
    assert client.login_body["must_change_password"] is True
    blocked = client.get("/api/v1/sync/pull")
    assert blocked.status_code == 403
    assert blocked.json()["code"] == "password_change_required"
    push = client.post("/api/v1/sync/push", json={"client_id": client.client_id, "mutations": []})
    assert push.json()["code"] == "password_change_required"
    weak = client.post("/api/v1/auth/password",
                       json={"old_password": agent.password, "new_password": "12345678"})
    assert weak.status_code == 400 and weak.json()["code"] == "weak_password"
    same = client.post("/api/v1/auth/password",
                       json={"old_password": agent.password, "new_password": agent.password})
    assert same.json()["code"] == "weak_password"
    ok = client.post("/api/v1/auth/password",
                     json={"old_password": agent.password, "new_password": "NewPass2024"})
    assert ok.status_code == 200, ok.text
    assert client.get("/api/v1/sync/pull").status_code == 200
    again = login(server.url, agent.account, "NewPass2024").json()
    assert again["must_change_password"] is False


def test_three_failures_lock_for_an_hour_even_for_the_right_password_h1_10(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = world.agent(company)
    first = login(server.url, agent.account, "wrong-1")
    assert first.status_code == 401
    assert first.json()["code"] == "invalid_credentials"
    assert first.json()["attempts_left"] == 2
    second = login(server.url, agent.account, "wrong-2")
    assert second.json()["attempts_left"] == 1
    third = login(server.url, agent.account, "wrong-3")
    assert third.status_code == 423
    locked_until = dt.datetime.fromisoformat(third.json()["locked_until"])
    remaining = locked_until - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=59) < remaining <= dt.timedelta(hours=1)
    fourth = login(server.url, agent.account, PASSWORD)
    assert fourth.status_code == 423
    assert fourth.json()["code"] == "account_locked"
    assert "locked_until" in fourth.json()


def test_guessing_the_password_behind_a_stolen_token_locks_the_account_h1_10(
    server: ServerProcess, world: World
) -> None:
    """/auth/password checks the old password: it counts like a failed login, so a stolen
    access token cannot be used to guess it; the lock ends every session, the thief's too."""
    agent = world.agent(world.company())
    thief = AgentClient(server.url, agent.account, PASSWORD)
    other_desk = AgentClient(server.url, agent.account, PASSWORD)

    def guess(old: str) -> requests.Response:
        return thief.post("/api/v1/auth/password",
                          json={"old_password": old, "new_password": "Taken2026x"})

    first = guess("guess-1")
    assert (first.json()["code"], first.json()["attempts_left"]) == ("wrong_password", 2)
    assert guess("guess-2").json()["attempts_left"] == 1
    third = guess("guess-3")
    assert (third.status_code, third.json()["code"]) == (423, "account_locked")
    for desk in (thief, other_desk):
        assert desk.get("/api/v1/auth/me").status_code == 401, "a session outlived the lock"
    assert login(server.url, agent.account, PASSWORD).json()["code"] == "account_locked"


def test_success_resets_the_failure_count(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = world.agent(company)
    login(server.url, agent.account, "wrong")
    login(server.url, agent.account, "wrong")
    assert login(server.url, agent.account, PASSWORD).status_code == 200
    assert login(server.url, agent.account, "wrong").json()["attempts_left"] == 2


def test_lead_unlocks_and_resets_password_h1_10_h1_11(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = world.agent(company)
    lead = AgentClient(server.url, world.agent(company, role="lead").account, PASSWORD)
    for attempt in range(3):
        login(server.url, agent.account, f"wrong{attempt}")
    assert login(server.url, agent.account, PASSWORD).status_code == 423
    colleague = AgentClient(server.url, world.agent(company).account, PASSWORD)
    assert colleague.post(f"/api/v1/admin/agents/{agent.id}/unlock").status_code == 403
    assert lead.post(f"/api/v1/admin/agents/{agent.id}/unlock").status_code == 200
    assert login(server.url, agent.account, PASSWORD).status_code == 200

    assert lead.post(f"/api/v1/admin/agents/{agent.id}/reset-password").status_code == 200
    assert login(server.url, agent.account, PASSWORD).status_code == 401
    initial = agent.account.split("@")[0][-6:]
    after_reset = login(server.url, agent.account, initial)
    assert after_reset.status_code == 200
    assert after_reset.json()["must_change_password"] is True


def test_lead_cannot_act_on_another_companys_agent(server: ServerProcess, world: World) -> None:
    mine, theirs = world.company(), world.company()
    lead = AgentClient(server.url, world.agent(mine, role="lead").account, PASSWORD)
    stranger = world.agent(theirs)
    assert lead.post(f"/api/v1/admin/agents/{stranger.id}/unlock").status_code == 404


def _refresh(server: ServerProcess, token: str) -> requests.Response:
    return http().post(f"{server.url}/api/v1/auth/refresh", json={"refresh_token": token},
                       timeout=10)


def test_refresh_rotates_and_a_lost_answer_can_be_retried_once_rotated(
    server: ServerProcess, world: World
) -> None:
    """The desk's refresh answer is lost on the way (the server rotated): retrying with the
    token it still holds gives a working pair instead of sending the agent back to login."""
    company = world.company()
    client = AgentClient(server.url, world.agent(company).account, PASSWORD)
    old_refresh = client.refresh_token
    lost = _refresh(server, old_refresh)
    assert lost.status_code == 200 and lost.json()["refresh_token"] != old_refresh
    retry = _refresh(server, old_refresh)
    assert retry.status_code == 200, retry.text
    pair = retry.json()
    me = http().get(f"{server.url}/api/v1/auth/me", timeout=10,
                    headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200
    never_received = _refresh(server, lost.json()["refresh_token"])
    assert never_received.status_code == 401, "the pair that was lost is replaced"
    assert _refresh(server, pair["refresh_token"]).status_code == 200


def test_a_refresh_token_replayed_after_the_retry_window_revokes_the_session(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    client = AgentClient(server.url, world.agent(company).account, PASSWORD)
    old_refresh = client.refresh_token
    new_pair = _refresh(server, old_refresh).json()
    with world.db.write() as session:  # the rotation happened two minutes ago
        auth = session.scalars(select(m.AuthSession).where(
            m.AuthSession.refresh_hash == token_hash(new_pair["refresh_token"]))).one()
        auth.access_expires_at -= dt.timedelta(minutes=2)
    replay = _refresh(server, old_refresh)
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_refresh_token"
    # The replay looked like theft: the new pair is revoked too.
    assert _refresh(server, new_pair["refresh_token"]).status_code == 401


def test_logout_revokes_the_session(server: ServerProcess, world: World) -> None:
    company = world.company()
    client = AgentClient(server.url, world.agent(company).account, PASSWORD)
    assert client.get("/api/v1/auth/me").status_code == 200
    out = client.post("/api/v1/auth/logout", json={"refresh_token": client.refresh_token})
    assert out.status_code == 200
    after = client.get("/api/v1/auth/me")
    assert after.status_code == 401 and after.json()["code"] == "not_authenticated"


def test_login_attempts_are_audited_without_secrets_h14_5(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = world.agent(company)
    supervisor = AgentClient(server.url, world.agent(company, role="supervisor").account, PASSWORD)
    login(server.url, agent.account, "Secret-Wrong-1")
    AgentClient(server.url, agent.account, PASSWORD)
    rows = supervisor.get("/api/v1/admin/audit", params={"account": agent.account}).json()
    kinds = [row["kind"] for row in rows]
    assert "login_failed" in kinds and "login_ok" in kinds
    assert "Secret-Wrong-1" not in str(rows) and PASSWORD not in str(rows)
    agent_client = AgentClient(server.url, agent.account, PASSWORD)
    assert agent_client.get("/api/v1/admin/audit").status_code == 403


def test_no_password_or_token_in_server_log(server: ServerProcess, world: World) -> None:
    company = world.company()
    agent = world.agent(company)
    login(server.url, agent.account, "Leaky-Wrong-9")
    client = AgentClient(server.url, agent.account, PASSWORD)
    log = server.log()
    assert "Leaky-Wrong-9" not in log
    assert PASSWORD not in log
    assert client.refresh_token not in log


def test_many_failed_logins_from_one_address_are_slowed_not_the_whole_floor(
    server: ServerProcess, world: World
) -> None:
    """Per-address limit (issue 9): 50 failed logins in 10 minutes from one address answer 429
    with when to retry, even for the right password; another address (the rest of the
    floor) signs in as usual, and the account itself is not locked."""
    agent = world.agent(world.company())
    attacker = {"X-Forwarded-For": "203.0.113.77"}  # uvicorn trusts it from loopback (nginx)

    def attempt(account: str, password: str) -> requests.Response:
        return http().post(f"{server.url}/api/v1/auth/login", headers=attacker, timeout=10,
                           json={"account": account, "password": password, "device_id": "d"})

    try:
        for n in range(50):
            assert attempt(f"{90000 + n}@nobody.test", "guess-1").status_code == 401
        limited = attempt(agent.account, PASSWORD)
        assert limited.status_code == 429, limited.text
        body = limited.json()
        assert body["code"] == "too_many_attempts" and 1 <= body["retry_after"] <= 601
        assert limited.headers["Retry-After"] == str(body["retry_after"])
        assert body["message"] == f"该网络地址登录失败次数过多，请 {body['retry_after']} 秒后再试"
        assert login(server.url, agent.account, PASSWORD).status_code == 200, "others unaffected"
        with world.db.write() as session:  # ten minutes later
            for row in session.scalars(select(m.AuditLog).where(
                    m.AuditLog.address == "203.0.113.77")):
                row.at -= dt.timedelta(minutes=11)
        assert attempt(agent.account, PASSWORD).status_code == 200
    finally:
        with world.db.write() as session:
            for row in session.scalars(select(m.AuditLog).where(
                    m.AuditLog.address == "203.0.113.77")):
                session.delete(row)


def test_password_reset_requests_from_one_address_are_bounded_too(
    server: ServerProcess, world: World
) -> None:
    """Always 202 (no account enumeration), but not a way to flood the leads and the audit
    log: the per-address limit counts reset requests as it counts failed logins."""
    agent = world.agent(world.company())
    spammer = {"X-Forwarded-For": "203.0.113.78"}

    def ask(account: str, headers: dict[str, str]) -> requests.Response:
        return http().post(f"{server.url}/api/v1/auth/password-reset-requests", timeout=10,
                           headers=headers, json={"account": account})

    try:
        for n in range(50):
            assert ask(f"{80000 + n}@nobody.test", spammer).status_code == 202
        limited = ask(agent.account, spammer)
        assert (limited.status_code, limited.json()["code"]) == (429, "too_many_attempts")
        assert ask(agent.account, {"X-Forwarded-For": "198.51.100.9"}).status_code == 202
    finally:
        with world.db.write() as session:
            for row in session.scalars(select(m.AuditLog).where(
                    m.AuditLog.address.in_(["203.0.113.78", "198.51.100.9"]))):
                session.delete(row)


def test_the_login_window_words_the_address_limit() -> None:
    from app.i18n import Tr
    from app.services.auth import _translate
    from app.sync.client import ApiError as ClientApiError
    from app.ui.login import failure_text

    failure = _translate(ClientApiError(429, "too_many_attempts", "…", {"retry_after": 30}))
    assert failure.kind == "rate_limited"
    assert failure_text(Tr("zh"), failure).startswith("这台电脑所在网络的登录失败次数过多")

"""Every route x every kind of caller x own/other team: the answer each must get (issue 9)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from sqlalchemy import select

from server import models as m
from server.app import create_app
from server.db import open_database
from server.errors import CATALOG
from server.state import Settings
from tests.support.api import AgentClient, VisitorClient, http
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

# The callers, in the column order of EXPECT. Company X has teams A and B; the resources
# (conversation, customer, target agent, reset request) all belong to team A of company X.
CALLERS = (
    "anon",      # no token
    "visitor",   # a customer's visitor token (in a chat with team A)
    "agent_a",   # agent of team A
    "agent_b",   # agent of team B
    "lead_a",    # lead of team A
    "lead_b",    # lead of team B
    "super",     # supervisor of team A who also manages B
    "admin",     # admin of company X (every team)
    "outsider",  # admin of another company
)

# "METHOD path" -> one status per caller above. Public pages answer everybody; a token of one
# kind (visitor, agent) never opens the other's API; other teams' and companies' records are
# 404 (nobody learns they exist) and role checks are 403, as the handlers document.
EXPECT: dict[str, str] = {
    "GET /openapi.json": "200 200 200 200 200 200 200 200 200",
    "GET /docs": "200 200 200 200 200 200 200 200 200",
    "GET /docs/oauth2-redirect": "200 200 200 200 200 200 200 200 200",
    "GET /redoc": "200 200 200 200 200 200 200 200 200",
    "GET /": "307 307 307 307 307 307 307 307 307",
    "GET /chat": "200 200 200 200 200 200 200 200 200",
    "GET /chat/{name}": "200 200 200 200 200 200 200 200 200",
    "GET /api/v1/health": "200 200 200 200 200 200 200 200 200",
    "POST /api/v1/auth/login": "200 200 200 200 200 200 200 200 200",
    "POST /api/v1/auth/password-reset-requests": "202 202 202 202 202 202 202 202 202",
    # A bearer access token is no refresh token: without the right one, nobody refreshes.
    "POST /api/v1/auth/refresh": "401 401 401 401 401 401 401 401 401",
    "POST /api/v1/auth/logout": "401 401 401 401 401 401 401 401 401",
    "POST /api/v1/auth/password": "401 401 400 400 400 400 400 400 400",  # wrong old password
    "GET /api/v1/auth/me": "401 401 200 200 200 200 200 200 200",
    "POST /api/v1/sync/push": "401 401 200 200 200 200 200 200 200",
    "GET /api/v1/sync/pull": "401 401 200 200 200 200 200 200 200",
    "GET /api/v1/sync/bootstrap": "401 401 200 200 200 200 200 200 200",
    "GET /api/v1/search/messages": "401 401 200 200 200 200 200 200 200",
    "GET /api/v1/conversations/{conversation_id}/messages":
        "401 401 200 404 200 404 200 200 404",
    "POST /api/v1/customers/{customer_id}/reveal": "401 401 403 404 200 404 200 200 404",
    "POST /api/v1/visitor/sessions": "200 200 200 200 200 200 200 200 200",
    "POST /api/v1/visitor/messages": "401 200 401 401 401 401 401 401 401",
    "GET /api/v1/visitor/messages": "401 200 401 401 401 401 401 401 401",
    "POST /api/v1/visitor/rating": "401 409 401 401 401 401 401 401 401",  # not ended yet
    "GET /api/v1/admin/agents": "401 401 403 403 200 200 200 200 200",
    "POST /api/v1/admin/agents/{agent_id}/unlock": "401 401 403 403 200 403 200 200 404",
    "POST /api/v1/admin/agents/{agent_id}/force-offline": "401 401 403 403 200 403 200 200 404",
    "POST /api/v1/admin/agents/{agent_id}/reset-password": "401 401 403 403 200 403 200 200 404",
    "POST /api/v1/admin/reset-requests/{request_id}/approve":
        "401 401 403 403 200 403 200 200 404",
    "POST /api/v1/admin/reset-requests/{request_id}/dismiss":
        "401 401 403 403 200 403 200 200 404",
    "PUT /api/v1/admin/agents/{agent_id}/grants": "401 401 403 403 403 403 200 200 404",
    "GET /api/v1/admin/audit": "401 401 403 403 403 403 200 200 200",
    "POST /api/v1/admin/visitor-blocks": "401 401 403 403 200 200 200 200 200",
    "GET /api/v1/board/{team_id}": "401 401 403 403 200 403 200 200 403",
    "GET /api/v1/board/{team_id}/agents/{agent_id}/activity":
        "401 401 403 403 200 403 200 200 403",
    "GET /api/v1/metrics": "401 401 403 403 200 403 200 200 422",  # team_not_found
}

# H1.2: an agent still on the initial password may only change it (and see who they are).
BEFORE_PASSWORD_CHANGE = {"POST /api/v1/auth/password", "GET /api/v1/auth/me"}


def app_routes(database_url: str) -> set[str]:
    """"METHOD path" of every route the app serves, documented or not (HEAD aside)."""
    db = open_database(database_url)
    try:
        app = create_app(Settings(database_url=database_url), db)
    finally:
        db.engine.dispose()

    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:  # included routers hold their routes, prefixed
            included = getattr(route, "original_router", None)
            if included is not None:
                yield from walk(list(included.routes))
            else:
                yield route

    return {f"{method} {route.path}" for route in walk(list(app.routes))
            for method in sorted(getattr(route, "methods", None) or ()) if method != "HEAD"}


@dataclass
class Desk:
    """Company X's resources and one logged-in session per caller."""

    world: World
    base: str
    ids: dict[str, str]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    target_account: str = ""

    def fresh_reset_request(self) -> str:
        response = http().post(f"{self.base}/api/v1/auth/password-reset-requests",
                               json={"account": self.target_account}, timeout=10)
        assert response.status_code == 202
        with self.world.db.read() as session:
            return session.scalars(select(m.ResetRequest.id).where(
                m.ResetRequest.agent_id == self.ids["agent_id"],
                m.ResetRequest.state == "pending")).one()


def _bodies(desk: Desk) -> dict[str, Callable[[], dict[str, Any]]]:
    """Valid request parts per route (made anew per call where a call uses them up)."""
    now = dt.datetime.now(dt.UTC)
    return {
        "POST /api/v1/auth/login": lambda: {"json": {
            "account": desk.ids["probe_account"], "password": PASSWORD, "device_id": "rbac"}},
        "POST /api/v1/auth/password-reset-requests": lambda: {
            "json": {"account": desk.ids["probe_account"]}},
        "POST /api/v1/auth/refresh": lambda: {"json": {"refresh_token": "not-a-refresh-token"}},
        "POST /api/v1/auth/logout": lambda: {"json": {"refresh_token": "not-a-refresh-token"}},
        "POST /api/v1/auth/password": lambda: {"json": {
            "old_password": "Wrong-Old-1", "new_password": "Another-Pass-2"}},
        "POST /api/v1/sync/push": lambda: {"json": {"client_id": str(uuid.uuid4()),
                                                    "mutations": []}},
        "GET /api/v1/search/messages": lambda: {"params": {"q": "权限矩阵"}},
        "POST /api/v1/customers/{customer_id}/reveal": lambda: {"json": {
            "field": "phone", "reason": "核对收货电话"}},
        "POST /api/v1/visitor/sessions": lambda: {"json": {
            "nickname": "矩阵访客", "company": desk.ids["domain"]}},
        "POST /api/v1/visitor/messages": lambda: {"json": {
            "id": str(uuid.uuid4()), "text": "你好"}},
        "POST /api/v1/visitor/rating": lambda: {"json": {"score": 5}},
        "PUT /api/v1/admin/agents/{agent_id}/grants": lambda: {"json": {"grants": []}},
        "POST /api/v1/admin/visitor-blocks": lambda: {"json": {
            "kind": "visitor_key", "value": f"rbac-{uuid.uuid4().hex}"}},
        "GET /api/v1/metrics": lambda: {"params": {
            "team_id": desk.ids["team_id"], "start": (now - dt.timedelta(hours=1)).isoformat(),
            "end": now.isoformat()}},
    }


@pytest.fixture(scope="module")
def desk(server: ServerProcess, world: World) -> Desk:
    x, y = world.company(), world.company()
    target = world.agent(x)
    probe = world.agent(x)
    callers = {
        "agent_a": world.agent(x),
        "agent_b": world.agent(x, team_id=x.other_team_id),
        "lead_a": world.agent(x, role="lead"),
        "lead_b": world.agent(x, role="lead", team_id=x.other_team_id),
        "super": world.agent(x, role="supervisor", manages=(x.other_team_id,)),
        "admin": world.agent(x, role="admin"),
        "outsider": world.agent(y, role="admin"),
        "unchanged": world.agent(x, changed=False),
    }
    customer_id, _order, _no = world.customer_with_order(x)
    visitor = VisitorClient(server.url, "矩阵顾客", company=x.domain)
    assert visitor.start_response.status_code == 200, visitor.start_response.text
    assert visitor.send("权限矩阵的消息").status_code == 200
    ids = {"conversation_id": visitor.conversation_id, "customer_id": customer_id,
           "agent_id": target.id, "team_id": x.team_id, "name": "chat.js", "domain": x.domain,
           "probe_account": probe.account, "agent_a_id": callers["agent_a"].id}
    result = Desk(world, server.url, ids, target_account=target.account)
    result.headers["anon"] = {}
    result.headers["visitor"] = {"Authorization": str(visitor.http.headers["Authorization"])}
    for name, ref in callers.items():
        client = AgentClient(server.url, ref.account, ref.password)
        result.headers[name] = {"Authorization": str(client.http.headers["Authorization"])}
    return result


def _call(desk: Desk, route: str, caller: str) -> requests.Response:
    method, template = route.split(" ", 1)
    ids = dict(desk.ids)
    if "{request_id}" in template:
        ids["request_id"] = desk.fresh_reset_request()
    extra = _bodies(desk).get(route, dict)()
    return http().request(method, desk.base + template.format(**ids), timeout=30,
                          headers=desk.headers[caller], allow_redirects=False, **extra)


def _problem(route: str, caller: str, want: int, response: requests.Response) -> str | None:
    if response.status_code != want:
        return f"{route} as {caller}: {response.status_code} (want {want}) {response.text[:160]}"
    if want < 400:
        return None
    body = response.json()
    code, message = body.get("code"), body.get("message")
    if code not in CATALOG or CATALOG[code][0] != want or not message:
        return f"{route} as {caller}: {want} without a matching code and message: {body}"
    return None


def test_every_route_has_a_declared_expectation(server: ServerProcess) -> None:
    """A new endpoint fails here until its row is added to EXPECT (and so gets checked)."""
    served = app_routes(server.database_url)
    assert served - set(EXPECT) == set(), "routes without an RBAC expectation"
    assert set(EXPECT) - served == set(), "expectations for routes that no longer exist"
    assert all(len(row.split()) == len(CALLERS) for row in EXPECT.values())


@pytest.mark.parametrize("route", sorted(EXPECT))
def test_route_answers_each_caller_as_declared(desk: Desk, route: str) -> None:
    wants = [int(s) for s in EXPECT[route].split()]
    problems = [
        _problem(route, caller, want, _call(desk, route, caller))
        for caller, want in zip(CALLERS, wants, strict=True)
    ]
    # H1.2: the same agent as agent_a, but still on the initial password.
    as_agent = wants[CALLERS.index("agent_a")]
    needs_agent = wants[CALLERS.index("anon")] == 401 and as_agent != 401
    unchanged = 403 if needs_agent and route not in BEFORE_PASSWORD_CHANGE else as_agent
    problems.append(_problem(route, "unchanged", unchanged, _call(desk, route, "unchanged")))
    assert [p for p in problems if p] == []


def _get(desk: Desk, caller: str, path: str, **params: Any) -> Any:
    response = http().get(desk.base + path, headers=desk.headers[caller], params=params,
                          timeout=30)
    assert response.status_code == 200, f"{path} as {caller}: {response.text[:200]}"
    return response.json()


def _replicated_ids(desk: Desk, caller: str) -> set[str]:
    """Every record id the caller's desk would cache: the bootstrap pages and the feed."""
    ids: set[str] = set()
    page: str | None = None
    while True:
        body = _get(desk, caller, "/api/v1/sync/bootstrap", **({"page": page} if page else {}))
        ids.update(row["id"] for row in body["rows"])
        page = body["next"]
        if not page:
            break
    cursor = ""
    while True:
        body = _get(desk, caller, "/api/v1/sync/pull", cursor=cursor, limit=1000)
        ids.update(change["id"] for change in body["changes"])
        cursor = body["cursor"]
        if body["up_to_date"]:
            return ids


SEES_TEAM_A = {"agent_a": True, "agent_b": False, "lead_a": True, "lead_b": False,
               "super": True, "admin": True, "outsider": False}


@pytest.mark.parametrize("caller", sorted(SEES_TEAM_A))
def test_lists_hold_only_records_the_caller_may_see(desk: Desk, caller: str) -> None:
    """A 200 is not enough: what the sync, search and admin lists return is scoped too."""
    sees = SEES_TEAM_A[caller]
    replicated = _replicated_ids(desk, caller)
    for record in ("conversation_id", "customer_id"):
        assert (desk.ids[record] in replicated) is sees, f"{record} replicated to {caller}"
    hits = _get(desk, caller, "/api/v1/search/messages", q="权限矩阵")["hits"]
    assert any(h["conversation_id"] == desk.ids["conversation_id"] for h in hits) is sees
    if caller.startswith("agent"):
        return  # the admin lists are 403 for agents (see EXPECT)
    listed = {row["id"] for row in _get(desk, caller, "/api/v1/admin/agents")}
    assert (desk.ids["agent_id"] in listed) is sees, f"team A's agent listed for {caller}"
    if caller in ("super", "admin", "outsider"):
        audited = {row["agent_id"] for row in _get(desk, caller, "/api/v1/admin/audit")}
        assert (desk.ids["agent_a_id"] in audited) is (caller != "outsider")  # its login

"""The demo data and the customer simulator, against a real server."""

from __future__ import annotations

import re
import time
import uuid

from app.services.phrases import VARIABLES
from server.demo import DEMO_ACCOUNTS, DEMO_DOMAIN
from server.simulate import Simulator
from tests.support.api import AgentClient, login
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


def test_documented_demo_accounts_log_in_as_the_readme_says(server: ServerProcess) -> None:
    by_account = {a.account: a for a in DEMO_ACCOUNTS}
    assert {"20240001@demo.kefu", "20240099@demo.kefu"} <= by_account.keys()
    assert {a.role for a in DEMO_ACCOUNTS} == {"agent", "lead", "supervisor", "admin"}
    assert by_account["20240099@demo.kefu"].password == "240099"
    for account in ("20240001@demo.kefu", "20240099@demo.kefu"):
        response = login(server.url, account, by_account[account].password)
        assert response.status_code == 200, response.text
    changed = login(server.url, "20240001@demo.kefu", by_account["20240001@demo.kefu"].password)
    assert changed.json()["must_change_password"] is False
    initial = login(server.url, "20240099@demo.kefu", "240099")
    assert initial.json()["must_change_password"] is True


def test_demo_agent_replicates_chinese_demo_data(server: ServerProcess) -> None:
    spec = next(a for a in DEMO_ACCOUNTS if a.account == f"20240001@{DEMO_DOMAIN}")
    agent = AgentClient(server.url, spec.account, spec.password)
    rows = agent.get("/api/v1/sync/bootstrap", params={"limit": 5000}).json()["rows"]
    entities = {r["entity"] for r in rows}
    assert {"team", "agent", "tag", "customer", "product", "order", "kb_entry", "shift"} <= entities
    levels = {r["data"]["level"] for r in rows if r["entity"] == "tag"}
    assert levels == {1, 2, 3}
    assert any(r["data"].get("vip_level", 0) > 0 for r in rows if r["entity"] == "customer")
    statuses = {r["data"]["status"] for r in rows if r["entity"] == "order"}
    assert len(statuses) >= 4


def _phrases(server: ServerProcess, employee_id: str) -> list[dict[str, object]]:
    spec = next(a for a in DEMO_ACCOUNTS if a.account == f"{employee_id}@{DEMO_DOMAIN}")
    agent = AgentClient(server.url, spec.account, spec.password)
    rows = agent.get("/api/v1/sync/bootstrap", params={"limit": 5000}).json()["rows"]
    return [r["data"] for r in rows if r["entity"] == "quick_phrase"]


def test_demo_quick_phrases_reach_the_agents_bootstrap(server: ServerProcess) -> None:
    """H2.2: team sets in groups, the demo agent's own phrases, variables the client fills."""
    mine = _phrases(server, "20240001")
    team = [p for p in mine if p["owner_id"] is None]
    personal = [p for p in mine if p["owner_id"] is not None]
    assert {"售前", "物流", "售后"} <= {p["group"] for p in team}
    assert len(team) >= 5 and personal
    assert {"订单已发货", "请提供订单号"} <= {p["title"] for p in team}
    names = {n for p in mine for n in re.findall(r"\{(\w+)\}", str(p["text"]))}
    assert {"customer", "agent", "order_no"} <= names
    assert names <= VARIABLES.keys()
    # A colleague in the same team shares the team set, not the demo agent's own phrases;
    # the after-sales team has a set of its own.
    colleague = _phrases(server, "20240002")
    assert {p["id"] for p in colleague} == {p["id"] for p in team}
    aftersales = _phrases(server, "20240004")
    assert aftersales and not {p["id"] for p in aftersales} & {p["id"] for p in mine}


def test_simulated_customers_reach_an_agent_and_read_replies(
    server: ServerProcess, world: World
) -> None:
    company = world.company()
    agent = AgentClient(server.url, world.agent(company).account, PASSWORD)
    agent.online()
    simulator = Simulator(server.url, customers=3, rate=5, company=company.domain, seed=7)
    simulator.start()
    try:
        deadline = time.monotonic() + 20
        answered: set[str] = set()
        while time.monotonic() < deadline and simulator.stats.replies_received < 2:
            body = agent.pull(wait=1)
            for change in body["changes"]:
                data = change["data"] or {}
                if (change["entity"] == "message" and data.get("sender") == "customer"
                        and data["conversation_id"] not in answered):
                    answered.add(data["conversation_id"])
                    agent.do("message.send", id=str(uuid.uuid4()),
                             conversation_id=data["conversation_id"], text="您好，马上为您查询")
    finally:
        simulator.stop()
    stats = simulator.stats
    assert stats.sessions >= 1 and stats.messages_sent >= 1
    assert stats.replies_received >= 1
    assert stats.errors == 0, stats.last_error

"""The demo data and the customer simulator, against a real server."""

from __future__ import annotations

import time
import uuid

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

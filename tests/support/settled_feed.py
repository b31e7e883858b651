"""Reading an agent's whole feed once every earlier write is in it (the lead's desk tests)."""

from __future__ import annotations

import time
from typing import Any

from tests.support.api import AgentClient, VisitorClient
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, CompanyRef, World

# On PostgreSQL the feed only hands out rows of transactions below the cluster's xid horizon,
# so a read right after a write can briefly miss it while any other transaction runs. The reader
# pushes a mutation the server does not know: it is rejected, but its ack commits after every
# earlier write; once the ack is in the feed, so is everything before it.
BARRIER = "test.feed_barrier"


def settled_feed(agent: AgentClient, *, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Every change in the agent's scopes up to now, oldest first (the latest row of an id
    last); waits, with a deadline, until the server's earlier commits are all readable."""
    result = agent.do(BARRIER)
    assert result["code"] == "unknown_mutation", result
    ack = f"{agent.client_id}:{result['id']}"
    agent.cursor = ""
    changes = agent.pull_all()
    deadline = time.monotonic() + timeout
    while not any(c["entity"] == "ack" and c["id"] == ack for c in changes):
        assert time.monotonic() < deadline, "the feed did not settle"
        changes.extend(agent.pull(wait=1)["changes"])
    return changes


def rows(agent: AgentClient, entity: str) -> dict[str, dict[str, Any]]:
    """The current row of each id of `entity` in the agent's settled feed: as the client's
    apply does, the higher version wins (not the later position in the feed)."""
    current: dict[str, dict[str, Any]] = {}
    for change in settled_feed(agent):
        if change["entity"] != entity or change["op"] != "upsert":
            continue
        seen = current.get(change["id"])
        if seen is None or change["data"]["version"] >= seen["version"]:
            current[change["id"]] = change["data"]
    return current


def latest(agent: AgentClient, entity: str, row_id: str) -> dict[str, Any]:
    found = rows(agent, entity)
    assert row_id in found, f"{entity} {row_id} not in the feed"
    return found[row_id]


def signed_in(server: ServerProcess, world: World, company: CompanyRef,
              **kw: Any) -> AgentClient:
    return AgentClient(server.url, world.agent(company, **kw).account, PASSWORD)


def customer(server: ServerProcess, company: CompanyRef) -> VisitorClient:
    visitor = VisitorClient(server.url, "顾客", company=company.domain)
    assert visitor.start_response.status_code == 200, visitor.start_response.text
    return visitor

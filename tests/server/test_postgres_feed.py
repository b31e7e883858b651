"""PostgreSQL-only guarantees: no change skipped when transactions commit out of order, and
several server processes on one database behaving as one (LISTEN/NOTIFY wake-ups)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, insert, text
from sqlalchemy.orm import Session

from server import models as m
from tests.support.api import AgentClient, InBackground, VisitorClient
from tests.support.pg import PgCluster
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World


@pytest.fixture(scope="module")
def pg_url(pg_cluster: PgCluster) -> str:
    return pg_cluster.new_database()


@pytest.fixture(scope="module")
def pg_server(pg_url: str) -> Iterator[ServerProcess]:
    # A long fallback re-check: only a real wake-up can answer a long-poll quickly.
    proc = ServerProcess(pg_url, env={"KEFU_POLL_RECHECK_S": "30"}).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def pg_world(pg_server: ServerProcess) -> Iterator[World]:
    w = World(pg_server.database_url)
    yield w
    w.close()


def _probe(conn: Connection, scope: str, name: str) -> None:
    conn.execute(insert(m.ChangeLog).values(
        scope=scope, entity="probe", entity_id=name, op="upsert", data={"name": name},
        created_at=m.utcnow()))


def _probe_names(changes: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in changes if c["entity"] == "probe"]


@pytest.mark.parametrize("older_writes_first", [True, False],
                         ids=["older-has-lower-id", "older-has-higher-id"])
def test_a_transaction_that_commits_late_is_never_skipped(
    pg_server: ServerProcess, pg_world: World, pg_url: str, older_writes_first: bool
) -> None:
    company = pg_world.company()
    agent = AgentClient(pg_server.url, pg_world.agent(company).account, PASSWORD)
    agent.pull_all()
    scope = f"team:{company.team_id}"
    engine = create_engine(pg_url)
    with engine.connect() as older, engine.connect() as newer:
        older.begin()
        older.execute(text("SELECT pg_current_xact_id()"))  # the older transaction's xid
        newer.begin()
        newer.execute(text("SELECT pg_current_xact_id()"))
        if older_writes_first:
            _probe(older, scope, "older")
            _probe(newer, scope, "newer")
        else:  # Emmett's case: the lower xid writes the higher sequence value
            _probe(newer, scope, "newer")
            _probe(older, scope, "older")
        newer.commit()
        while_open = agent.pull_all()
        assert _probe_names(while_open) == [], "delivered past a still-open older transaction"
        older.commit()
    engine.dispose()
    after = _probe_names(agent.pull_all())
    assert after == ["older", "newer"]
    assert _probe_names(agent.pull_all()) == []


def test_second_process_wakes_the_first_process_long_poll(
    pg_server: ServerProcess, pg_world: World, pg_url: str
) -> None:
    other = ServerProcess(pg_url, demo=False, env={"KEFU_POLL_RECHECK_S": "30"}).start()
    try:
        company = pg_world.company()
        agent = AgentClient(pg_server.url, pg_world.agent(company).account, PASSWORD)
        visitor = VisitorClient(other.url, "跨进程顾客", company=company.domain)
        assert visitor.start_response.status_code == 200
        agent.pull_all()
        poll = InBackground(lambda: agent.pull(wait=20), settle=0.5)
        text_sent = f"通过另一个进程发送 {uuid.uuid4().hex[:6]}"
        assert visitor.send(text_sent).status_code == 200
        body, seconds = poll.finish()
        texts = [c["data"]["text"] for c in body["changes"] if c["entity"] == "message"]
        assert texts == [text_sent]
        assert seconds < 10, "woken by the fallback re-check, not by NOTIFY"
    finally:
        other.stop()


def test_agent_on_one_process_replies_to_a_visitor_on_the_other(
    pg_server: ServerProcess, pg_world: World, pg_url: str
) -> None:
    other = ServerProcess(pg_url, demo=False).start()
    try:
        company = pg_world.company()
        agent = AgentClient(pg_server.url, pg_world.agent(company).account, PASSWORD)
        visitor = VisitorClient(other.url, "另一端", company=company.domain)
        visitor.send("你好")
        conversation_id = visitor.conversation_id
        reply = agent.do("message.send", id=str(uuid.uuid4()), conversation_id=conversation_id,
                         text="您好，请讲")
        assert reply["status"] == "applied"
        texts = [msg["text"] for msg in visitor.receive(wait=5)["messages"]]
        assert "您好，请讲" in texts
    finally:
        other.stop()


def test_pages_follow_transaction_order_across_a_digit_boundary(
    pg_server: ServerProcess, pg_url: str
) -> None:
    """xid 9 committed before xid 10: a client paging one change at a time gets both, in that
    order. (The feed once sorted xids as text, '10' < '9', and skipped the 9 for good.)"""
    from server.feed import Cursor, read_page

    scope = f"team:{uuid.uuid4()}"
    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            for xid, name in ((10, "later"), (9, "earlier")):  # the later one has the lower id
                conn.execute(text(
                    "INSERT INTO change_log (xid, scope, entity, entity_id, op, data, created_at)"
                    " VALUES (CAST(:x AS text)::xid8, :s, 'probe', :n, 'upsert', NULL, now())"),
                    {"x": str(xid), "s": scope, "n": name})
        seen: list[str] = []
        cursor = Cursor("e", 0, 0)
        with Session(engine) as session:
            for _ in range(3):
                page = read_page(session, kind="postgresql", scopes=[scope], cursor=cursor,
                                 limit=1)
                seen += [c["id"] for c in page.changes]
                cursor = page.cursor
        assert seen == ["earlier", "later"]
    finally:
        engine.dispose()

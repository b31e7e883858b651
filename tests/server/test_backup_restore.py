"""Backup and restore for real: a hot backup, more work synced after it, the server stopped, the
backup restored, the server started on it. Agents who synced past the backup must rebuild
(409 reset_required) even when other people's new changes reach the restored feed first."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text

from tests.conftest import make_database_url
from tests.support.api import AgentClient, VisitorClient, login
from tests.support.pg import PgCluster
from tests.support.server_proc import ServerProcess
from tests.support.world import PASSWORD, World

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the desktop-client test below


class Site:
    """One server process on its own database, with the operator's backup and restore steps."""

    def __init__(self, backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.backend = backend
        self.url = make_database_url(backend, request)
        self.cluster: PgCluster | None = (
            request.getfixturevalue("pg_cluster") if backend == "postgresql" else None)
        self.backup_file = tmp_path / ("kefudesk.dump" if self.cluster else "server-backup.db")
        self.server = ServerProcess(self.url, demo=False).start()
        self.world = World(self.url)

    def backup(self) -> None:
        """Hot backup while the server runs: `pg_dump -Fc`, or SQLite's online backup API
        (what `sqlite3 server.db ".backup FILE"` does)."""
        if self.cluster is not None:
            self._pg("pg_dump", "-Fc", "-f", str(self.backup_file), "-d", self._libpq_url())
            return
        with closing(sqlite3.connect(self._sqlite_path())) as live, \
                closing(sqlite3.connect(self.backup_file)) as copy:
            live.backup(copy)

    def restore(self) -> None:
        """With the server stopped: `pg_restore --clean` over the same database, or SQLite's
        backup API in the other direction (`sqlite3 server.db ".restore FILE"`)."""
        self.world.close()
        if self.cluster is not None:
            self._pg("pg_restore", "--clean", "--if-exists", "-d", self._libpq_url(),
                     str(self.backup_file))
        else:
            with closing(sqlite3.connect(self.backup_file)) as copy, \
                    closing(sqlite3.connect(self._sqlite_path())) as live:
                copy.backup(live)
        self.world = World(self.url)

    def feed_head(self) -> int:
        """The highest change id in the feed (white-box: to show the race is exercised)."""
        with self.world.db.read() as session:
            return int(session.execute(text("SELECT COALESCE(MAX(id), 0) FROM change_log"))
                       .scalar_one())

    def _sqlite_path(self) -> str:
        database = make_url(self.url).database
        assert database
        return database

    def _libpq_url(self) -> str:
        return make_url(self.url).set(drivername="postgresql").render_as_string(
            hide_password=False)

    def _pg(self, tool: str, *args: str) -> None:
        assert self.cluster is not None
        done = subprocess.run([str(self.cluster.bin / tool), *args], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    def in_flight(self) -> list[tuple[Any, ...]]:
        """PostgreSQL: transactions holding an xid or a snapshot, cluster-wide (they hold back
        every database's feed horizon); for the message when a wait times out."""
        if self.cluster is None:
            return []
        with self.world.db.read() as session:
            return [tuple(r) for r in session.execute(text(
                "SELECT datname, pid, state, backend_xid::text, backend_xmin::text, "
                "left(query, 80) FROM pg_stat_activity WHERE backend_xid IS NOT NULL "
                "OR backend_xmin IS NOT NULL"))]

    def close(self) -> None:
        self.server.stop()
        self.world.close()


@pytest.fixture()
def site(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    s = Site(backend, request, tmp_path)
    yield s
    s.close()


def _texts(rows: list[dict[str, Any]], conversation_id: str) -> list[str]:
    """What the customer and the agent wrote in one conversation, in order (no system lines)."""
    messages = [r["data"] for r in rows if r["entity"] == "message"
                and r["data"]["conversation_id"] == conversation_id
                and r["data"]["sender"] in ("customer", "agent")]
    return [m["text"] for m in sorted(messages, key=lambda m: m["seq"])]


def _bootstrap(agent: AgentClient) -> tuple[list[dict[str, Any]], str]:
    rows: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        response = agent.get("/api/v1/sync/bootstrap", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        rows.extend(body["rows"])
        if body["next"] is None:
            return rows, body["cursor"]
        params["page"] = body["next"]


def _reply(agent: AgentClient, conversation_id: str, text: str) -> None:
    result = agent.do("message.send", id=str(uuid.uuid4()), conversation_id=conversation_id,
                      text=text)
    assert result["status"] == "applied", result


def test_an_agent_who_synced_past_the_backup_rebuilds_from_the_restored_data(
    site: Site,
) -> None:
    company = site.world.company()
    agent = AgentClient(site.server.url, site.world.agent(company).account, PASSWORD)
    visitor = VisitorClient(site.server.url, "备份前的顾客", company=company.domain)
    assert visitor.send("备份前的问题").status_code == 200
    _reply(agent, visitor.conversation_id, "备份前的回复")
    agent.pull_all()
    # An agent of the other team, whose part of the feed does not change after the backup.
    calm = AgentClient(site.server.url,
                       site.world.agent(company, team_id=company.other_team_id).account, PASSWORD)
    assert calm.do("presence.set", status="online")["status"] == "applied"
    calm.pull_all()
    assert int(calm.cursor.rsplit(":", 1)[1]) > 0, "a real change to anchor on"

    site.backup()

    assert visitor.send("备份后的问题").status_code == 200
    _reply(agent, visitor.conversation_id, "备份后的回复")
    later_login = login(site.server.url, agent.agent["account"], PASSWORD, "second-device")
    assert later_login.status_code == 200
    seen = _texts(agent.pull_all(), visitor.conversation_id)
    assert seen == ["备份后的问题", "备份后的回复"]
    old_cursor = agent.cursor

    site.server.stop()
    site.restore()
    site.server.start()

    # Other customers write first: the restored feed grows past the old cursor's position.
    busy = VisitorClient(site.server.url, "恢复后的顾客", company=company.domain)
    assert busy.start_response.status_code == 200
    for i in range(8):
        assert busy.send(f"恢复后的消息{i}").status_code == 200
    assert site.feed_head() > int(old_cursor.rsplit(":", 1)[-1])

    for wait in (0, 5):
        response = agent.get("/api/v1/sync/pull", params={"cursor": old_cursor, "wait": wait})
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "reset_required"
    # Nothing the restore lost ever reached the other team's agent: it carries on.
    carried_on = calm.pull()
    assert carried_on["changes"] == [] and carried_on["up_to_date"]
    # Sessions live in the database too: one opened after the backup is gone.
    signed_in_later = agent.get("/api/v1/sync/pull", headers={
        "Authorization": f"Bearer {later_login.json()['access_token']}"})
    assert signed_in_later.status_code == 401

    rows, cursor = _bootstrap(agent)
    assert _texts(rows, visitor.conversation_id) == ["备份前的问题", "备份前的回复"]
    assert len(_texts(rows, busy.conversation_id)) == 8

    agent.cursor = cursor
    assert visitor.send("恢复后的问题").status_code == 200
    assert _texts(agent.pull_all(), visitor.conversation_id) == ["恢复后的问题"]
    agent.client_id = str(uuid.uuid4())  # as the desktop client does after a reset
    agent._ids = iter(range(1, 100))
    _reply(agent, visitor.conversation_id, "恢复后的回复")
    assert _texts(agent.pull_all(), visitor.conversation_id) == ["恢复后的回复"]
    visitor.after = 0
    assert [m["text"] for m in visitor.receive()["messages"]
            if m["sender"] in ("customer", "agent")] == [
        "备份前的问题", "备份前的回复", "恢复后的问题", "恢复后的回复"]


def test_desktop_client_sends_its_queued_reply_then_rebuilds_from_the_restored_data(
    site: Site, tmp_path: Path,
) -> None:
    from tests.support.client_side import Desk, eventually

    company = site.world.company()
    account = site.world.agent(company).account
    desk = Desk(site.server.url, tmp_path / "desk")
    try:
        runtime = desk.sign_in(account, PASSWORD)
        visitor = VisitorClient(site.server.url, "备份前的顾客", company=company.domain)
        assert visitor.send("备份前的问题").status_code == 200
        conversation = visitor.conversation_id

        def shown() -> list[str]:
            return [m.text for m in runtime.chat.messages(conversation)
                    if m.sender in ("customer", "agent")]

        eventually(lambda: shown() == ["备份前的问题"])
        site.backup()
        assert visitor.send("备份后的问题").status_code == 200
        desk.workers.run_db(runtime.chat.send, conversation, "备份后的回复")
        synced = ["备份前的问题", "备份后的问题", "备份后的回复"]
        try:
            eventually(lambda: shown() == synced and runtime.engine.status.pending == 0)
        except AssertionError as exc:  # say what was missing, not just "not met"
            raise AssertionError(
                f"shown={shown()} status={runtime.engine.status} in_flight={site.in_flight()}"
                f"\nserver log:\n{site.server.log()}") from exc

        site.server.stop()
        desk.workers.run_db(runtime.chat.send, conversation, "恢复期间排队的回复")
        eventually(lambda: runtime.engine.status.pending == 1)
        site.restore()
        site.server.start()

        # What the agent sees: the restored conversation plus the reply that waited offline;
        # what the server lost since the backup is gone from the cache as well.
        eventually(lambda: shown() == ["备份前的问题", "恢复期间排队的回复"]
                   and runtime.engine.status.pending == 0, timeout=30)
        visitor.after = 0
        assert [m["text"] for m in visitor.receive()["messages"] if m["sender"] == "agent"] \
            == ["恢复期间排队的回复"]
        assert visitor.send("恢复后的问题").status_code == 200
        eventually(lambda: shown()[-1:] == ["恢复后的问题"])
    finally:
        desk.close()

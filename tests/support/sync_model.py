"""The model of issue 9's sync-under-faults test: 1–3 desk processes, a real server, faults,
kill -9, server restarts; invariants checked at quiescence against the server's database."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, note, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from server import models as m
from tests.support.api import AgentClient, VisitorClient
from tests.support.client_side import eventually
from tests.support.server_proc import ServerProcess
from tests.support.sync_model_client import DeskProcess
from tests.support.world import World

PAUSE = st.sampled_from([0.0, 0.1, 0.4])


@dataclass
class Tally:
    """What a run did, for the bench's table and the test's report."""

    operations: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    anomalies: list[str] = field(default_factory=list)
    examples: int = 0


@dataclass
class Harness:
    """Set by the caller before running the machine: the server under test and its world."""

    server: ServerProcess
    world: World
    tally: Tally
    settle_timeout: float = 60.0


@dataclass
class Intent:
    desk: int
    name: str
    key: str  # the message id, or the kb entry id
    conversation_id: str = ""


class SyncFaultModel(RuleBasedStateMachine):
    harness: Harness  # assigned on a subclass per run

    def __init__(self) -> None:
        super().__init__()
        self.desks: list[DeskProcess] = []
        self.intents: list[Intent] = []
        self.visitor_ids: list[str] = []
        self.visitors: list[VisitorClient] = []
        self.kb_id = ""
        self.team_id = ""
        self.folder: Path | None = None
        self.ops = self.harness.tally.operations
        self.harness.tally.examples += 1

    @initialize(desk_count=st.integers(1, 3), fault_seed=st.integers(0, 2**31 - 1),
                rate=st.sampled_from([0.1, 0.2, 0.35]))
    def open_desks(self, desk_count: int, fault_seed: int, rate: float) -> None:
        world, server = self.harness.world, self.harness.server
        company = world.company(max_load=50)
        self.team_id = company.team_id
        lead = world.agent(company, role="lead")
        agents = [lead, world.agent(company), lead]
        self.lead = lead
        editor = AgentClient(server.url, lead.account, lead.password)
        self.kb_id = str(uuid.uuid4())
        assert editor.do("kb.upsert", id=self.kb_id, category="售后", title="退货",
                         body="七天无理由", base_version=None)["status"] == "applied"
        for n in range(2):
            visitor = VisitorClient(server.url, f"访客{n}", company=company.domain)
            assert visitor.start_response.status_code == 200, visitor.start_response.text
            self.visitors.append(visitor)
        folder = self.folder = Path(tempfile.mkdtemp(prefix="kefu-model-"))
        note(f"desks={desk_count} fault_seed={fault_seed} rate={rate} folder={folder}")
        for n in range(desk_count):
            agent = agents[n]
            desk = DeskProcess(server.url, agent.account, agent.password,
                               folder / f"desk{n}.db", fault_seed + n, rate)
            self.desks.append(desk.start())

    @rule(desk=st.integers(0, 2), conversation=st.integers(0, 1), count=st.integers(1, 4),
          words=st.text(st.sampled_from("你好订单退款谢谢abc123 "), min_size=1, max_size=12),
          pause=PAUSE)
    def agent_replies(self, desk: int, conversation: int, count: int, words: str,
                      pause: float) -> None:
        desk %= len(self.desks)
        conversation_id = self.visitors[conversation].conversation_id
        for _ in range(count):
            message_id = str(uuid.uuid4())
            self.desks[desk].ask("send", conversation_id=conversation_id, id=message_id,
                                 text=f"{words.strip() or '好'} #{message_id[:8]}")
            self.intents.append(Intent(desk, "message.send", message_id, conversation_id))
            self.ops["message.send"] += 1
        time.sleep(pause)  # the engines keep running under faults meanwhile

    @rule(desk=st.integers(0, 2), count=st.integers(1, 3), pause=PAUSE)
    def agent_uses_kb(self, desk: int, count: int, pause: float) -> None:
        desk %= len(self.desks)
        for _ in range(count):
            self.desks[desk].ask("kb_used", entry_id=self.kb_id)
            self.intents.append(Intent(desk, "kb.used", self.kb_id))
            self.ops["kb.used"] += 1
        time.sleep(pause)

    @rule(conversation=st.integers(0, 1))
    def customer_writes(self, conversation: int) -> None:
        visitor = self.visitors[conversation]
        message_id = str(uuid.uuid4())
        response = visitor.send(f"请问 #{message_id[:8]}", message_id)
        assert response.status_code == 200, response.text
        self.visitor_ids.append(message_id)
        self.ops["visitor message"] += 1

    @rule(desk=st.integers(0, 2))
    def kill_desk(self, desk: int) -> None:
        """kill -9 mid-sync, then the desk starts again on the same database file."""
        desk %= len(self.desks)
        self.desks[desk].kill()
        self.desks[desk].start()
        self.ops["desk kill -9"] += 1

    @rule(hard=st.booleans())
    def restart_server(self, hard: bool) -> None:
        server = self.harness.server
        if hard:
            assert server.proc is not None
            server.proc.kill()
            server.proc.wait(10)
        else:
            server.stop()
        server.start()
        self.ops["server kill -9" if hard else "server restart"] += 1

    @precondition(lambda self: len(self.intents) > 0)
    @rule()
    def settle_and_check(self) -> None:
        self.check_quiescence()

    def teardown(self) -> None:
        try:
            if self.desks:
                self.check_quiescence()
        finally:
            for desk in self.desks:
                desk.stop()
                self.harness.tally.faults.update(desk.faults)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)  # kept (its path noted) on a failure

    # ---- the invariants --------------------------------------------------------------------

    def check_quiescence(self) -> None:
        """Faults off, wait until every desk has nothing in flight and matches the server."""
        self.ops["quiescence check"] += 1
        for desk in self.desks:
            desk.ask("faults", rate=0)
        try:
            eventually(self._converged, timeout=self.harness.settle_timeout, interval=0.2)
        except AssertionError:
            problem = self._divergence()
            self.harness.tally.anomalies.append(problem)
            raise AssertionError(problem) from None
        self._check_server_books()
        _check_feed(AgentClient(self.harness.server.url, self.lead.account, self.lead.password))
        for n, desk in enumerate(self.desks):
            _check_pages(n, desk.ask("snapshot")["pages"])
        for desk in self.desks:
            desk.ask("faults", rate=float(desk.argv[-2]))

    def _server_view(self) -> dict[str, Any]:
        db = self.harness.world.db
        with db.read() as s:
            conversations = {c.id: [c.agent_id, c.state, c.version] for c in s.scalars(
                select(m.Conversation).where(m.Conversation.team_id == self.team_id))}
            messages = {x.id: [x.conversation_id, x.seq, x.sender, x.text] for x in s.scalars(
                select(m.Message).where(m.Message.conversation_id.in_(conversations)))}
            entry = s.get(m.KbEntry, self.kb_id)
            return {"conversations": conversations, "messages": messages,
                    "kb": entry.use_count if entry else None}

    def _snapshots(self) -> list[dict[str, Any]]:
        return [desk.ask("snapshot") for desk in self.desks]

    def _converged(self) -> bool:
        return not self._differences(self._server_view(), self._snapshots())

    def _differences(self, server: dict[str, Any], snaps: list[dict[str, Any]]) -> list[str]:
        found: list[str] = []
        for n, snap in enumerate(snaps):
            in_flight = [row for row in snap["outbox"] if row[3] != "rejected"]
            if in_flight:
                found.append(f"desk {n}: {len(in_flight)} intent(s) still in flight")
            if snap["conversations"] != server["conversations"]:
                found.append(f"desk {n}: conversations differ from the server's")
            if snap["messages"] != server["messages"]:
                missing = set(server["messages"]) - set(snap["messages"])
                extra = set(snap["messages"]) - set(server["messages"])
                found.append(f"desk {n}: messages differ (missing {len(missing)}, "
                             f"extra {len(extra)})")
            if snap["kb"].get(self.kb_id) != server["kb"]:
                found.append(f"desk {n}: kb use_count {snap['kb'].get(self.kb_id)} "
                             f"!= server {server['kb']}")
            if snap["recovered"]:  # kill -9 must not damage the cache (set aside = work lost)
                found.append(f"desk {n}: its cache was found damaged and set aside")
            if snap["state"] != "online" or snap["last_error"]:
                found.append(f"desk {n}: status {snap['state']} ({snap['last_error']})")
        return found

    def _divergence(self) -> str:
        return "; ".join(self._differences(self._server_view(), self._snapshots())) or "?"

    def _check_server_books(self) -> None:
        """No intent lost, none duplicated: each is applied once or visibly rejected."""
        server = self._server_view()
        snaps = self._snapshots()
        rejected = {(n, row[1], row[2].get("id")) for n, snap in enumerate(snaps)
                    for row in snap["outbox"] if row[3] == "rejected"}
        texts = Counter(message[3] for message in server["messages"].values())
        kb_applied = 0
        for intent in self.intents:
            if (intent.desk, intent.name, intent.key) in rejected:
                self.ops["visibly rejected"] += 1
                continue
            if intent.name == "kb.used":
                kb_applied += 1
                continue
            message = server["messages"].get(intent.key)
            assert message is not None, f"intent lost: message {intent.key} of desk {intent.desk}"
            assert texts[message[3]] == 1, f"message duplicated: {message[3]}"
        kb_rejected = sum(1 for r in rejected if r[1] == "kb.used")
        assert kb_rejected == 0, "kb.used was refused"
        assert server["kb"] == kb_applied, (
            f"kb.used applied {server['kb']} times for {kb_applied} intents")
        for message_id in self.visitor_ids:
            assert message_id in server["messages"], f"customer message {message_id} lost"
        self._intents_checked = len(self.intents)


def run_model(server: ServerProcess, world: World, run_seed: int, *, examples: int,
              steps: int, tally: Tally | None = None) -> Tally:
    """Runs the machine (no shrinking: a failure prints its steps, and the seed replays it)."""
    tally = tally if tally is not None else Tally()
    machine = type("Model", (SyncFaultModel,), {"harness": Harness(server, world, tally)})
    print(f"\nsync fault model seed {run_seed} (replay: KEFU_SYNC_SEED={run_seed})", flush=True)
    run_state_machine_as_test(seed(run_seed)(machine), settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
        print_blob=True))
    return tally


def _cursor_key(cursor: str) -> tuple[str, int, int]:
    """`sq:<epoch>:<xid>:<id>` orders by id (xid is a random group id); `pg:` by (xid, id)."""
    kind, epoch, xid, row = cursor.split(":")
    return (epoch, int(xid) if kind == "pg" else 0, int(row))


def _check_pages(desk: int, pages: list[list[Any]]) -> None:
    """The feed as this desk applied it (one process lifetime): monotonic, a page with changes
    moves the cursor forward, an empty one leaves it."""
    for (before, _), (after, size) in itertools.pairwise(pages):
        a, b = _cursor_key(before), _cursor_key(after)
        if size:
            assert a < b, f"desk {desk}: feed went from {before} to {after} with {size} rows"
        else:
            assert a <= b, f"desk {desk}: feed went back from {before} to {after}"


def _check_feed(agent: AgentClient) -> None:
    """The whole feed read one row at a time is the feed read at once (no gap, same order),
    and a page never splits a server transaction: an applied intent's ack shares its page
    with the rows the intent wrote."""
    whole = [(c["entity"], c["id"], c["op"]) for c in agent.pull_all()]
    agent.cursor = ""
    single: list[tuple[str, str, str]] = []
    cursors: list[tuple[str, int, int]] = []
    while True:
        body = agent.pull(limit=1)
        page = body["changes"]
        single.extend((c["entity"], c["id"], c["op"]) for c in page)
        cursors.append(_cursor_key(body["cursor"]))
        for n, change in enumerate(page):
            if change["op"] == "ack" and change["data"]["status"] == "applied":
                assert n > 0, f"ack {change['id']} alone on its page: a transaction was split"
        if body["up_to_date"]:
            break
    assert single == whole, "the feed read one row at a time differs from the whole feed"
    assert cursors == sorted(cursors), "the feed's cursor went backwards"

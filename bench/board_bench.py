"""The lead's board live at 200 agents and 5,000 open conversations (H13.3): the real
BoardWindow (offscreen) over a cache filled through the feed's apply, no server.

    .venv/bin/python -m bench.board_bench [--agents 200] [--conversations 5000] [--runs 25]

Measures, as the median and p95 of its runs:

1. the board's first build: `BoardService.live` + `BoardWindow` construction + first paint;
2. `BoardService.live` alone (the few GROUP BY queries);
3. refresh after a change: a pulled page that changes one open conversation (its customer
   waits now, or it moves to another agent) is applied on the DB thread (untimed), then
   `BoardWindow.apply_changes(applied)` runs (`applies_to`, the queries, the models' update)
   and `QApplication.processEvents()` repaints; goal <= 100 ms;
4. the same for a page that changes one agent's presence (a record).

Prints one table (metric, median, p95, note) on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.models.store import Store, open_store
from app.sync.apply import Applied, apply_changes
from kefu_protocol.wire import Change

GOAL_MS = 100.0
_NAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "晓敏娜伟芳强磊静丽军洋勇艳杰涛明超秀英华"


def iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()


def conversation_row(cid: str, team_id: str, agent_id: str | None, *, state: str,
                     created: float, awaiting: float | None, version: int = 1,
                     first_ms: int | None = None, first_at: float | None = None,
                     nickname_of: str = "") -> dict[str, Any]:
    """A conversation as the feed carries it (the server's to_wire)."""
    return {"id": cid, "team_id": team_id, "customer_id": nickname_of or cid,
            "agent_id": agent_id, "state": state, "pinned": False, "order_no": "",
            "created_at": iso(created), "last_message_at": iso(awaiting or created),
            "last_message_text": "在吗", "awaiting_reply_since": iso(awaiting) if awaiting
            else None, "version": version, "is_complaint": False,
            "first_response_ms": first_ms, "first_response_at": iso(first_at) if first_at
            else None}


def apply_rows(store: Store, changes: list[Change]) -> Applied:
    with store.write() as session:
        return apply_changes(session, changes, client_id="bench")


def fill(store: Store, *, agents: int, conversations: int, queued: int = 60,
         handovers: int = 20, now: float | None = None,
         seed: int = 7) -> tuple[str, list[str], list[str]]:
    """A team, its lead, `agents` agents, `conversations` open ones spread over them (a third
    waiting for a reply, some late first responses), a queue and handovers with unacked items;
    returns (team_id, agent ids, open conversation ids)."""
    rnd = random.Random(seed)
    now = time.time() if now is None else now
    team_id = str(uuid.uuid4())
    changes = [Change(entity="team", op="upsert", id=team_id, data={
        "id": team_id, "name": "售前咨询组", "first_response_s": 30, "handover_alert_min": 30,
        "version": 1})]
    ids = [str(uuid.uuid4()) for _ in range(agents)]
    presences = ("online", "online", "busy", "away", "offline")
    for n, agent_id in enumerate(ids):
        changes.append(Change(entity="agent", op="upsert", id=agent_id, data={
            "id": agent_id, "team_id": team_id, "role": "agent", "employee_id": f"{n:06d}",
            "name": f"{_NAMES[n % 20]}{_GIVEN[(n // 20) % 20]}{n // 400 or ''}",
            "presence": presences[n % 5], "last_seen_at": iso(now - rnd.randint(0, 600)),
            "version": 1}))
    open_ids = []
    for _ in range(conversations):
        cid = str(uuid.uuid4())
        created = now - rnd.randint(60, 8 * 3600)
        waiting = now - rnd.randint(0, 300) if rnd.random() < 0.33 else None
        first_ms = rnd.choice((4000, 12000, 25000, 45000, 90000))
        changes.append(Change(entity="conversation", op="upsert", id=cid, data=conversation_row(
            cid, team_id, rnd.choice(ids), state="open", created=created, awaiting=waiting,
            first_ms=first_ms, first_at=created + first_ms / 1000)))
        open_ids.append(cid)
    for _ in range(queued):
        cid = str(uuid.uuid4())
        since = now - rnd.randint(0, 900)
        changes.append(Change(entity="conversation", op="upsert", id=cid, data=conversation_row(
            cid, team_id, None, state="queued", created=since, awaiting=since)))
    for n in range(handovers):
        hid = str(uuid.uuid4())
        changes.append(Change(entity="handover", op="upsert", id=hid, data={
            "id": hid, "team_id": team_id, "from_agent_id": ids[n], "to_agent_id": ids[-1 - n],
            "created_at": iso(now - 600 * n), "acked_at": None, "note": "", "version": 1,
            "items": [{"kind": "todo", "text": f"回电客户 {n} 号", "acked_at": None},
                      {"kind": "callback", "text": "确认退款进度", "acked_at": iso(now)}]}))
    apply_rows(store, changes)
    return team_id, ids, open_ids


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(values: list[float]) -> tuple[str, str]:
    return (f"{statistics.median(values) * 1000:.1f} ms", f"{_p(values, 0.95) * 1000:.1f} ms")


def _note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from app.i18n import Tr
    from app.services.board import BoardService
    from app.ui.board_window import BoardWindow
    from app.ui.theme import LIGHT
    from app.workers import Workers

    qapp = QApplication.instance() or QApplication(sys.argv)
    folder = Path(tempfile.mkdtemp(prefix="kefu-board-bench-"))
    workers = Workers()
    store = open_store(folder / "cache.db")
    try:
        _note(f"filling {args.agents} agents, {args.conversations} open conversations")
        team_id, agents, open_ids = fill(store, agents=args.agents,
                                         conversations=args.conversations)
        service = BoardService(store, run_db=workers.run_db, agent_id=str(uuid.uuid4()),
                               role="lead", team_ids=[team_id], keeper=None,  # type: ignore
                               make_client=lambda: None, poke=lambda: None)  # type: ignore
        lines: list[tuple[str, str, str, str]] = []
        builds, lives = [], []
        for _ in range(max(3, args.runs // 5)):
            t0 = time.perf_counter()
            window = BoardWindow(service, workers, Tr("zh"), LIGHT, snapshot_every_s=0)
            window.resize(1440, 900)
            window.show()
            qapp.processEvents()
            builds.append(time.perf_counter() - t0)
            window.close()
            window.deleteLater()
            qapp.processEvents()
        lines.append(("first build (live + window + paint)", *_ms(builds), ""))
        for _ in range(args.runs):
            t0 = time.perf_counter()
            service.live(team_id)
            lives.append(time.perf_counter() - t0)
        lines.append(("BoardService.live", *_ms(lives), f"{args.agents} agents"))
        window = BoardWindow(service, workers, Tr("zh"), LIGHT, snapshot_every_s=0)
        window.resize(1440, 900)
        window.show()
        qapp.processEvents()
        rnd = random.Random(3)
        refreshes = []
        for run in range(args.runs):
            cid = rnd.choice(open_ids)
            now = time.time()
            row = conversation_row(cid, team_id, rnd.choice(agents), state="open",
                                   created=now - 3600, awaiting=now - rnd.randint(0, 120),
                                   version=100 + run)
            applied = apply_rows(store, [Change(entity="conversation", op="upsert", id=cid,
                                                data=row)])
            t0 = time.perf_counter()
            window.apply_changes(applied)
            qapp.processEvents()
            refreshes.append(time.perf_counter() - t0)
        median = statistics.median(refreshes) * 1000
        lines.append(("refresh after a change (page -> repaint)", *_ms(refreshes),
                      f"goal <= {GOAL_MS:.0f} ms: {'ok' if median <= GOAL_MS else 'MISSED'}"))
        presences = []
        for run in range(args.runs):  # an agent's presence: a record, found by applies_to
            agent_id = rnd.choice(agents)
            applied = apply_rows(store, [Change(entity="agent", op="upsert", id=agent_id, data={
                "id": agent_id, "team_id": team_id, "role": "agent", "name": f"客服{run}",
                "presence": ("online", "busy", "away")[run % 3], "version": 100 + run})])
            t0 = time.perf_counter()
            window.apply_changes(applied)
            qapp.processEvents()
            presences.append(time.perf_counter() - t0)
        lines.append(("refresh after a presence change", *_ms(presences), "agent record"))
        window.close()
        print(f"board bench: {args.agents} agents, {args.conversations} open conversations, "
              f"{args.runs} runs")
        print(f"{'metric':44} {'median':>10} {'p95':>10}  note")
        for metric, med, p95, note in lines:
            print(f"{metric:44} {med:>10} {p95:>10}  {note}")
        return 0
    finally:
        store.close()
        workers.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

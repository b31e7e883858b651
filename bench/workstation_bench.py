"""Workstation benchmarks on a generated cache with real widgets (offscreen): the 50k list's
filters, views and orders, and opening a conversation of 10,000 messages.

    .venv/bin/python -m bench.workstation_bench [--conversations 50000] [--runs 15]

Each figure is the median (and p95) of `--runs` runs, from the agent's input to the viewport
painted (processEvents after the model reset). Prints one table.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.client_bench import AGENT_REPLIES, Row, _iso, generate_cache


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(values: list[float]) -> tuple[str, str]:
    return (f"{statistics.median(values) * 1000:.1f} ms", f"p95 {_p(values, 0.95) * 1000:.1f} ms")


def add_long_conversation(path: Path, team_id: str, agent_id: str, count: int) -> str:
    """One conversation with `count` messages, a customer and an agent taking turns."""
    rng = random.Random(11)
    conn = sqlite3.connect(path)
    cid, customer = str(uuid.uuid4()), str(uuid.uuid4())
    start = time.time() - 30 * 86_400
    conn.execute("INSERT INTO customer (id, team_id, nickname, vip_level, version, data) "
                 "VALUES (?, ?, ?, 0, 1, '{}')", (customer, team_id, "老客户长聊"))
    rows = []
    for seq in range(1, count + 1):
        sender = "customer" if seq % 2 else "agent"
        text = (f"第{seq}条：这件衣服的尺码偏大吗？" if sender == "customer"
                else rng.choice(AGENT_REPLIES))
        rows.append((str(uuid.uuid4()), cid, seq, sender,
                     agent_id if sender == "agent" else None, text,
                     _iso(start + seq * 240), 1))
    conn.executemany("INSERT INTO message (id, conversation_id, seq, sender, agent_id, text, "
                     "created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute(
        "INSERT INTO conversation (id, team_id, customer_id, agent_id, state, pinned, order_no, "
        "created_at, last_message_at, last_message_text, awaiting_reply_since, version, data, "
        "unread, last_read_seq, draft) VALUES (?, ?, ?, ?, 'open', 0, '', ?, ?, ?, NULL, 1, "
        "'{}', 0, ?, '')", (cid, team_id, customer, agent_id, _iso(start), rows[-1][6],
                            rows[-1][5][:200], count))
    conn.commit()
    conn.close()
    return cid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--long", type=int, default=10_000, help="messages in the long chat")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from app.i18n import Tr
    from app.models.store import open_store
    from app.services.chat import ChatService
    from app.services.listing import ListQuery
    from app.ui.chat_panel import ChatPanel
    from app.ui.conversation_list import ConversationListModel, make_conversation_view
    from app.ui.theme import LIGHT

    directory = Path(tempfile.mkdtemp(prefix="kefu-ws-bench-"))
    path = directory / "cache.db"
    cache = generate_cache(path, conversations=args.conversations,
                           messages=args.conversations * 2, open_share=1.0)
    long_id = add_long_conversation(path, cache.team_id, cache.agent_id, args.long)
    print(f"# cache: {cache.listed:,} open conversations, {cache.messages:,} messages + one of "
          f"{args.long:,}, {path.stat().st_size / 2**20:.0f} MiB", file=sys.stderr)

    qt = QApplication([sys.argv[0]])
    tr = Tr("zh")
    store = open_store(path)
    chat = ChatService(store, agent_id=cache.agent_id, poke=lambda: None)
    state = {"query": ListQuery()}
    model = ConversationListModel(lambda: chat.conversation_order(state["query"]),
                                  lambda ids: chat.conversation_rows(ids, state["query"]),
                                  lambda ids: chat.sort_keys(ids, state["query"]))
    view = make_conversation_view(model, LIGHT, tr)
    view.resize(320, 800)
    view.show()
    model.reload()
    qt.processEvents()

    def timed(change: Callable[[], None]) -> list[float]:
        took = []
        for _ in range(args.runs):
            started = time.perf_counter()
            change()
            model.reload()
            view.viewport().repaint()
            qt.processEvents()
            took.append(time.perf_counter() - started)
        return took

    def query(**fields: object) -> Callable[[], None]:
        return lambda: state.__setitem__("query", replace(ListQuery(), **fields))  # type: ignore[arg-type]

    rows: list[Row] = []
    listed = len(chat.conversation_order(ListQuery()))
    cases = [
        (f"list, all open ({listed:,} rows): reload + paint", {}),
        ("filter typed: 1 character (小)", {"text": "小"}),
        ("filter typed: 2 characters (快递)", {"text": "快递"}),
        ("filter typed: order-number prefix (DD1234)", {"text": "DD1234"}),
        ("filter typed: no match (zzz)", {"text": "zzz"}),
        ("view: mine", {"view": "mine"}),
        ("view: team queue", {"view": "queue"}),
        ("sort: urgency", {"sort": "urgency"}),
        ("sort: nickname", {"sort": "nickname"}),
    ]
    for label, fields in cases:
        took = timed(query(**fields))
        goal = "<= 30 ms" if label.startswith(("filter", "list")) else "(<= 30 ms)"
        shown = model.rowCount()
        rows.append(Row(f"{label} -> {shown:,} rows", goal, *_ms(took)))

    panel = ChatPanel(LIGHT, tr)
    panel.resize(700, 700)
    panel.show()
    qt.processEvents()
    opened = []
    for _ in range(args.runs):
        panel.show_conversation("", [])
        qt.processEvents()
        started = time.perf_counter()
        messages = chat.messages(long_id)
        panel.show_conversation("老客户长聊", messages)
        panel.view.viewport().repaint()
        qt.processEvents()
        opened.append(time.perf_counter() - started)
    rows.append(Row(f"open a conversation of {args.long:,} messages -> first paint "
                    f"({len(messages)} loaded)", "<= 50 ms", *_ms(opened)))
    store.close()

    width = max(len(r.metric) for r in rows)
    print(f"{'metric':<{width}}  {'goal':<11} {'median':<10} p95")
    for r in rows:
        print(f"{r.metric:<{width}}  {r.goal:<11} {r.median:<10} {r.p99}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

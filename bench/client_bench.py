"""Client benchmarks over a real local cache, real widgets (offscreen) and a real server process.

    .venv/bin/python -m bench.client_bench [--conversations 100000] [--messages 1000000] [--quick]

Measures: start -> window painted over a generated cache (seconds, RSS), customer message ->
agent's list model (p50/p99), send -> chat model (p50/p99), apply rate of pulled pages
(changes/s), catch-up of a week's backlog (seconds). Prints one table. Noisy machines: run it
twice. The cache generator is `generate_cache`; everything is written under one mkdtemp dir.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Module level stays light: the start-up child runs this module and should pay only for what
# the app itself imports. Heavy imports live in the functions that need them.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
DAY = 86_400.0

AGENT_NAMES = ("王晓敏", "李佳怡", "张浩然", "陈思雨", "刘子轩", "黄欣怡", "赵雅婷", "孙建国")
AGENT_REPLIES = (
    "您好，很高兴为您服务，请问有什么可以帮您？",
    "亲，麻烦提供一下订单号，我这边帮您查询～",
    "已经帮您催促仓库了，今天之内会发出。",
    "非常抱歉给您带来不便，我们马上为您处理。",
    "退款会在1-3个工作日内原路退回，请留意银行通知。",
    "这款商品支持七天无理由退换货，运费险可以报销运费。",
    "好的，已经为您备注，请耐心等待。",
    "您的快递目前在杭州转运中心，预计明天送达。",
    "感谢您的耐心等待，请问还有其他问题吗？",
    "优惠券可以和满300减40的活动叠加使用哦～",
    "麻烦您拍一下商品的照片发给我，我帮您申请换新。",
    "这款是国行正品，全国联保一年。",
)
SYSTEM_LINES = ("会话已接入，客服将为您服务", "会话已转接至售后服务组", "客户已离开会话")
PLACES = ("浙江省杭州市", "广东省深圳市", "江苏省南京市", "上海市浦东新", "北京市朝阳区",
          "四川省成都市", "湖北省武汉市", "福建省厦门市")


@dataclass
class Row:
    metric: str
    goal: str
    median: str
    p99: str = ""


@dataclass
class Texts:
    topics: list[tuple[tuple[str, ...], tuple[str, ...]]]
    nicknames: tuple[str, ...]
    nudges: tuple[str, ...]
    closings: tuple[str, ...]


def _texts() -> Texts:
    """The customer simulator's Chinese lines: questions, follow-ups, nudges, thanks."""
    from server.simulate import CLOSINGS, NICKNAMES, NUDGES, TOPICS

    return Texts([(t.questions, t.follow_ups) for t in TOPICS], NICKNAMES, NUDGES, CLOSINGS)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    values: dict[str, float] = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, kb = line.split()[:2]
                    values[key] = int(kb) / 1024
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


# ---- rows as the server puts them on the wire (server/changes.py to_wire) -------------------


def _nickname(rng: random.Random, texts: Texts) -> str:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(texts.nicknames)
    if roll < 0.8:
        return f"{rng.choice(texts.nicknames)}{rng.randint(1, 9999)}"
    return f"用户{rng.randint(130, 199)}****{rng.randint(0, 9999):04d}"


def _customer_wire(rng: random.Random, texts: Texts, *, customer_id: str, company_id: str,
                   team_id: str, created_at: str) -> dict[str, Any]:
    vip = rng.choices((0, 1, 2, 3, 5), weights=(70, 15, 8, 5, 2))[0]
    return {
        "id": customer_id, "company_id": company_id, "team_id": team_id,
        "nickname": _nickname(rng, texts), "vip_level": vip,
        "tags": rng.choice(([], [], ["老顾客"], ["支付异常"], ["大客户", "老顾客"])),
        "created_at": created_at, "version": 1,
        "phone_masked": f"1{rng.randint(30, 99)}****{rng.randint(0, 9999):04d}",
        "address_masked": rng.choice(PLACES) + "****",
        "id_number_masked": f"{rng.randint(110, 659)}***********{rng.randint(0, 9999):04d}",
    }


def _conversation_wire(*, conversation_id: str, team_id: str, customer_id: str,
                       agent_id: str | None, state: str, created_at: str,
                       order_no: str = "", pinned: bool = False) -> dict[str, Any]:
    return {
        "id": conversation_id, "team_id": team_id, "customer_id": customer_id,
        "agent_id": agent_id, "state": state, "channel": "web", "order_no": order_no,
        "pinned": pinned, "is_complaint": False, "created_at": created_at,
        "assigned_at": created_at if agent_id else None, "first_response_at": None,
        "first_response_ms": None, "closed_at": None, "last_message_at": None,
        "last_message_text": "", "last_customer_message_at": None,
        "awaiting_reply_since": None, "message_count": 0, "rating": None,
        "rating_comment": "", "version": 1,
    }


def _after_message(conv: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """The conversation row the server republishes after appending `message` (chat.py)."""
    new = dict(conv)
    at = message["created_at"]
    new["message_count"] = message["seq"]
    new["last_message_at"] = at
    new["last_message_text"] = message["text"][:200]
    if message["sender"] == "customer":
        new["last_customer_message_at"] = at
        new["awaiting_reply_since"] = new["awaiting_reply_since"] or at
    elif message["sender"] == "agent":
        new["awaiting_reply_since"] = None
        new["first_response_at"] = new["first_response_at"] or at
    new["version"] = int(new["version"] or 1) + 1
    return new


def _line(rng: random.Random, texts: Texts, topic: int, sender: str, seq: int) -> str:
    questions, follow_ups = texts.topics[topic]
    if sender == "system":
        return rng.choice(SYSTEM_LINES)
    if sender == "agent":
        return rng.choice(AGENT_REPLIES)
    if seq == 1:
        return rng.choice(questions)
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(follow_ups)
    if roll < 0.8:
        return rng.choice(questions)
    return rng.choice(texts.nudges if roll < 0.9 else texts.closings)


def _next_sender(rng: random.Random, last: str | None) -> str:
    if last is None:
        return "customer"
    if rng.random() < 0.03:
        return "system"
    if last == "system":
        return rng.choice(("customer", "agent"))
    keep = rng.random() < 0.2  # a customer nudging, an agent sending two lines
    return last if keep else ("agent" if last == "customer" else "customer")


# ---- 1. the local cache --------------------------------------------------------------------


@dataclass
class CacheInfo:
    path: Path
    agent_id: str
    team_id: str
    conversations: int
    messages: int
    customers: int
    listed: int  # not closed: what the conversation list shows
    size_mb: float
    seconds: float


def generate_cache(path: Path, *, conversations: int, messages: int, open_share: float = 0.3,
                   seed: int = 7) -> CacheInfo:
    """A profile cache as months of a busy team leave it: tables from `open_store`, rows by
    fast raw inserts. `open_share` of the conversations are queued/open (the list shows them)."""
    from app.models.store import open_store

    started = time.perf_counter()
    open_store(path, exclusive=False).close()
    rng = random.Random(seed)
    texts = _texts()
    company_id, team_id = _uuid(rng), _uuid(rng)
    agents = [_uuid(rng) for _ in AGENT_NAMES]
    me = agents[0]
    messages = max(messages, conversations)
    now = time.time()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO record (entity, id, version, data) VALUES (?, ?, ?, ?)",
        [("agent", agent_id, 1, json.dumps({
            "id": agent_id, "team_id": team_id, "employee_id": f"2024{n:04d}",
            "account": f"2024{n:04d}@shop.example", "name": name, "role": "agent",
            "must_change_password": False, "presence": "online", "last_seen_at": None,
            "disabled": False, "version": 1}))
         for n, (agent_id, name) in enumerate(zip(agents, AGENT_NAMES, strict=True))]
        + [("team", team_id, 1, json.dumps({"id": team_id, "company_id": company_id,
                                             "name": "售前咨询组", "receives_visitors": True,
                                             "max_load": 8, "auto_reply": "", "version": 1}))],
    )
    n_customers = max(1, conversations * 4 // 5)  # some customers come back
    customer_ids = [_uuid(rng) for _ in range(n_customers)]
    conn.executemany(
        "INSERT INTO customer (id, team_id, nickname, vip_level, version, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ((c["id"], team_id, c["nickname"], c["vip_level"], 1, json.dumps(c))
         for c in (_customer_wire(rng, texts, customer_id=cid, company_id=company_id,
                                  team_id=team_id, created_at=_iso(now - rng.uniform(0, 400) * DAY))
                   for cid in customer_ids)),
    )
    counts = [1] * conversations
    for i in rng.choices(range(conversations), k=messages - conversations):
        counts[i] += 1
    message_rows: list[tuple[Any, ...]] = []
    conversation_rows: list[tuple[Any, ...]] = []
    listed = 0

    def flush() -> None:
        conn.executemany(
            "INSERT INTO message (id, conversation_id, seq, sender, agent_id, text, created_at, "
            "version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", message_rows)
        conn.executemany(
            "INSERT INTO conversation (id, team_id, customer_id, agent_id, state, pinned, "
            "order_no, created_at, last_message_at, last_message_text, awaiting_reply_since, "
            "version, data, unread, last_read_seq, draft) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", conversation_rows)
        message_rows.clear()
        conversation_rows.clear()

    for count in counts:
        is_open = rng.random() < open_share
        listed += is_open
        if is_open:
            state = rng.choices(("open", "queued"), weights=(4, 1))[0]
            created = now - rng.uniform(0, 2) * DAY
        else:
            state = "closed"
            created = now - rng.uniform(2, 90) * DAY
        agent_id = None if state == "queued" else rng.choice(agents if rng.random() < 0.7
                                                             else [me])
        conv = _conversation_wire(
            conversation_id=_uuid(rng), team_id=team_id, customer_id=rng.choice(customer_ids),
            agent_id=agent_id, state=state, created_at=_iso(created),
            order_no=f"DD{rng.randint(0, 10**12 - 1):012d}" if rng.random() < 0.5 else "",
            pinned=is_open and rng.random() < 0.005)
        topic = rng.randrange(len(texts.topics))
        clock = created
        sender: str | None = None
        customer_seqs: list[int] = []
        for seq in range(1, count + 1):
            sender = _next_sender(rng, sender)
            clock += rng.uniform(5, 180)
            message = {"id": _uuid(rng), "conversation_id": conv["id"], "seq": seq,
                       "sender": sender, "agent_id": agent_id if sender == "agent" else None,
                       "text": _line(rng, texts, topic, sender, seq), "created_at": _iso(clock),
                       "version": 1}
            if sender == "customer":
                customer_seqs.append(seq)
            message_rows.append(tuple(message.values()))
            conv = _after_message(conv, message)
        if state == "closed":
            conv["closed_at"] = _iso(clock + 60)
            conv["awaiting_reply_since"] = None
            conv["version"] += 1
            last_read = count
        else:
            last_read = max(0, count - rng.choice((0, 0, 0, 1, 2, 3)))
        unread = sum(1 for s in customer_seqs if s > last_read)
        conversation_rows.append((
            conv["id"], team_id, conv["customer_id"], conv["agent_id"], state,
            int(conv["pinned"]), conv["order_no"], conv["created_at"], conv["last_message_at"],
            conv["last_message_text"], conv["awaiting_reply_since"], conv["version"],
            json.dumps(conv), unread, last_read, ""))
        if len(message_rows) >= 100_000:
            flush()
    flush()
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return CacheInfo(path, me, team_id, conversations, messages, n_customers, listed,
                     path.stat().st_size / 2**20, time.perf_counter() - started)


# ---- 1. start-up, in a fresh process -------------------------------------------------------


def _startup_child(path: str, agent_id: str) -> int:
    """Runs in its own process: imports, QApplication, open_store, list + chat, first paint."""
    started = time.perf_counter()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget
    from sqlalchemy import text

    from app.i18n import Tr
    from app.models.store import open_store
    from app.services.chat import ChatService, ConversationRow
    from app.ui.app import cjk_family  # the real app imports app.ui.app (session flow, windows)
    from app.ui.chat_panel import ChatPanel
    from app.ui.conversation_list import ConversationListModel, make_conversation_view
    from app.ui.theme import LIGHT, stylesheet

    imported = time.perf_counter()
    qt = QApplication([sys.argv[0]])
    family = cjk_family()
    font = QFont(family) if family else QFont()
    font.setPointSize(10)
    qt.setFont(font)
    qt.setStyleSheet(stylesheet(LIGHT))
    tr = Tr("zh")
    qt_ready = time.perf_counter()

    opened_at = time.perf_counter()
    store = open_store(Path(path))
    chat = ChatService(store, agent_id=agent_id, poke=lambda: None)
    fetched = [0]

    def fetch_rows(ids: list[str]) -> dict[str, ConversationRow]:
        fetched[0] += len(ids)
        return chat.conversation_rows(ids)

    window = QMainWindow()
    window.setWindowTitle(f"{tr('app.title')} · 王晓敏")
    window.resize(1280, 800)
    model = ConversationListModel(chat.conversation_order, fetch_rows, chat.sort_keys)
    view = make_conversation_view(model, LIGHT, tr)
    panel = ChatPanel(LIGHT, tr)
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(view)
    splitter.addWidget(panel)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes([320, 960])
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(splitter, 1)
    window.setCentralWidget(central)
    window.statusBar().addPermanentWidget(QLabel(tr("sync.connecting")))
    window.menuBar().addMenu(tr("app.title"))
    built = time.perf_counter()
    model.reload()
    reloaded = time.perf_counter()
    window.show()
    deadline = time.perf_counter() + 5
    while fetched[0] == 0 and time.perf_counter() < deadline:  # the delegate fetches as it paints
        qt.processEvents()
    painted_by = "event loop"
    if fetched[0] == 0:
        window.grab()
        painted_by = "grab"
    painted = time.perf_counter()
    painted_wall = time.time()
    rss, peak = _rss_mb()
    assert not window.grab().isNull() and fetched[0] > 0

    # After the measured start: what one sync page costs the list at this size.
    rng = random.Random(3)
    rows = model.rowCount()
    reorder, in_place, ids_query = [], [], []
    for k in range(12):
        cid = model.id_at(rng.randrange(rows // 2, rows)) if rows > 1 else model.id_at(0)
        with store.write() as session:  # a new message moves a conversation to the top
            session.execute(text("UPDATE conversation SET last_message_at = :t, "
                                 "last_message_text = :x, version = version + 1 WHERE id = :id"),
                            {"t": _iso(time.time()), "x": f"刚收到的消息 {k}", "id": cid})
        t0 = time.perf_counter()
        model.refresh({cid})
        qt.processEvents()
        reorder.append(time.perf_counter() - t0)
        top = model.id_at(0)
        with store.write() as session:  # only the unread count changes: order stays
            session.execute(text("UPDATE conversation SET unread = unread + 1 WHERE id = :id"),
                            {"id": top})
        t0 = time.perf_counter()
        model.refresh({top})
        qt.processEvents()
        in_place.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        chat.conversation_ids()
        ids_query.append(time.perf_counter() - t0)
    print(json.dumps({
        "imports": imported - started, "qt": qt_ready - imported,
        "open_store": built - opened_at, "reload": reloaded - built,
        "show_paint": painted - reloaded, "from_open": painted - opened_at,
        "in_process": painted - started, "painted_wall": painted_wall, "painted_by": painted_by,
        "rss_mb": rss, "peak_mb": peak, "rows": rows, "fetched": fetched[0],
        "reorder": reorder, "in_place": in_place, "ids_query": ids_query,
    }))
    window.close()
    store.close()
    return 0


def startup(cache: CacheInfo, runs: int) -> list[dict[str, Any]]:
    results = []
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for _ in range(runs):
        spawned = time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "bench.client_bench", "--startup-child", str(cache.path),
             "--agent-id", cache.agent_id],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"start-up child failed:\n{proc.stderr[-3000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["from_start"] = result["painted_wall"] - spawned
        results.append(result)
    return results


# ---- a plausible feed: customers arrive, chat, conversations close -------------------------


@dataclass
class _Chat:
    conv: dict[str, Any]
    topic: int
    last_sender: str | None = None


@dataclass
class Feed:
    """Transactions of one team's feed, each a list of (entity, id, data) as the server writes
    them: a message with its conversation, a new customer with its conversation, a close."""

    rng: random.Random
    texts: Texts
    company_id: str
    team_id: str
    agent_ids: list[str]
    clock: float
    step: float
    chats: list[_Chat] = field(default_factory=list)
    last_message_id: str = ""
    messages: int = 0

    def seed(self, conversations: list[dict[str, Any]]) -> None:
        for conv in conversations:
            self.chats.append(_Chat(dict(conv), self.rng.randrange(len(self.texts.topics))))

    def transactions(self, total: int) -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
        produced = 0
        while produced < total:
            roll = self.rng.random()
            if total - produced <= 2:
                txn = self._message()  # end on a message: the last one marks "all applied"
            elif roll < 0.06 or not self.chats:
                txn = self._new_conversation()
            elif roll < 0.09 and len(self.chats) > 30:
                txn = self._close()
            else:
                txn = self._message()
            produced += len(txn)
            yield txn

    def _tick(self) -> str:
        self.clock += self.rng.uniform(0.5, 1.5) * self.step
        return _iso(self.clock)

    def _new_conversation(self) -> list[tuple[str, str, dict[str, Any]]]:
        at = self._tick()
        customer = _customer_wire(self.rng, self.texts, customer_id=_uuid(self.rng),
                                  company_id=self.company_id, team_id=self.team_id,
                                  created_at=at)
        agent = self.rng.choice(self.agent_ids) if self.rng.random() < 0.8 else None
        conv = _conversation_wire(conversation_id=_uuid(self.rng), team_id=self.team_id,
                                  customer_id=customer["id"], agent_id=agent,
                                  state="open" if agent else "queued", created_at=at)
        self.chats.append(_Chat(conv, self.rng.randrange(len(self.texts.topics))))
        return [("customer", customer["id"], customer), ("conversation", conv["id"], conv)]

    def _close(self) -> list[tuple[str, str, dict[str, Any]]]:
        chat = self.chats.pop(self.rng.randrange(len(self.chats) // 2))  # the older half
        conv = dict(chat.conv, state="closed", closed_at=self._tick(), awaiting_reply_since=None,
                    version=int(chat.conv["version"] or 1) + 1)
        return [("conversation", conv["id"], conv)]

    def _message(self) -> list[tuple[str, str, dict[str, Any]]]:
        if not self.chats:
            self._new_conversation()
        chat = self.chats[-1 - self.rng.randrange(min(len(self.chats), 40))]  # recent chats
        sender = _next_sender(self.rng, chat.last_sender)
        seq = int(chat.conv["message_count"] or 0) + 1
        agent = chat.conv["agent_id"] or self.rng.choice(self.agent_ids)
        message = {"id": _uuid(self.rng), "conversation_id": chat.conv["id"], "seq": seq,
                   "sender": sender, "agent_id": agent if sender == "agent" else None,
                   "text": _line(self.rng, self.texts, chat.topic, sender, seq),
                   "created_at": self._tick(), "version": 1}
        chat.conv = _after_message(chat.conv, message)
        chat.last_sender = sender
        self.last_message_id = message["id"]
        self.messages += 1
        return [("message", message["id"], message), ("conversation", chat.conv["id"],
                                                     chat.conv)]


# ---- 4. apply rate -------------------------------------------------------------------------


def apply_rate(cache: CacheInfo, pages: int, page_size: int = 1000) -> list[float]:
    """Seconds per page of `apply_changes` + commit (one transaction each, as the engine does)
    into the generated cache: messages, conversations and customers as a live feed mixes them."""
    from sqlalchemy import text

    from app.models.store import open_store
    from app.sync.apply import apply_changes
    from kefu_protocol.wire import Change

    store = open_store(cache.path, exclusive=False)
    with store.read() as session:
        open_rows = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in session.execute(
            text("SELECT data FROM conversation WHERE state != 'closed' LIMIT 3000"))]
        agent_ids = [r[0] for r in session.execute(
            text("SELECT id FROM record WHERE entity = 'agent'"))]
    rng = random.Random(11)
    feed = Feed(rng, _texts(), company_id=_uuid(rng), team_id=cache.team_id,
                agent_ids=agent_ids, clock=time.time() - DAY, step=1.0)
    feed.seed(open_rows)
    changes = [Change(entity=entity, op="upsert", id=eid, data=data)
               for txn in feed.transactions(pages * page_size) for entity, eid, data in txn]
    timings = []
    for start in range(0, pages * page_size, page_size):
        page = changes[start:start + page_size]
        t0 = time.perf_counter()
        with store.write() as session:
            apply_changes(session, page, client_id="bench-client")
        timings.append(time.perf_counter() - t0)
    store.close()
    return timings


# ---- 2 + 3. a signed-in desk with the app's list and chat ----------------------------------


def _qt_app() -> Any:
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from app.ui.app import cjk_family
    from app.ui.theme import LIGHT, stylesheet

    existing = QApplication.instance()
    if existing is not None:
        return existing

    def quiet(kind: Any, context: Any, message: str) -> None:
        if "propagateSizeHints" not in message:  # the offscreen platform's harmless note
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(quiet)
    qt = QApplication([sys.argv[0]])
    family = cjk_family()
    font = QFont(family) if family else QFont()
    font.setPointSize(10)
    qt.setFont(font)
    qt.setStyleSheet(stylesheet(LIGHT))
    return qt


def _login(server_url: str, account: str) -> tuple[Any, Any]:
    from app.services.auth import AuthService
    from app.services.credentials import CredentialVault
    from tests.support.client_side import MemoryKeyring
    from tests.support.world import PASSWORD

    auth = AuthService(server_url, ca_bundle=None, vault=CredentialVault(MemoryKeyring()),
                       device_id="bench")
    return auth, auth.login(account, PASSWORD, remember=False)


def _open(auth: Any, signed_in: Any, data_root: Path, workers: Any, *,
          on_changes: Callable[[Any], None], on_status: Callable[[Any], None] = lambda s: None,
          wait: float = 25.0, seed_cache: Path | None = None) -> Any:
    """open_runtime as SessionFlow does; optionally over a copy of a big generated cache."""
    import shutil

    from app.models.store import profile_dir
    from app.services.runtime import open_runtime

    if seed_cache is not None:
        target = profile_dir(data_root, signed_in.server_url, signed_in.account) / "cache.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seed_cache, target)
    return open_runtime(signed_in, auth=auth, data_root=data_root, workers=workers,
                        remember=False, on_status=on_status, on_changes=on_changes,
                        long_poll_wait=wait)


def _make_desk(runtime: Any, workers: Any) -> Any:
    """The MainWindow's list, chat and `apply_changes`, plus hooks to see when a text shows."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMainWindow, QSplitter

    from app.i18n import Tr
    from app.ui.chat_panel import ChatPanel
    from app.ui.conversation_list import ROW_ROLE, ConversationListModel, make_conversation_view
    from app.ui.theme import LIGHT

    class Desk(QMainWindow):
        def __init__(self) -> None:
            super().__init__()
            tr = Tr("zh")
            self.chat = runtime.chat
            self.model = ConversationListModel(self.chat.conversation_order,
                                               self.chat.conversation_rows,
                                               self.chat.sort_keys)
            self.view = make_conversation_view(self.model, LIGHT, tr)
            self.panel = ChatPanel(LIGHT, tr)
            splitter = QSplitter(Qt.Orientation.Horizontal)
            splitter.addWidget(self.view)
            splitter.addWidget(self.panel)
            splitter.setSizes([320, 960])
            self.setCentralWidget(splitter)
            self.resize(1280, 800)
            self.current: str | None = None
            self.waiting: dict[str, tuple[str, asyncio.Future[float]]] = {}
            self.refresh_s: list[float] = []
            self.tasks: set[asyncio.Future[None]] = set()
            self.model.reload()

        def apply_changes(self, applied: Any) -> None:
            """MainWindow.apply_changes, timing the list refresh and resolving waiters."""
            assert threading.current_thread() is threading.main_thread()
            changed = applied.conversations | applied.message_conversations
            if changed or applied.customers:
                t0 = time.perf_counter()
                self.model.refresh(changed)
                self.refresh_s.append(time.perf_counter() - t0)
            for cid, (text, future) in list(self.waiting.items()):
                position = self.model.position_of(cid)
                if position is None:
                    continue
                row = self.model.data(self.model.index(position), ROW_ROLE)
                if row is not None and row.last_message_text == text and not future.done():
                    future.set_result(time.perf_counter())
                    del self.waiting[cid]
            if self.current and (self.current in applied.message_conversations
                                 or applied.acked or applied.rejected):
                self.panel.show_messages(self.chat.messages(self.current))
                if self.current in applied.message_conversations:
                    task = asyncio.ensure_future(self._mark_read(self.current))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)

        async def _mark_read(self, conversation_id: str) -> None:
            await workers.in_db(self.chat.mark_read, conversation_id)
            self.model.refresh({conversation_id})

    return Desk()


async def _until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not reached within {timeout}s")
        await asyncio.sleep(0.02)
    return value


@dataclass
class DeskResult:
    delivery: list[float]
    missed: int
    send_model: list[float]
    send_db: list[float]  # of send_model: awaiting in_db(chat.send) on the DB worker
    send_query: list[float]  # of send_model: chat.messages(cid)
    send_painted: list[float]
    refresh: list[float]
    list_rows: int
    chat_rows: int


def desk_latencies(server_url: str, company: Any, agent: Any, data_root: Path, *,
                   messages: int, sends: int, visitors: int = 20,
                   seed_cache: Path | None = None) -> DeskResult:
    """2: customer POST -> the list model shows the text; 3: send -> the chat model has it."""
    import qasync

    from app.ui.bridge import SyncBridge
    from app.workers import Workers
    from tests.support.api import VisitorClient

    qt = _qt_app()
    loop = qasync.QEventLoop(qt, already_running=False)
    asyncio.set_event_loop(loop)
    workers = Workers()
    bridge = SyncBridge()
    auth, signed_in = _login(server_url, agent.account)
    runtime = _open(auth, signed_in, data_root, workers, on_changes=bridge.report_changes,
                    on_status=bridge.report_status, seed_cache=seed_cache)
    desk = _make_desk(runtime, workers)
    bridge.changes_applied.connect(desk.apply_changes)
    texts = _texts()
    rng = random.Random(5)
    posts = ThreadPoolExecutor(max_workers=1, thread_name_prefix="visitor")

    async def scenario() -> DeskResult:
        await _until(lambda: runtime.engine.status.last_sync_at is not None, 120)
        await workers.in_db(runtime.chat.set_presence, "online")
        desk.show()
        people = [VisitorClient(server_url, _nickname(rng, texts), company=company.domain)
                  for _ in range(visitors)]
        assert all(p.conversation_id for p in people)
        await _until(lambda: all(desk.model.position_of(p.conversation_id) is not None
                                 for p in people))
        await asyncio.sleep(0.5)
        desk.refresh_s.clear()
        delivery: list[float] = []
        missed = 0
        for i in range(messages):
            person = people[i % len(people)]
            questions, follow_ups = texts.topics[i % len(texts.topics)]
            text = f"{rng.choice(questions + follow_ups)}（{i}）"
            future: asyncio.Future[float] = loop.create_future()
            desk.waiting[person.conversation_id] = (text, future)
            started: list[float] = []

            def post(p: Any = person, t: str = text, s: list[float] = started) -> int:
                s.append(time.perf_counter())
                return int(p.send(t).status_code)

            assert await loop.run_in_executor(posts, post) == 200
            try:
                seen = await asyncio.wait_for(future, 10)
            except TimeoutError:
                missed += 1
                desk.waiting.pop(person.conversation_id, None)
                continue
            delivery.append(seen - started[0])
            await asyncio.sleep(0.02)
        refresh = list(desk.refresh_s)

        cid = people[0].conversation_id
        desk.current = cid
        desk.panel.show_conversation("顾客", desk.chat.messages(cid))
        send_model: list[float] = []
        send_db: list[float] = []
        send_query: list[float] = []
        send_painted: list[float] = []
        for i in range(sends):
            text = f"{rng.choice(AGENT_REPLIES)}（{i}）"
            t0 = time.perf_counter()
            await workers.in_db(desk.chat.send, cid, text)  # as MainWindow._send
            send_db.append(time.perf_counter() - t0)
            desk.panel.clear_composer()
            t_query = time.perf_counter()
            loaded = desk.chat.messages(cid)
            send_query.append(time.perf_counter() - t_query)
            desk.panel.show_messages(loaded)
            desk.panel.view.scrollToBottom()
            t1 = time.perf_counter()
            last = desk.panel.model.row_at(desk.panel.model.rowCount() - 1)
            assert last is not None and last.text == text, (last, text)
            desk.panel.view.viewport().repaint()
            send_model.append(t1 - t0)
            send_painted.append(time.perf_counter() - t0)
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        return DeskResult(delivery, missed, send_model, send_db, send_query, send_painted,
                          refresh, desk.model.rowCount(), desk.panel.model.rowCount())

    try:
        result = loop.run_until_complete(asyncio.wait_for(scenario(), 900))
    finally:
        runtime.engine.stop(timeout=0.5)  # the pull thread may sit in a long-poll: let it be
        runtime.store.close()
        desk.close()
        posts.shutdown(wait=True)
        workers.shutdown()
        asyncio.set_event_loop(None)
        loop.close()
    return result


# ---- 5. catch-up after a week offline ------------------------------------------------------


def catch_up(server_url: str, world: Any, company: Any, agent: Any, data_root: Path,
             backlog: int) -> tuple[float, int, int]:
    """A desk syncs, goes offline, the team's week piles up in change_log, the desk starts again:
    seconds from open_runtime to the last backlog row applied; (seconds, changes, messages)."""
    from sqlalchemy import insert, select

    from app.workers import Workers
    from server import models as m
    from server.changes import team_scope, to_wire

    workers = Workers()
    auth, signed_in = _login(server_url, agent.account)
    first = _open(auth, signed_in, data_root, workers, on_changes=lambda a: None)
    deadline = time.monotonic() + 120
    while first.engine.status.last_sync_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    first.engine.stop(timeout=0.5)
    first.store.close()
    cache_path = first.store.path

    with world.db.read() as session:
        convs = [to_wire(c) for c in session.scalars(
            select(m.Conversation).where(m.Conversation.team_id == company.team_id))]
        agent_ids = list(session.scalars(
            select(m.Agent.id).where(m.Agent.team_id == company.team_id)))
    rng = random.Random(13)
    feed = Feed(rng, _texts(), company_id=company.id, team_id=company.team_id,
                agent_ids=agent_ids, clock=time.time() - 7 * DAY, step=7 * DAY / (backlog / 2))
    feed.seed([c for c in convs if c["state"] != "closed"])
    scope = team_scope(company.team_id)
    rows: list[dict[str, Any]] = []
    for txn in feed.transactions(backlog):
        xid = rng.getrandbits(62)  # as ChangeWriter on SQLite: one group id per transaction
        rows.extend({"xid": xid, "scope": scope, "entity": entity, "entity_id": eid,
                     "op": "upsert", "data": data, "created_at": m.utcnow()}
                    for entity, eid, data in txn)
    for start in range(0, len(rows), 5000):
        with world.db.write() as session:
            session.execute(insert(m.ChangeLog), rows[start:start + 5000])
    sentinel = feed.last_message_id

    check = sqlite3.connect(cache_path, check_same_thread=False)
    done = threading.Event()
    finished: list[float] = []

    def on_changes(_applied: Any) -> None:
        if not done.is_set() and check.execute("SELECT 1 FROM message WHERE id = ?",
                                               (sentinel,)).fetchone():
            finished.append(time.perf_counter())
            done.set()

    auth, signed_in = _login(server_url, agent.account)  # the login is not part of catch-up
    started = time.perf_counter()
    second = _open(auth, signed_in, data_root, workers, on_changes=on_changes)
    ok = done.wait(300)
    second.engine.stop(timeout=0.5)
    applied = check.execute("SELECT COUNT(*) FROM message").fetchone()[0]
    check.close()
    second.store.close()
    workers.shutdown()
    if not ok:
        raise RuntimeError("catch-up did not finish within 300 s")
    assert applied >= feed.messages, (applied, feed.messages)
    return finished[0] - started, len(rows), feed.messages


# ---- the run -------------------------------------------------------------------------------


def _ms(values: list[float]) -> tuple[str, str]:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):.1f} ms", f"{_percentile(ms, 0.99):.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=None)
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--quick", action="store_true",
                        help="20k conversations, 200k messages, 10k backlog, 200 deliveries")
    parser.add_argument("--open-share", type=float, default=0.3,
                        help="share of cached conversations not closed (listed)")
    parser.add_argument("--runs", type=int, default=3, help="start-up runs (median)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (cache, dbs)")
    parser.add_argument("--startup-child", help=argparse.SUPPRESS)
    parser.add_argument("--agent-id", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.startup_child:
        return _startup_child(args.startup_child, args.agent_id)

    quick = args.quick
    conversations = args.conversations or (20_000 if quick else 100_000)
    messages = args.messages or (200_000 if quick else 1_000_000)
    backlog = 10_000 if quick else 100_000
    deliveries = 200 if quick else 300
    sends = 200
    apply_pages = 20 if quick else 100

    from tests.support.api import VisitorClient
    from tests.support.server_proc import ServerProcess
    from tests.support.world import World

    directory = Path(tempfile.mkdtemp(prefix="kefu-client-bench-"))
    rows: list[Row] = []
    t_all = time.perf_counter()

    def note(message: str) -> None:
        print(f"[{time.perf_counter() - t_all:6.1f}s] {message}", file=sys.stderr, flush=True)

    cache = generate_cache(directory / "cache" / "cache.db", conversations=conversations,
                           messages=messages, open_share=args.open_share)
    note(f"cache: {cache.conversations:,} conversations ({cache.listed:,} listed), "
         f"{cache.messages:,} messages, {cache.customers:,} customers, {cache.size_mb:.0f} MB, "
         f"generated in {cache.seconds:.1f} s")

    runs = startup(cache, args.runs)
    note("start-up runs: " + ", ".join(f"{r['from_start']:.2f}s" for r in runs))
    med = {k: statistics.median(r[k] for r in runs)
           for k in ("from_start", "from_open", "imports", "qt", "open_store", "reload",
                     "show_paint", "rss_mb", "peak_mb")}
    size = f"{cache.conversations // 1000}k conv/{cache.messages // 1000}k msg"
    rows += [
        Row(f"start -> window painted, from process start ({size}, {len(runs)} runs)",
            "<= 0.8 s", f"{med['from_start']:.2f} s",
            f"max {max(r['from_start'] for r in runs):.2f} s"),
        Row("  of which: imports / QApplication / open_store+widgets / list reload / "
            "show+paint", "", f"{med['imports']:.2f} / {med['qt']:.2f} / "
            f"{med['open_store']:.2f} / {med['reload']:.2f} / {med['show_paint']:.2f} s"),
        Row(f"start -> window painted, from just before open_store ({runs[0]['rows']:,} rows "
            "listed)", "<= 0.8 s", f"{med['from_open']:.2f} s",
            f"max {max(r['from_open'] for r in runs):.2f} s"),
        Row("RSS after first paint (VmRSS; peak VmHWM in p99 column)", "<= 250 MB",
            f"{med['rss_mb']:.0f} MB", f"peak {med['peak_mb']:.0f} MB"),
    ]
    reorder = [x for r in runs for x in r["reorder"]]
    in_place = [x for r in runs for x in r["in_place"]]
    ids_query = [x for r in runs for x in r["ids_query"]]
    rows += [
        Row(f"list refresh, 1 conversation moves to top ({runs[0]['rows']:,} rows)",
            "(part of 50 ms)", *_ms(reorder)),
        Row(f"list refresh, 1 row changes in place ({runs[0]['rows']:,} rows)",
            "(part of 50 ms)", *_ms(in_place)),
        Row("  of which ChatService.conversation_ids() query", "", *_ms(ids_query)),
    ]

    pages = apply_rate(cache, apply_pages)
    p50, p99 = _ms(pages)
    rows.append(Row(f"apply_changes + commit, {apply_pages} pages of 1000 mixed changes into "
                    f"the {size} cache", ">= 50k/s",
                    f"{len(pages) * 1000 / sum(pages):,.0f}/s overall",
                    f"page p50 {p50}, p99 {p99}"))
    note("apply rate done")

    server = ServerProcess(f"sqlite:///{directory / 'server.db'}", demo=False).start()
    world = World(server.database_url)
    try:
        company = world.company(max_load=50)
        agent = world.agent(company, name="王晓敏")
        desk = desk_latencies(server.url, company, agent, directory / "desk",
                              messages=deliveries, sends=sends)
        note(f"desk done ({desk.missed} missed)")
        d50, d99 = _ms(desk.delivery)
        rows += [
            Row(f"customer POST -> agent list model shows it ({len(desk.delivery)} msgs, "
                f"{desk.list_rows} rows, {desk.missed} missed)", "p99 <= 50 ms", d50, d99),
            Row("  of which list refresh in the Qt thread", "", *_ms(desk.refresh)),
            Row(f"send -> row in chat MessageListModel ({sends} sends)", "<= 16 ms",
                *_ms(desk.send_model)),
            Row("  of which awaiting in_db(chat.send)", "", *_ms(desk.send_db)),
            Row("  of which chat.messages(cid) (conversation grows to "
                f"{desk.chat_rows} rows)", "", *_ms(desk.send_query)),
            Row("send -> chat viewport repainted", "", *_ms(desk.send_painted)),
        ]
        big_company = world.company(max_load=50)
        big_agent = world.agent(big_company, name="李佳怡")
        big = desk_latencies(server.url, big_company, big_agent, directory / "desk-big",
                             messages=min(deliveries, 100), sends=50, seed_cache=cache.path)
        note(f"desk over the big cache done ({big.missed} missed)")
        rows += [
            Row(f"customer POST -> list model, desk over the {size} cache "
                f"({len(big.delivery)} msgs, {big.list_rows:,} rows)", "p99 <= 50 ms",
                *_ms(big.delivery)),
            Row("  of which list refresh in the Qt thread", "", *_ms(big.refresh)),
            Row(f"send -> row in chat model, same desk ({len(big.send_model)} sends)",
                "<= 16 ms", *_ms(big.send_model)),
            Row("  of which awaiting in_db(chat.send)", "", *_ms(big.send_db)),
        ]
        catch_company = world.company(max_load=50)
        catch_agent = world.agent(catch_company, name="张浩然")
        for _ in range(5):  # some live conversations in the team before the desk goes offline
            VisitorClient(server.url, "老顾客", company=catch_company.domain).send("在吗？")
        seconds, changes, msgs = catch_up(server.url, world, catch_company, catch_agent,
                                          directory / "catchup", backlog)
        note("catch-up done")
        rows.append(Row(f"catch-up: {changes:,} change backlog ({msgs:,} messages) pulled "
                        "and applied", "<= 5 s", f"{seconds:.2f} s",
                        f"{changes / seconds:,.0f} changes/s"))
    finally:
        world.close()
        server.stop()

    width = max(len(r.metric) for r in rows)
    goal_w = max(len(r.goal) for r in rows)
    med_w = max(len(r.median) for r in rows)
    print(f"{'metric':<{width}}  {'goal':<{goal_w}}  {'median':<{med_w}}  p99")
    for r in rows:
        print(f"{r.metric:<{width}}  {r.goal:<{goal_w}}  {r.median:<{med_w}}  {r.p99}")
    if args.keep:
        print(f"(temp files kept in {directory})")
    else:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
    print(f"(total {time.perf_counter() - t_all:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

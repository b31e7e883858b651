"""Personal settings, alerts and logs at 50k conversations: the real main window (offscreen)
over a generated cache, no server.

    .venv/bin/python -m bench.personal_bench [--conversations 50000] [--runs 15]

Measures, each as the median and p95 of its runs:

1. settings applied live with the window shown: `Preferences.set` of the theme (light → dark,
   dark → light), `ui_font_pt` +1 and `chat_font_pt` +1, from `set()` until
   `QApplication.processEvents()` returns (restyle, relayout and repaint);
2. one shortcut override (`shortcuts`), until processed (`apply_keymap` over every action);
3. `AlertWatcher`: `prime()`, `after_page` for a page of 50 of my conversations with a new
   customer message each (the page applied first on the DB thread, untimed), `tick(now)`,
   `unread_total()`;
4. one `log.info` line with a phone number through the handler of `app.logs.setup_logging`,
   with the redaction filter and (the same handler, the filter taken off) without it;
5. `app.logs.read_records` with a text filter over a full rotated set (kefudesk.log + 5 × 2 MB);
6. `export_diagnostics` over that set (time and zip size).

The cache is `bench.client_bench.generate_cache` as `bench.workstation_bench` makes it (every
conversation open). Everything is written under one mkdtemp dir, removed at the end. Prints one
table (metric, median, p95, note) on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.client_bench import _after_message, _iso, _qt_app, generate_cache
from bench.workstation_bench import _p

PAGE_CONVERSATIONS = 50
LOG_LINES = 10_000
LOG_BLOCK = 1_000
SERVER_URL = "https://kefu.example"
NEEDLE = "timeout"


@dataclass
class Line:
    metric: str
    median: str
    p95: str
    note: str = ""


def _ms(values: list[float]) -> tuple[str, str]:
    """As bench.workstation_bench._ms, without the "p95" word (this table has a column)."""
    return (f"{statistics.median(values) * 1000:.1f} ms", f"{_p(values, 0.95) * 1000:.1f} ms")


def _us(values: list[float]) -> tuple[str, str]:
    return (f"{statistics.median(values) * 1e6:.1f} µs", f"{_p(values, 0.95) * 1e6:.1f} µs")


def _note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


# ---- 1 + 2. settings applied live in the real main window ----------------------------------


class PaintCounter:
    """Counts paint events on the widgets it watches (to show a run did repaint)."""

    def __init__(self, widgets: list[Any]) -> None:
        from PySide6.QtCore import QEvent, QObject

        counter = self

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    counter.count += 1
                return False

        self.count = 0
        self._filter = Filter()
        for widget in widgets:
            widget.installEventFilter(self._filter)


@dataclass
class Desk:
    """The signed-in window over the generated cache, as SessionFlow assembles it."""

    qt: Any
    loop: Any
    workers: Any
    store: Any
    config: Any
    prefs: Any
    appearance: Any
    runtime: Any
    window: Any


def open_desk(directory: Path, cache_path: Path, agent_id: str, team_id: str) -> Desk:
    """A Runtime whose sync engine never starts (no server), Preferences with the agent's
    roaming profile attached, the app's Appearance, and the MainWindow built with both."""
    import qasync

    from app.config import Config
    from app.i18n import Tr
    from app.models.store import open_store
    from app.policy import Policy
    from app.services.auth import SignedIn
    from app.services.chat import ChatService
    from app.services.preferences import Preferences, RoamingProfile
    from app.services.runtime import Runtime
    from app.sync import outbox
    from app.sync.auth import TokenKeeper
    from app.sync.client import ApiClient
    from app.sync.engine import SyncEngine
    from app.ui.app import cjk_family
    from app.ui.appearance import Appearance
    from app.ui.main_window import MainWindow
    from app.workers import Workers
    from kefu_protocol.wire import AgentInfo

    qt = _qt_app()
    loop = qasync.QEventLoop(qt, already_running=False)
    asyncio.set_event_loop(loop)
    workers = Workers()
    store = open_store(cache_path)
    with store.write() as session:  # bootstrapped: pages alert from now on
        outbox.set_state(session, "cursor", "sq:bench:0:1")
    config = Config(directory / "settings.json", Policy(directory / "deploy.toml"))
    prefs = Preferences(config)
    appearance = Appearance(qt, prefs, cjk_family())
    agent = AgentInfo(id=agent_id, account="20240000@shop.example", name="王晓敏",
                      role="agent", team_id=team_id)
    signed_in = SignedIn(SERVER_URL, agent.account, agent, "bench-access", "bench-refresh",
                         False)
    keeper = TokenKeeper(ApiClient(SERVER_URL), access_token=signed_in.access_token,
                         refresh_token=signed_in.refresh_token)
    engine = SyncEngine(store=store, run_db=workers.run_db, auth=keeper,
                        make_client=lambda: ApiClient(SERVER_URL),
                        on_status=lambda _status: None, on_changes=lambda _applied: None,
                        submit_db=workers.submit_db)
    chat = ChatService(store, agent_id=agent_id, poke=engine.poke)
    runtime = Runtime(signed_in, store, engine, chat, keeper)
    prefs.attach(RoamingProfile(store, agent_id, workers.submit_db, engine.poke))
    for key, value in (("theme", "light"), ("ui_font_pt", 10), ("chat_font_pt", 11)):
        prefs.set(key, value)
    window = MainWindow(runtime, workers, appearance.palette, Tr("zh"), config, prefs=prefs,
                        appearance=appearance)
    window.show()
    qt.processEvents()
    return Desk(qt, loop, workers, store, config, prefs, appearance, runtime, window)


def open_busiest_conversation(desk: Desk) -> int:
    """Opens my conversation with the most messages (a read mark goes to the DB thread)."""
    with sqlite3.connect(desk.store.path) as conn:
        cid, count = conn.execute(
            "SELECT c.id, count(*) AS n FROM conversation c JOIN message m "
            "ON m.conversation_id = c.id WHERE c.agent_id = ? AND c.state = 'open' "
            "GROUP BY c.id ORDER BY n DESC LIMIT 1",
            (desk.runtime.signed_in.agent.id,)).fetchone()
    desk.window.open_conversation(cid)
    desk.loop.run_until_complete(asyncio.sleep(0.3))  # the read mark and its refresh
    desk.qt.processEvents()
    return int(count)


def settings_live(desk: Desk, runs: int) -> list[Line]:
    qt, prefs, window = desk.qt, desk.prefs, desk.window
    paints = PaintCounter([window.list_view.viewport(), window.chat_panel.view.viewport()])

    def timed(change: Callable[[], None], undo: Callable[[], None] | None = None
              ) -> tuple[list[float], int]:
        took, painted = [], 0
        for _ in range(runs):
            before = paints.count
            started = time.perf_counter()
            change()
            qt.processEvents()
            took.append(time.perf_counter() - started)
            painted += paints.count > before
            if undo is not None:
                undo()
                qt.processEvents()
        return took, painted

    lines = []
    dark: list[float] = []
    light: list[float] = []
    painted = 0
    for _ in range(runs):
        for theme, into in (("dark", dark), ("light", light)):
            before = paints.count
            started = time.perf_counter()
            prefs.set("theme", theme)
            qt.processEvents()
            into.append(time.perf_counter() - started)
            painted += paints.count > before
    assert desk.appearance.palette.name == "light"
    note = f"list+chat repainted in {painted}/{2 * runs}"
    lines.append(Line("theme light -> dark: set() .. processEvents()", *_ms(dark), note))
    lines.append(Line("theme dark -> light: set() .. processEvents()", *_ms(light), note))
    for key in ("ui_font_pt", "chat_font_pt"):
        base = int(prefs.get(key))
        took, painted = timed(lambda k=key, b=base: prefs.set(k, b + 1),
                              lambda k=key, b=base: prefs.set(k, b))
        lines.append(Line(f"{key} {base} -> {base + 1}: set() .. processEvents()", *_ms(took),
                          f"repainted in {painted}/{runs}; back to {base} untimed"))
    keys = iter(["Ctrl+Shift+X", "Ctrl+Alt+T"] * runs)
    actions = len(window.commands)
    took, _ = timed(lambda: prefs.set("shortcuts", {"conversation.transfer": [next(keys)]}))
    shown = window.commands["conversation.transfer"].shortcut().toString()
    assert shown in ("Ctrl+Shift+X", "Ctrl+Alt+T"), shown
    lines.append(Line("shortcut override (conversation.transfer) applied", *_ms(took),
                      f"apply_keymap over {actions} actions"))
    prefs.set("shortcuts", {})
    qt.processEvents()
    return lines


# ---- 3. alerts ----------------------------------------------------------------------------


def _my_open_conversations(path: Path, agent_id: str, count: int) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT data FROM conversation WHERE agent_id = ? AND state = 'open' "
                            "ORDER BY id LIMIT ?", (agent_id, count)).fetchall()
    return [json.loads(row[0]) for row in rows]


def alerts(desk: Desk, runs: int) -> list[Line]:
    from app.services.alerts import AlertWatcher
    from app.sync.apply import Applied, apply_changes
    from kefu_protocol.wire import Change

    agent = desk.runtime.signed_in.agent
    watcher = AlertWatcher(desk.store, agent_id=agent.id, team_id=agent.team_id)
    mine = len(watcher._mine)
    prime_runs = max(3, runs // 3)
    primed = []
    for _ in range(prime_runs):
        started = time.perf_counter()
        watcher.prime()
        primed.append(time.perf_counter() - started)
    lines = [Line(f"AlertWatcher.prime() ({mine:,} of my open conversations)", *_ms(primed),
                  f"{prime_runs} runs")]

    convs = _my_open_conversations(desk.store.path, agent.id, PAGE_CONVERSATIONS * runs)
    rng = random.Random(5)
    took: list[float] = []
    applied_ms: list[float] = []
    counts: list[int] = []
    for run in range(runs):
        changes = []
        for index, conv in enumerate(convs[run * PAGE_CONVERSATIONS:
                                           (run + 1) * PAGE_CONVERSATIONS]):
            seq = int(conv.get("message_count") or 0) + 1
            message = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       "conversation_id": conv["id"], "seq": seq, "sender": "customer",
                       "agent_id": None, "text": f"在吗？我的订单{index}怎么还没发货",
                       "created_at": _iso(time.time()), "version": 1}
            conv.update(_after_message(conv, message))
            changes += [Change(entity="message", op="upsert", id=message["id"], data=message),
                        Change(entity="conversation", op="upsert", id=conv["id"], data=conv)]

        def write(page: list[Change] = changes) -> Applied:
            with desk.store.write() as session:
                return apply_changes(session, page, client_id="bench-client")

        started = time.perf_counter()
        applied = desk.workers.run_db(write)
        applied_ms.append(time.perf_counter() - started)
        started = time.perf_counter()
        found = watcher.after_page(applied)
        took.append(time.perf_counter() - started)
        counts.append(len(found))
    lines.append(Line(f"AlertWatcher.after_page ({PAGE_CONVERSATIONS} conversations, "
                      "1 customer message each)", *_ms(took),
                      f"alerts/page {min(counts)}..{max(counts)}; apply itself "
                      f"{statistics.median(applied_ms) * 1000:.1f} ms (untimed)"))

    ticks, totals = [], []
    waiting = sum(1 for m in watcher._mine.values() if m.awaiting is not None)
    for _ in range(runs):
        started = time.perf_counter()
        watcher.tick(dt.datetime.now(dt.UTC))
        ticks.append(time.perf_counter() - started)
        started = time.perf_counter()
        unread = watcher.unread_total()
        totals.append(time.perf_counter() - started)
    lines.append(Line("AlertWatcher.tick(now)", *_ms(ticks),
                      f"{len(watcher._mine):,} kept, {waiting:,} waiting"))
    lines.append(Line("AlertWatcher.unread_total()", *_ms(totals), f"= {unread:,}"))
    return lines


# ---- 4 - 6. logs ---------------------------------------------------------------------------


_NICKNAMES = ("小鱼儿", "快乐的猫", "用户138****1234", "晴天", "阿杰", "木子李")


def log_lines(directory: Path) -> list[Line]:
    """µs per `log.info` line; redaction on and off alternate in blocks on one handler."""
    from app.logs import Redactor, setup_logging

    handler = setup_logging(directory, "INFO")
    redactor = next(f for f in handler.filters if isinstance(f, Redactor))
    log = logging.getLogger("app.services.customers")
    with_filter: list[float] = []
    without: list[float] = []
    clock = time.perf_counter
    for warm in range(500):
        log.info("customer %s phone %s", _NICKNAMES[warm % 6], "13812345678")
    for block in range(2 * LOG_LINES // LOG_BLOCK):
        redacting = block % 2 == 0
        if redacting:
            handler.addFilter(redactor)
            into = with_filter
        else:
            handler.removeFilter(redactor)
            into = without
        for n in range(LOG_BLOCK):
            name = _NICKNAMES[n % 6]
            started = clock()
            log.info("customer %s phone %s", name, "13812345678")
            into.append(clock() - started)
    handler.addFilter(redactor)
    _close_log(handler)
    text = "".join(p.read_text(encoding="utf-8") for p in directory.iterdir())
    assert "[REDACTED:phone]" in text
    ratio = statistics.median(with_filter) / statistics.median(without)
    return [
        Line(f"log.info line, redacted ({LOG_LINES:,} lines)", *_us(with_filter),
             "setup_logging handler: Redactor + JSON + rotating file"),
        Line(f"log.info line, Redactor off ({LOG_LINES:,} lines)", *_us(without),
             f"same handler; redaction costs x{ratio:.2f}"),
    ]


def _close_log(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    handler.close()


def fill_logs(directory: Path) -> tuple[int, int]:
    """kefudesk.log plus 5 full rotated files of 2 MB through the real handler, lines as the
    app writes them; returns (lines, bytes)."""
    from app.logs import BACKUPS, LOG_NAME, setup_logging

    handler = setup_logging(directory, "INFO")
    rng = random.Random(3)
    sync = logging.getLogger("app.sync.engine")
    customers = logging.getLogger("app.services.customers")
    ui = logging.getLogger("app.ui.main_window")
    written = 0
    last = directory / f"{LOG_NAME}.{BACKUPS}"
    while not last.exists() or (directory / LOG_NAME).stat().st_size < 1_000_000:
        roll = rng.random()
        if roll < 0.4:
            sync.info("pull page applied: %d changes, %d conversations in %.1f ms",
                      rng.randint(1, 1000), rng.randint(1, 200), rng.uniform(1, 80))
        elif roll < 0.6:
            customers.info("customer %s phone %s revealed for conversation %s",
                           rng.choice(_NICKNAMES), f"1{rng.randint(3_000_000_000, 9_999_999_999)}",
                           uuid.UUID(int=rng.getrandbits(128), version=4))
        elif roll < 0.65:
            sync.warning("long-poll %s after %d s, retrying with token=%s", NEEDLE,
                         rng.randint(25, 35), uuid.uuid4().hex * 2)
        elif roll < 0.66:
            try:
                raise ConnectionError("connection reset by peer")
            except ConnectionError:
                sync.exception("push failed for intent %d", rng.randint(1, 10**6))
        else:
            ui.info("opened conversation %s (%d messages), address 浙江省杭州市西湖区文三路%d号",
                    uuid.UUID(int=rng.getrandbits(128), version=4), rng.randint(1, 400),
                    rng.randint(1, 999))
        written += 1
    _close_log(handler)
    return written, sum(p.stat().st_size for p in directory.iterdir())


def read_and_export(log_dir: Path, out: Path, desk: Desk, runs: int) -> list[Line]:
    from PySide6.QtCore import QBuffer, QIODevice

    from app.logs import read_records
    from app.services.diagnostics import export_diagnostics
    from app.version import app_version

    lines, size = fill_logs(log_dir)
    files = len(list(log_dir.iterdir()))
    _note(f"log set: {files} files, {size / 2**20:.1f} MiB, {lines:,} lines")
    read_runs = max(3, runs // 3)
    took, found = [], 0
    for _ in range(read_runs):
        started = time.perf_counter()
        found = len(read_records(log_dir, text=NEEDLE))
        took.append(time.perf_counter() - started)
    rows = [Line(f"read_records(text={NEEDLE!r}) over {files} files, {size / 2**20:.1f} MiB",
                 *_ms(took), f"{found:,} of {lines:,} lines; {read_runs} runs")]

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    desk.window.grab().save(buffer, "PNG")
    screenshot = bytes(buffer.data().data())
    export_runs = max(3, runs // 5)
    took, zipped = [], 0
    for n in range(export_runs):
        target = out / f"diagnostics-{n}.zip"
        started = time.perf_counter()
        export_diagnostics(target, log_dir=log_dir, config=desk.config,
                           runtime_or_none=desk.runtime,
                           versions={"app": app_version(), "qt": "bench"},
                           screenshot_png=screenshot)
        took.append(time.perf_counter() - started)
        zipped = target.stat().st_size
        target.unlink()
    rows.append(Line("export_diagnostics (that log set + screenshot)", *_ms(took),
                     f"zip {zipped / 2**20:.2f} MiB (screenshot {len(screenshot) / 1024:.0f} "
                     f"KiB); {export_runs} runs"))
    return rows


# ---- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)

    directory = Path(tempfile.mkdtemp(prefix="kefu-personal-bench-"))
    desk: Desk | None = None
    rows: list[Line] = []
    try:
        path = directory / "profile" / "cache.db"
        path.parent.mkdir()
        cache = generate_cache(path, conversations=args.conversations,
                               messages=args.conversations * 2, open_share=1.0)
        _note(f"cache: {cache.listed:,} open conversations, {cache.messages:,} messages, "
              f"{path.stat().st_size / 2**20:.0f} MiB in {cache.seconds:.1f} s")
        started = time.perf_counter()
        desk = open_desk(directory, path, cache.agent_id, cache.team_id)
        opened = open_busiest_conversation(desk)
        _note(f"main window shown in {time.perf_counter() - started:.1f} s, "
              f"{desk.window.list_model.rowCount():,} rows, a chat of {opened} messages open")
        rows += settings_live(desk, args.runs)
        _note("settings done")
        rows += alerts(desk, args.runs)
        _note("alerts done")
        (directory / "log-lines").mkdir()
        rows += log_lines(directory / "log-lines")
        _note("log lines done")
        (directory / "log-set").mkdir()
        (directory / "out").mkdir()
        rows += read_and_export(directory / "log-set", directory / "out", desk, args.runs)
    finally:
        if desk is not None:
            desk.window.close()
            desk.loop.run_until_complete(asyncio.sleep(0.2))  # a draft save, a read mark
            desk.workers.shutdown()
            desk.store.close()
            desk.loop.close()
            asyncio.set_event_loop(None)
        shutil.rmtree(directory, ignore_errors=True)

    width = max(len(r.metric) for r in rows)
    mid = max(len("median"), *(len(r.median) for r in rows))
    high = max(len("p95"), *(len(r.p95) for r in rows))
    print(f"{'metric':<{width}}  {'median':>{mid}}  {'p95':>{high}}  note")
    for r in rows:
        print(f"{r.metric:<{width}}  {r.median:>{mid}}  {r.p95:>{high}}  {r.note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

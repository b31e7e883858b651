"""Qt and threads: bulk signal emits survive, and the UI loop keeps ticking during slow HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise

import pytest
import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.services.auth import AuthService, LoginFailure
from app.services.credentials import CredentialVault
from app.sync.client import ServerError
from app.workers import Workers
from tests.support.client_side import MemoryKeyring

# ---- a: bulk emits (PySide6 6.12.0 on CPython 3.11 aborts in bool_dealloc after ~1,000) -----

EMIT_SCRIPT = r'''
import sys
import threading
import time

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication

DIRECT, QUEUED, THREADED = (int(a) for a in sys.argv[1:4])
app = QApplication([])
MAIN = threading.get_ident()


class Source(QObject):
    flag = Signal(bool)
    item = Signal(object)


class Sink(QObject):
    def __init__(self):
        super().__init__()
        self.flags = self.trues = self.items = 0
        self.threads = set()

    @Slot(bool)
    def on_flag(self, value):
        self.flags += 1
        self.trues += value is True
        self.threads.add(threading.get_ident())

    @Slot(object)
    def on_item(self, value):
        self.items += 1


def pair(kind):
    source, sink = Source(), Sink()
    source.flag.connect(sink.on_flag, kind)
    source.item.connect(sink.on_item, kind)
    return source, sink


def emit(source, n):
    for i in range(n):
        source.flag.emit(i % 2 == 0)
        source.item.emit(("row", i))


def drain(sink, n, worker=None):
    deadline = time.monotonic() + 60
    while (sink.flags < n or sink.items < n or (worker and worker.is_alive())) \
            and time.monotonic() < deadline:
        app.processEvents()
    assert (sink.flags, sink.items, sink.trues) == (n, n, (n + 1) // 2), vars(sink)
    assert sink.threads <= {MAIN}, "slots must run on the receiver's (main) thread"


start = time.monotonic()
source, sink = pair(Qt.ConnectionType.DirectConnection)
emit(source, DIRECT)
drain(sink, DIRECT)
print(f"direct: {sink.flags} bool + {sink.items} object emits in "
      f"{time.monotonic() - start:.2f}s", flush=True)

start = time.monotonic()
source, sink = pair(Qt.ConnectionType.QueuedConnection)
emit(source, QUEUED)
drain(sink, QUEUED)
print(f"queued through the event loop: {sink.flags} + {sink.items} in "
      f"{time.monotonic() - start:.2f}s", flush=True)

start = time.monotonic()
source, sink = pair(Qt.ConnectionType.AutoConnection)  # emitted off-thread: queued to MAIN
worker = threading.Thread(target=emit, args=(source, THREADED))
worker.start()
drain(sink, THREADED, worker)
worker.join()
print(f"from a worker thread: {sink.flags} + {sink.items} received in "
      f"{time.monotonic() - start:.2f}s", flush=True)
print("EMITS OK")
'''


def run_emits(direct: int, queued: int, threaded: int,
              python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    """In a child interpreter, so a fatal abort is a return code here, not a dead test run."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([python, "-c", EMIT_SCRIPT, str(direct), str(queued), str(threaded)],
                          capture_output=True, text=True, timeout=180, env=env)


@pytest.mark.parametrize(
    ("direct", "queued", "threaded"),
    [(100_000, 100_000, 0), (0, 0, 20_000)],
    ids=["100k-direct-and-queued", "20k-from-a-worker-thread"],
)
def test_bulk_signal_emits_do_not_abort_the_interpreter(
    direct: int, queued: int, threaded: int
) -> None:
    result = run_emits(direct, queued, threaded)
    print(result.stdout)
    assert result.returncode == 0 and "EMITS OK" in result.stdout, (
        f"exit code {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


# ---- b: the UI keeps ticking while the server takes seconds to answer ----------------------

ACCOUNT = "20240001@demo.kefu"


class _SlowHandler(BaseHTTPRequestHandler):
    """Answers every POST after `server.delay` seconds with a JSON 500."""

    server: _SlowServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append(self.path)
        time.sleep(self.server.delay)
        body = json.dumps({"code": "internal_error", "message": "slow and broken"}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _SlowServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _SlowHandler)
        self.delay = delay
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture()
def slow_server() -> Iterator[Callable[[float], _SlowServer]]:
    started: list[_SlowServer] = []

    def start(delay: float) -> _SlowServer:
        server = _SlowServer(delay)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture()
def workers() -> Iterator[Workers]:
    w = Workers()
    yield w
    w.shutdown()


class Ticker:
    """A 10 ms QTimer on the GUI thread; the gaps between its ticks show any freeze."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.times.append(time.monotonic()))

    def largest_gap(self, start: float, end: float) -> float:
        points = [start, *(t for t in self.times if start < t < end), end]
        return max(b - a for a, b in pairwise(points))


async def _timed(ticker: Ticker, call: Callable[[], Awaitable[object]]
                 ) -> tuple[float, float, LoginFailure | None]:
    """Runs `call` while ticking; returns (start, end, the LoginFailure it raised)."""
    ticker.timer.start()
    await asyncio.sleep(0.1)  # the timer is running before the call starts
    failure: LoginFailure | None = None
    start = time.monotonic()
    try:
        await call()
    except LoginFailure as exc:
        failure = exc
    end = time.monotonic()
    await asyncio.sleep(0.05)
    ticker.timer.stop()
    return start, end, failure


def _auth(url: str) -> AuthService:
    return AuthService(url, ca_bundle=None, vault=CredentialVault(MemoryKeyring()),
                       device_id="threads-test")


def test_the_ui_keeps_ticking_while_the_server_takes_seconds(
    qloop: qasync.QEventLoop, workers: Workers, slow_server: Callable[[float], _SlowServer]
) -> None:
    server = slow_server(3.0)
    auth, ticker = _auth(server.url), Ticker()

    async def login() -> object:
        return await workers.in_net(auth.login, ACCOUNT, "Kefu@2024", remember=False)

    start, end, failure = qloop.run_until_complete(asyncio.wait_for(_timed(ticker, login), 20))
    gap = ticker.largest_gap(start, end)
    ticks = sum(start < t < end for t in ticker.times)
    print(f"login took {end - start:.2f}s; {ticks} ticks; largest gap {gap * 1000:.1f} ms")
    assert server.requests == ["/api/v1/auth/login"]
    assert end - start >= 2.5, "the server answered too fast for this test to prove anything"
    assert gap < 0.1, f"the GUI thread stalled for {gap * 1000:.0f} ms during the login"
    assert isinstance(failure, LoginFailure) and failure.kind == "server", failure
    assert isinstance(failure.__cause__, ServerError) and failure.__cause__.status == 500


def test_the_ticker_notices_a_blocked_gui_thread(
    qloop: qasync.QEventLoop, slow_server: Callable[[float], _SlowServer]
) -> None:
    """The control: the same login run on the GUI thread shows up as a gap of about 1 s."""
    server = slow_server(1.0)
    auth, ticker = _auth(server.url), Ticker()

    async def login_on_the_gui_thread() -> object:
        return auth.login(ACCOUNT, "Kefu@2024", remember=False)

    start, end, failure = qloop.run_until_complete(
        asyncio.wait_for(_timed(ticker, login_on_the_gui_thread), 20))
    gap = ticker.largest_gap(start, end)
    print(f"blocking login took {end - start:.2f}s; largest gap {gap * 1000:.1f} ms")
    assert failure is not None and failure.kind == "server"
    assert gap >= 0.9

"""Demo mode: the sync server in-process on loopback with demo data, plus simulated customers."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

DEMO_ACCOUNT = "20240001@demo.kefu"
DEMO_PASSWORD = "Kefu@2024"


def _port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])


class DemoBackend:
    """Starts and stops the embedded server and the customer simulator."""

    def __init__(self, data_dir: Path, *, customers: int = 4, rate: float = 0.25) -> None:
        self.data_dir = data_dir
        self.customers = customers
        self.rate = rate
        self.url = ""
        self._server: object | None = None
        self._thread: threading.Thread | None = None
        self._simulator: object | None = None

    def start(self, timeout: float = 30.0) -> str:
        import uvicorn

        from server.app import create_app
        from server.cli import prepare
        from server.simulate import Simulator
        from server.state import Settings

        self.data_dir.mkdir(parents=True, exist_ok=True)
        db = prepare(f"sqlite:///{self.data_dir / 'server.db'}", demo=True)
        port = _port(8640)
        self.url = f"http://127.0.0.1:{port}"
        app = create_app(Settings(database_url=db.url, demo=True), db)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="critical", loop="asyncio",
                                               timeout_graceful_shutdown=1))
        self._server = server
        self._thread = threading.Thread(target=server.run, name="demo-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the demo server did not start")
            time.sleep(0.05)
        simulator = Simulator(self.url, self.customers, self.rate, company="demo.kefu")
        simulator.start()
        self._simulator = simulator
        log.info("demo server on %s with %d simulated customers", self.url, self.customers)
        return self.url

    def stop(self) -> None:
        if self._simulator is not None:
            self._simulator.stop()  # type: ignore[attr-defined]
        if self._server is not None:
            self._server.should_exit = True  # type: ignore[attr-defined]
        if self._thread is not None:
            self._thread.join(timeout=10)

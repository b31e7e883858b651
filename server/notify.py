"""Wakes long-polls: in-process events per scope, plus PostgreSQL LISTEN across processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator

from server.changes import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


class Subscription:
    """One long-poll's wake-up flag: clear it, read, then wait."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def clear(self) -> None:
        self.event.clear()

    async def wait(self, timeout: float) -> bool:
        """True when woken before `timeout` seconds passed."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
            return True
        except TimeoutError:
            return False


class Notifier:
    """Long-polls wait on keys (feed scopes or `conv:<id>`); commits set them. Wake-only."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @contextlib.contextmanager
    def subscribe(self, keys: Iterable[str]) -> Iterator[Subscription]:
        """Registers before the caller reads, so a commit between read and wait is not missed."""
        subscription = Subscription()
        keys = list(keys)
        for key in keys:
            self._waiters[key].add(subscription.event)
        try:
            yield subscription
        finally:
            for key in keys:
                waiters = self._waiters.get(key)
                if waiters is not None:
                    waiters.discard(subscription.event)
                    if not waiters:
                        del self._waiters[key]

    def notify(self, keys: Iterable[str]) -> None:
        """Thread-safe: wakes every waiter on any of `keys` ('*' wakes all)."""
        keys = list(keys)
        if not keys or self._loop is None:
            return
        if self._loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake, keys)

    def _wake(self, keys: list[str]) -> None:
        if "*" in keys:
            targets = [e for waiters in self._waiters.values() for e in waiters]
        else:
            targets = [e for k in keys for e in self._waiters.get(k, ())]
        for event in targets:
            event.set()

    def start_pg_listener(self, conninfo: str) -> None:
        """Listens for other processes' commits on PostgreSQL (a dedicated connection+thread)."""
        self._listener = threading.Thread(
            target=self._listen, args=(conninfo,), name="pg-listen", daemon=True
        )
        self._listener.start()

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=3)

    def _listen(self, conninfo: str) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    # After (re)connecting we may have missed notifications: wake everyone.
                    self.notify(["*"])
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.notify(note.payload.split(" "))
            except Exception as exc:  # the listener must survive restarts of PostgreSQL
                log.warning("LISTEN connection lost (%s); reconnecting", type(exc).__name__)
                self._stop.wait(1.0)

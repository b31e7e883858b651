"""Wakes long-polls: in-process events per scope, plus PostgreSQL LISTEN across processes."""

# On PostgreSQL every commit's wake-up arrives through LISTEN (its own process's too) and is held
# until the feed can show the new rows: a reader sees a row only below pg_snapshot_xmin, so a
# wake delivered while an older transaction still runs would make every waiting long-poll read
# nothing and fall back to its slow re-check (HorizonGate).

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from server.changes import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

_GATE_POLL_S = 0.005  # while a wake-up is held: how soon the horizon is looked at again
_HELD_REWAKE_S = 0.5  # behind a long transaction: wake this often anyway (rows may be visible)
_MAX_MARKED = 100_000  # keys whose last wake-up is remembered (Notifier.marker)
_HORIZON = ("SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text "
            "FROM pg_current_snapshot() AS s")


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
        self._via_listen = False
        self._ticks = itertools.count(1)
        self._woken: dict[str, int] = {}  # key -> tick of its last wake-up ('*': of all keys)

    def marker(self, keys: Iterable[str]) -> tuple[int, ...]:
        """Changes whenever any of `keys` is woken (call on the loop). Equal markers before two
        reads mean no commit in those keys became visible in between, as far as this process
        has heard: the second read would find what the first found."""
        woken = self._woken
        return (woken.get("*", 0), *(woken.get(key, 0) for key in keys))

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
        """Thread-safe: a commit touched `keys` ('*': everything). With the PostgreSQL listener
        running this does nothing: the commit's NOTIFY comes back through LISTEN and is woken
        from there once visible (waking here as well would make every waiter read twice)."""
        if not self._via_listen:
            self._wake_now(keys)

    def _wake_now(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if not keys or self._loop is None:
            return
        if self._loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake, keys)

    def _wake(self, keys: list[str]) -> None:
        tick = next(self._ticks)
        if len(self._woken) > _MAX_MARKED:  # forget, and change every marker: costs one read
            self._woken = {"*": tick}
        for key in keys:
            self._woken[key] = tick
        if "*" in keys:
            targets = [e for waiters in self._waiters.values() for e in waiters]
        else:
            targets = [e for k in keys for e in self._waiters.get(k, ())]
        for event in targets:
            event.set()

    def start_pg_listener(self, conninfo: str) -> None:
        """Listens for every process's commits on PostgreSQL (a dedicated connection+thread)."""
        self._via_listen = True
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
                    self._wake_now(["*"])
                    gate = HorizonGate(self._wake_now)
                    while not self._stop.is_set():
                        wait = _GATE_POLL_S if gate.holding else 1.0
                        for note in conn.notifies(timeout=wait, stop_after=1):
                            gate.hold(note.payload.split(" "))
                        if gate.holding:
                            xmin, xmax = conn.execute(_HORIZON).fetchone() or (0, 0)
                            gate.look(int(xmin), int(xmax), time.monotonic())
            except Exception as exc:  # the listener must survive restarts of PostgreSQL
                log.warning("LISTEN connection lost (%s); reconnecting", type(exc).__name__)
                self._stop.wait(1.0)


@dataclass
class _Held:
    keys: set[str]
    ticket: int  # the snapshot xmax seen after the commit: visible once xmin reaches it
    rewake_at: float


class HorizonGate:
    """Holds commits' wake-ups until the rows they wrote are visible to the feed.

    A notification arrives after its transaction committed, so that transaction's xid is below
    the xmax of any snapshot taken afterwards; once the horizon (xmin) reaches that xmax, every
    transaction up to it has finished and its rows are readable. Usually that is at once (or
    within a few milliseconds); behind a long transaction the keys are woken every
    `_HELD_REWAKE_S` anyway (earlier commits in those scopes may already show) until it ends."""

    def __init__(self, wake: Callable[[list[str]], None]) -> None:
        self._wake = wake
        self._fresh: set[str] = set()
        self._held: list[_Held] = []

    @property
    def holding(self) -> bool:
        return bool(self._fresh or self._held)

    def hold(self, keys: Iterable[str]) -> None:
        self._fresh.update(keys)

    def look(self, xmin: int, xmax: int, now: float) -> None:
        """Takes a snapshot's horizon: wakes what it makes visible, or what was held too long."""
        if self._fresh:
            self._held.append(_Held(self._fresh, xmax, now + _HELD_REWAKE_S))
            self._fresh = set()
        due: set[str] = set()
        still: list[_Held] = []
        for held in self._held:
            if xmin >= held.ticket or now >= held.rewake_at:
                due |= held.keys
            if xmin < held.ticket:
                if now >= held.rewake_at:
                    held.rewake_at = now + _HELD_REWAKE_S
                still.append(held)
        self._held = still
        if due:
            self._wake(sorted(due))


class QuietReads:
    """Remembers feed reads that found nothing, with the Notifier's marker taken before them: a
    long-poll asking again from the same cursor, with the marker unchanged and within `ttl`
    seconds, can go straight to waiting. Saves a read on every long-poll of a woken floor; the
    ttl keeps the periodic re-check's guarantee should a wake-up ever be lost."""

    def __init__(self, ttl: float, size: int = 20_000) -> None:
        self._ttl = ttl
        self._size = size
        self._seen: OrderedDict[tuple[tuple[str, ...], str], tuple[tuple[int, ...], float]] = (
            OrderedDict())

    def found_nothing(self, scopes: list[str], cursor: str, marker: tuple[int, ...]) -> None:
        key = (tuple(scopes), cursor)
        self._seen[key] = (marker, time.monotonic())
        self._seen.move_to_end(key)
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def still_nothing(self, scopes: list[str], cursor: str, marker: tuple[int, ...]) -> bool:
        seen = self._seen.get((tuple(scopes), cursor))
        return (seen is not None and seen[0] == marker
                and time.monotonic() - seen[1] < self._ttl)

"""The load generator: agents long-polling the sync feed, customers sending at a fixed rate.

Runs in the bench's own process (asyncio + aiohttp), never inside a server. Requests go
round-robin across the server URLs. Delivery latency of a message to an agent = the moment the
agent's pull answer carrying it is parsed here, minus the moment the customer's POST was sent.
A message is delivered when every agent of the owning team has seen it; an error is any
non-2xx answer, timeout or connection failure."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.load_setup import TeamSeed
from kefu_protocol.wire import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.support.world import PASSWORD

_SETUP_CONCURRENCY = 8


@dataclass
class Pending:
    team: int
    sent_at: float
    seen_by: set[int] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)


@dataclass
class StepStats:
    rate: float
    seconds: float
    sent: int  # POSTs answered 200
    achieved_rate: float
    delivered: int  # seen by every agent of the team before the drain deadline
    errors: Counter[str]
    latencies: list[float]  # every (message, agent) pair, seconds
    first_seen: list[float]  # per message: its first agent
    started: float
    ended: float

    @property
    def missed(self) -> int:
        return self.sent - self.delivered

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + self.missed


class Failed(Exception):
    """A request that did not answer 2xx."""


class LoadGen:
    def __init__(self, urls: list[str], teams: list[TeamSeed], *, customers_per_team: int = 4,
                 wait: float = 20.0) -> None:
        self.urls = urls
        self.teams = teams
        self.customers_per_team = customers_per_team
        self.wait = wait
        self._next = itertools.count()
        self._http: aiohttp.ClientSession | None = None
        self._pullers: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self.pending: dict[str, Pending] = {}
        self.error_log: list[tuple[float, str]] = []
        self.customers: list[tuple[int, str]] = []  # (team index, visitor token)
        self.agents: list[tuple[int, str]] = []  # (team index, access token)
        self.pulls = 0

    def _url(self, path: str) -> str:
        return self.urls[next(self._next) % len(self.urls)] + path

    def _error(self, kind: str) -> None:
        self.error_log.append((time.monotonic(), kind))

    async def _call(self, method: str, path: str, *, token: str = "", timeout: float = 10.0,
                    **kw: Any) -> Any:
        assert self._http is not None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        label = path.split("?")[0]
        try:
            async with self._http.request(
                method, self._url(path), headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout), **kw
            ) as response:
                if response.status // 100 != 2:
                    self._error(f"{method} {label} {response.status}")
                    raise Failed(label)
                return await response.json()
        except (TimeoutError, aiohttp.ClientError) as exc:
            self._error(f"{method} {label} {type(exc).__name__}")
            raise Failed(label) from exc

    async def start(self) -> None:
        """Creates the customers' chats, logs every agent in and starts their long-polls."""
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, force_close=False),
            headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
        )
        gate = asyncio.Semaphore(_SETUP_CONCURRENCY)

        async def customer(team: int) -> tuple[int, str]:
            async with gate:
                body = await self._call("POST", "/api/v1/visitor/sessions", json={
                    "nickname": "压测顾客", "company": self.teams[team].domain})
            return team, body["visitor_token"]

        async def agent(team: int, account: str) -> tuple[int, str, str]:
            async with gate:
                body = await self._call("POST", "/api/v1/auth/login", json={
                    "account": account, "password": PASSWORD, "device_id": "load-bench"})
                token = body["access_token"]
                cursor = await self._catch_up(token)
            return team, token, cursor

        self.customers = list(await asyncio.gather(*(
            customer(t) for t in range(len(self.teams)) for _ in range(self.customers_per_team))))
        logged = await asyncio.gather(*(
            agent(t, a) for t, seed in enumerate(self.teams) for a in seed.accounts))
        self.agents = [(team, token) for team, token, _ in logged]
        self._pullers = [asyncio.create_task(self._poll(i, team, token, cursor))
                         for i, (team, token, cursor) in enumerate(logged)]

    async def _catch_up(self, token: str) -> str:
        cursor = ""
        while True:
            body = await self._pull(token, cursor, wait=0)
            cursor = body["cursor"]
            if body["up_to_date"]:
                return cursor

    async def _pull(self, token: str, cursor: str, *, wait: float) -> Any:
        return await self._call("GET", "/api/v1/sync/pull", token=token, timeout=wait + 15,
                                params={"cursor": cursor, "wait": str(wait), "limit": "1000"})

    async def _poll(self, index: int, team: int, token: str, cursor: str) -> None:
        while not self._stopping.is_set():
            try:
                body = await self._pull(token, cursor, wait=self.wait)
            except Failed:
                await asyncio.sleep(1.0)
                continue
            now = time.monotonic()
            self.pulls += 1
            cursor = body["cursor"]
            for change in body["changes"]:
                if change["entity"] != "message":
                    continue
                pending = self.pending.get(change["id"])
                if pending is not None and pending.team == team and index not in pending.seen_by:
                    pending.seen_by.add(index)
                    pending.latencies.append(now - pending.sent_at)

    async def _send(self, customer: int, sent: list[str]) -> None:
        team, token = self.customers[customer]
        message_id = str(uuid.uuid4())
        self.pending[message_id] = Pending(team, time.monotonic())
        try:
            await self._call("POST", "/api/v1/visitor/messages", token=token,
                             json={"id": message_id, "text": f"压测消息 {message_id[:8]}"})
        except Failed:
            del self.pending[message_id]
            return
        sent.append(message_id)

    async def step(self, rate: float, seconds: float, *, drain: float = 10.0) -> StepStats:
        """Sends `rate` messages/s for `seconds` (open loop), then waits up to `drain` seconds
        for every team agent to have seen every message."""
        sent: list[str] = []
        total = round(rate * seconds)
        started = time.monotonic()
        errors_before = len(self.error_log)
        tasks = []
        for i in range(total):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._send(i % len(self.customers), sent)))
        await asyncio.gather(*tasks)
        await asyncio.sleep(max(0.0, started + seconds - time.monotonic()))  # rate 0: idle
        ended = time.monotonic()
        sizes = Counter(team for team, _ in self.agents)

        def complete(message_id: str) -> bool:
            pending = self.pending[message_id]
            return len(pending.seen_by) >= sizes[pending.team]

        deadline = time.monotonic() + drain
        while time.monotonic() < deadline and not all(complete(mid) for mid in sent):
            await asyncio.sleep(0.1)
        done = [self.pending.pop(mid) for mid in sent]
        delivered = sum(len(p.seen_by) >= sizes[p.team] for p in done)
        return StepStats(
            rate=rate, seconds=seconds, sent=len(sent),
            achieved_rate=len(sent) / max(ended - started, 1e-9), delivered=delivered,
            errors=Counter(kind for _, kind in self.error_log[errors_before:]),
            latencies=[x for p in done for x in p.latencies],
            first_seen=[min(p.latencies) for p in done if p.latencies],
            started=started, ended=ended,
        )

    async def stop(self) -> None:
        self._stopping.set()
        for task in self._pullers:
            task.cancel()
        await asyncio.gather(*self._pullers, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

"""The client's worker threads: one serialises every SQLite write; others run HTTP calls."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


class Workers:
    """`run_db` from worker threads, `in_db`/`in_net` (awaitable) from the Qt thread's loop."""

    def __init__(self) -> None:
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-db")
        self._net = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kefu-net")
        self._db_thread: threading.Thread | None = None
        self._db.submit(self._remember_db_thread).result()

    def _remember_db_thread(self) -> None:
        self._db_thread = threading.current_thread()

    def run_db(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs `fn` on the DB thread and waits for it (call from any thread but the Qt one)."""
        if threading.current_thread() is self._db_thread:
            return fn(*args)
        return self._db.submit(fn, *args).result()

    def submit_db(self, fn: Callable[[], T]) -> Future[T]:
        """Queues `fn` on the DB thread without waiting (pipelined feed apply)."""
        return self._db.submit(fn)

    async def in_db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, partial(fn, *args, **kwargs))

    async def in_net(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._net, partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        self._net.shutdown(wait=False, cancel_futures=True)
        self._db.shutdown(wait=True)

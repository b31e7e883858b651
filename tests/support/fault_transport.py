"""A requests adapter that injects network faults into the sync calls, seeded and counted."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from typing import Any

import requests
import requests.adapters
from requests.models import PreparedRequest, Response

FAULT_KINDS = ("drop_request", "drop_response", "delay", "duplicate", "server_5xx", "reset",
               "bad_row")
"""drop_request: never sent; drop_response: the server ran it, the answer is lost; delay: a
pause before sending; duplicate: sent twice, the second answer used; server_5xx: a synthetic
503; reset: a connection reset before the answer; bad_row: a pull page with an unusable row."""

_SYNC_PATHS = ("/sync/push", "/sync/pull", "/sync/bootstrap")


class FaultAdapter(requests.adapters.HTTPAdapter):
    """Faults only the sync calls (not login/refresh), with probability `rate` per call."""

    def __init__(self, seed: int, rate: float, *, counts: Counter[str] | None = None,
                 kinds: tuple[str, ...] = FAULT_KINDS) -> None:
        super().__init__()
        self.kinds = kinds
        self.random = random.Random(seed)
        self.rate = rate
        self.counts: Counter[str] = counts if counts is not None else Counter()
        self._lock = threading.Lock()

    def _choose(self, request: PreparedRequest) -> str | None:
        url = request.url or ""
        if not any(path in url for path in _SYNC_PATHS):
            return None
        with self._lock:
            if self.rate <= 0 or self.random.random() >= self.rate:
                return None
            kinds = [k for k in self.kinds if k != "bad_row" or "/sync/pull" in url]
            if not kinds:
                return None
            kind = self.random.choice(kinds)
            self.counts[kind] += 1
            return kind

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        kind = self._choose(request)
        if kind == "drop_request":
            raise requests.ConnectionError("fault: request dropped")
        if kind == "server_5xx":
            return _synthetic(request, 503, {"code": "temporarily_unavailable",
                                             "message": "fault"})
        if kind == "delay":
            time.sleep(self.random.uniform(0.05, 0.4) if self.rate else 0)
        if kind == "duplicate":
            super().send(request, *args, **kwargs).close()
        response = super().send(request, *args, **kwargs)
        if kind == "drop_response":
            response.close()
            raise requests.ConnectionError("fault: response dropped")
        if kind == "reset":
            response.close()
            raise requests.ConnectionError(ConnectionResetError(104, "fault: connection reset"))
        if kind == "bad_row" and response.status_code == 200:
            return _with_bad_row(request, response)
        return response


def _synthetic(request: PreparedRequest, status: int, body: dict[str, Any]) -> Response:
    response = Response()
    response.status_code = status
    response.request = request
    response.url = request.url or ""
    response.headers["Content-Type"] = "application/json"
    response.raw = _Raw(json.dumps(body).encode())
    return response


def _with_bad_row(request: PreparedRequest, response: Response) -> Response:
    """A page with changes gets a message row the client cannot store (no conversation) and
    one it cannot read (an op from a newer server)."""
    body = json.loads(_Raw.drain(response))
    if body["changes"]:
        body["changes"].insert(0, {"entity": "message", "op": "upsert", "id": "bad-row",
                                   "data": {"id": "bad-row", "text": None}})
        body["changes"].insert(1, {"entity": "message", "op": "merge", "id": "bad-op"})
    return _synthetic(request, 200, body)


class _Raw:
    """Just enough of urllib3's response for `ApiClient._read_body` (read1)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read1(self, size: int, decode_content: bool = True) -> bytes:
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    def release_conn(self) -> None:
        pass

    def close(self) -> None:
        pass

    @staticmethod
    def drain(response: Response) -> bytes:
        chunks = []
        while chunk := response.raw.read1(64 * 1024, decode_content=True):
            chunks.append(chunk)
        response.close()
        return b"".join(chunks)

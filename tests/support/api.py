"""Thin HTTP clients for tests: an agent (login, push, pull) and a visitor (the customer)."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from kefu_protocol.wire import PROTOCOL_HEADER, PROTOCOL_VERSION


class InBackground:
    """Starts a blocking call (a long-poll) on a thread; `finish()` gives (result, seconds)."""

    def __init__(self, call: Callable[[], Any], *, settle: float = 0.3) -> None:
        self._result: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()
        time.sleep(settle)  # let the call reach the server and start waiting

    def _run(self, call: Callable[[], Any]) -> None:
        started = time.monotonic()
        self._result["value"] = call()
        self._result["seconds"] = time.monotonic() - started

    def finish(self, timeout: float = 30) -> tuple[Any, float]:
        self._thread.join(timeout)
        assert "value" in self._result, "the background call did not return"
        return self._result["value"], self._result["seconds"]


def http() -> requests.Session:
    session = requests.Session()
    session.headers[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
    return session


def login(
    base: str, account: str, password: str, device_id: str = "test-device"
) -> requests.Response:
    return http().post(f"{base}/api/v1/auth/login",
                       json={"account": account, "password": password, "device_id": device_id},
                       timeout=10)


class AgentClient:
    """A logged-in agent with its own client id and mutation counter."""

    def __init__(self, base: str, account: str, password: str) -> None:
        self.base = base
        self.http = http()
        response = login(base, account, password)
        assert response.status_code == 200, response.text
        body = response.json()
        self.login_body = body
        self.agent = body["agent"]
        self.refresh_token = body["refresh_token"]
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"
        self.client_id = str(uuid.uuid4())
        self._ids = itertools.count(1)
        self.cursor = ""

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=kw.pop("timeout", 30), **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.http.post(f"{self.base}{path}", timeout=kw.pop("timeout", 30), **kw)

    def mutation(self, name: str, **args: Any) -> dict[str, Any]:
        return {"id": next(self._ids), "name": name, "args": args}

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.post("/api/v1/sync/push",
                             json={"client_id": self.client_id, "mutations": list(mutations)})
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def do(self, name: str, **args: Any) -> dict[str, Any]:
        """Pushes one mutation and returns its result."""
        return self.push(self.mutation(name, **args))[0]

    def pull(self, *, wait: float = 0, limit: int = 500) -> dict[str, Any]:
        response = self.get("/api/v1/sync/pull",
                            params={"cursor": self.cursor, "wait": wait, "limit": limit},
                            timeout=wait + 30)
        assert response.status_code == 200, response.text
        body = response.json()
        self.cursor = body["cursor"]
        return body

    def pull_all(self) -> list[dict[str, Any]]:
        changes: list[dict[str, Any]] = []
        while True:
            body = self.pull(limit=1000)
            changes.extend(body["changes"])
            if body["up_to_date"]:
                return changes

    def online(self) -> None:
        assert self.do("presence.set", status="online")["status"] == "applied"


class VisitorClient:
    """The customer's side, as the /chat page uses it."""

    def __init__(self, base: str, nickname: str = "访客", *, company: str | None = None,
                 order_no: str | None = None, visitor_key: str | None = None) -> None:
        self.base = base
        self.http = http()
        body: dict[str, Any] = {"nickname": nickname}
        if company:
            body["company"] = company
        if order_no:
            body["order_no"] = order_no
        if visitor_key:
            body["visitor_key"] = visitor_key
        self.start_response = self.http.post(f"{base}/api/v1/visitor/sessions", json=body,
                                             timeout=10)
        self.conversation_id = ""
        if self.start_response.status_code == 200:
            data = self.start_response.json()
            self.conversation_id = data["conversation_id"]
            self.http.headers["Authorization"] = f"Bearer {data['visitor_token']}"
        self.after = 0

    def send(self, text: str, message_id: str | None = None) -> requests.Response:
        return self.http.post(f"{self.base}/api/v1/visitor/messages",
                              json={"id": message_id or str(uuid.uuid4()), "text": text},
                              timeout=10)

    def receive(self, *, wait: float = 0) -> dict[str, Any]:
        response = self.http.get(f"{self.base}/api/v1/visitor/messages",
                                 params={"after": self.after, "wait": wait}, timeout=wait + 30)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["messages"]:
            self.after = body["messages"][-1]["seq"]
        return body

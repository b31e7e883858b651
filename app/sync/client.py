"""HTTP client of protocol v1: one requests.Session, TLS verified, a timeout on every call."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
import requests.adapters
import urllib3
from pydantic import BaseModel, ValidationError

from app.settings import url_problem
from app.sync.clock import ServerClock
from kefu_protocol.wire import (
    API_PREFIX,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    BootstrapResponse,
    Change,
    LoginResponse,
    Loose,
    MessagePage,
    MessageSearchPage,
    PullResponse,
    PushResponse,
    TokenPair,
)

Model = TypeVar("Model", bound=BaseModel)

MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""A bigger answer is not the server's (its pages are bounded): refused, not buffered."""


class Pulled(PullResponse):
    """A pull answer as this desk read it: a row it cannot read (an op or a shape from a newer
    server) is set aside in `unreadable` — kept, with the reason — instead of failing the whole
    page, which would pull the same cursor for ever."""

    unreadable: list[dict[str, Any]] = []


class _AnyRows(Loose):
    changes: list[Any]
    cursor: str
    up_to_date: bool


def read_pull_answer(content: bytes) -> Pulled:
    """The page; rows that are not a `Change` go to `unreadable`. A malformed envelope (or not
    JSON, or not UTF-8) is still a ProtocolError."""
    try:
        return Pulled.model_validate_json(content)
    except ValidationError:
        pass
    try:
        raw = _AnyRows.model_validate_json(content)
    except ValidationError as exc:
        raise ProtocolError("unexpected PullResponse answer") from exc
    changes: list[Change] = []
    unreadable: list[dict[str, Any]] = []
    for row in raw.changes:
        try:
            changes.append(Change.model_validate(row))
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                               for e in exc.errors()[:3])
            unreadable.append({"change": row, "error": reason})
    return Pulled(changes=changes, cursor=raw.cursor, up_to_date=raw.up_to_date,
                  unreadable=unreadable)


class SyncError(Exception):
    """Base of every failure the client reports; `str()` is safe to log (no secrets)."""


class NetworkError(SyncError):
    """The server could not be reached (refused, timed out, DNS, connection reset)."""


class TlsError(NetworkError):
    """The server's certificate was not trusted (configure the CA bundle)."""


class ServerError(SyncError):
    """The server answered 5xx: it is up but failing; retry later."""

    def __init__(self, status: int, code: str = "") -> None:
        super().__init__(f"server error {status} {code}".strip())
        self.status = status
        self.code = code


class ProtocolError(SyncError):
    """The answer was not protocol v1 JSON (an HTML page from a proxy, garbage, wrong shape)."""


class ApiError(SyncError):
    """A 4xx answer with the server's machine code and human message."""

    def __init__(self, status: int, code: str, message: str, extra: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


class InsecureServer(SyncError):
    """Plain http:// is only allowed to this machine (loopback)."""


def check_server_url(url: str) -> str:
    """Normalises `url`; refuses anything but https, except http to loopback."""
    if url_problem(url):
        raise InsecureServer(url)
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".rstrip("/")


class ApiClient:
    """One instance per thread: the long-poll has its own, so it never delays a push."""

    def __init__(
        self,
        base_url: str,
        *,
        ca_bundle: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        language: str = "zh-CN",
        adapter: requests.adapters.BaseAdapter | None = None,
        clock: ServerClock | None = None,
    ) -> None:
        self.base_url = check_server_url(base_url)
        self.clock = clock
        """Learns the server's time from every answer (a desk clock a day off, issue 9)."""
        self.session = requests.Session()
        if adapter is not None:  # a transport seam: tests mount a fault-injecting adapter
            self.session.mount(f"{self.base_url}/", adapter)
        # Passed with each request: requests lets REQUESTS_CA_BUNDLE override `session.verify`,
        # which would silently drop the company CA.
        self.verify: str | bool = ca_bundle or True
        self.session.headers[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
        self.session.headers["Accept-Language"] = language
        self.timeout = (connect_timeout, read_timeout)

    def close(self) -> None:
        self.session.close()

    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        read_timeout: float | None = None,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        timeout = (self.timeout[0], read_timeout or self.timeout[1])
        # requests' read timeout is per byte: a server dripping its answer would hold this
        # thread for ever, so the whole answer has a deadline too.
        deadline = time.monotonic() + timeout[0] + timeout[1]
        sent_at = time.time()
        try:
            response = self.session.request(
                method, f"{self.base_url}{API_PREFIX}{path}", json=json, params=params,
                headers=headers, timeout=timeout, verify=self.verify, allow_redirects=False,
                stream=True,
            )
            with response:
                if 300 <= response.status_code < 400:  # never resend a password or token
                    raise ProtocolError(f"HTTP {response.status_code} redirect not followed")
                if self.clock is not None:
                    self.clock.observe(response.headers.get("Date"), sent_at, time.time())
                response._content = _read_body(response, deadline)
        except requests.exceptions.SSLError as exc:
            raise TlsError(type(exc).__name__) from exc
        except urllib3.exceptions.DecodeError as exc:
            raise ProtocolError(type(exc).__name__) from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise NetworkError(type(exc).__name__) from exc
        return response

    def call(self, method: str, path: str, **kw: Any) -> Any:
        return _decode(self._send(method, path, **kw))

    def typed(self, model: type[Model], method: str, path: str, **kw: Any) -> Model:
        """Parses and validates a success body in one pass (pydantic's JSON parser)."""
        response = self._send(method, path, **kw)
        if response.status_code >= 400:
            _decode(response)  # raises the matching error
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:  # also raised for a body that is not JSON at all
            raise ProtocolError(f"unexpected {model.__name__} answer") from exc

    # ---- the protocol's calls -------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        body = self.call("GET", "/health")
        if not isinstance(body, dict) or "protocol_version" not in body:
            raise ProtocolError("not a KefuDesk server")
        return body

    def login(self, account: str, password: str, device_id: str) -> LoginResponse:
        return self.typed(LoginResponse, "POST", "/auth/login",
                          json={"account": account, "password": password, "device_id": device_id})

    def change_password(self, token: str, old_password: str, new_password: str) -> None:
        self.call("POST", "/auth/password", token=token,
                  json={"old_password": old_password, "new_password": new_password})

    def refresh(self, refresh_token: str) -> TokenPair:
        return self.typed(TokenPair, "POST", "/auth/refresh",
                          json={"refresh_token": refresh_token})

    def logout(self, refresh_token: str) -> None:
        self.call("POST", "/auth/logout", json={"refresh_token": refresh_token})

    def push(self, token: str, client_id: str, mutations: list[dict[str, Any]]) -> PushResponse:
        return self.typed(PushResponse, "POST", "/sync/push", token=token,
                          json={"client_id": client_id, "mutations": mutations})

    def pull(self, token: str, cursor: str, *, limit: int, wait: float) -> Pulled:
        # The read timeout outlasts the server's wait (Electric's advice).
        response = self._send("GET", "/sync/pull", token=token,
                              params={"cursor": cursor, "limit": limit, "wait": wait},
                              read_timeout=wait + self.timeout[1] / 2)
        if response.status_code >= 400:
            _decode(response)  # raises the matching error
        return read_pull_answer(response.content)

    def bootstrap(self, token: str, page: str | None, *, limit: int) -> BootstrapResponse:
        params: dict[str, Any] = {"limit": limit}
        if page:
            params["page"] = page
        return self.typed(BootstrapResponse, "GET", "/sync/bootstrap", token=token,
                          params=params, read_timeout=60)

    def messages_before(self, token: str, conversation_id: str, before: int | None,
                        limit: int) -> MessagePage:
        """History older than the cache (H3.1): messages with seq < before, newest first."""
        params: dict[str, Any] = {"limit": limit}
        if before is not None:
            params["before"] = before
        return self.typed(MessagePage, "GET",
                          f"/conversations/{quote(conversation_id, safe='')}/messages",
                          token=token, params=params)

    def search_messages(
        self,
        token: str,
        q: str,
        *,
        customer_id: str | None = None,
        agent_id: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = 50,
        before: str | None = None,
    ) -> MessageSearchPage:
        """Chat-record search on the server (H14.3), for history the cache does not hold."""
        params: dict[str, Any] = {"q": q, "limit": limit}
        for key, value in (("customer_id", customer_id), ("agent_id", agent_id),
                           ("before", before)):
            if value:
                params[key] = value
        for key, when in (("since", since), ("until", until)):
            if when is not None:
                params[key] = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).isoformat()
        return self.typed(MessageSearchPage, "GET", "/search/messages", token=token,
                          params=params)

    def set_grants(self, token: str, agent_id: str, grants: list[str]) -> list[str]:
        """H10.2 (supervisor or admin): the agent's whole list of explicit grants; the server
        answers with the list it stored (sorted, without repeats)."""
        body = self.call("PUT", f"/admin/agents/{quote(agent_id, safe='')}/grants", token=token,
                         json={"grants": list(grants)})
        stored = body.get("grants") if isinstance(body, dict) else None
        if not isinstance(stored, list):
            raise ProtocolError("unexpected grants answer")
        return [str(g) for g in stored]


def _read_body(response: requests.Response, deadline: float) -> bytes:
    """The whole body, or NetworkError past the deadline / ProtocolError past the size cap."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.raw.read1(64 * 1024, decode_content=True):  # what has arrived
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise ProtocolError(f"answer larger than {MAX_ANSWER_BYTES} bytes")
        if time.monotonic() > deadline:
            raise NetworkError("AnswerDeadline")
    return b"".join(chunks)


def _decode(response: requests.Response) -> Any:
    try:
        # JSON on the wire is UTF-8 (RFC 8259). requests would guess another codec for bytes
        # that are not, and hand back mojibake that parses: a customer's words garbled into
        # the cache with no error at all.
        body = json.loads(response.content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        if response.status_code >= 500:
            raise ServerError(response.status_code) from exc
        raise ProtocolError(f"HTTP {response.status_code} answer is not valid UTF-8") from exc
    except ValueError:
        body = None
    if response.status_code >= 500:
        code = body.get("code", "") if isinstance(body, dict) else ""
        raise ServerError(response.status_code, code)
    if not isinstance(body, dict | list):
        raise ProtocolError(f"HTTP {response.status_code} answered without JSON")
    if response.status_code >= 400:
        if not isinstance(body, dict) or "code" not in body:
            raise ProtocolError(f"HTTP {response.status_code} without an error code")
        extra = {k: v for k, v in body.items() if k not in ("code", "message")}
        raise ApiError(response.status_code, str(body["code"]), str(body.get("message", "")),
                       extra)
    return body

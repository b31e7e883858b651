"""Builds the FastAPI application: routes, error rendering, protocol and size checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kefu_protocol.wire import MAX_BODY_BYTES, PROTOCOL_HEADER, PROTOCOL_VERSION, ErrorBody
from server.db import Database
from server.errors import ApiError, pick_language
from server.migrate import read_epoch
from server.notify import Notifier
from server.routes import (
    admin,
    auth,
    board,
    chat_page,
    conversations,
    customers,
    health,
    metrics,
    search,
    sync,
    visitor,
)
from server.state import ServerState, Settings

log = logging.getLogger(__name__)


def server_version() -> str:
    try:
        return package_version("kefudesk")
    except PackageNotFoundError:
        return "0.0.0"


def create_app(settings: Settings, db: Database) -> FastAPI:
    """The ASGI app for one process; the database must already be migrated."""
    notifier = Notifier()
    with db.read() as session:
        epoch = read_epoch(session)
    state = ServerState(settings, db, notifier, epoch, server_version())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        notifier.bind_loop(asyncio.get_running_loop())
        if db.kind == "postgresql":
            notifier.start_pg_listener(_libpq_conninfo(db))
            # No more worker threads than pooled connections: a wake-up of a whole floor then
            # queues for a connection instead of opening (and closing) overflow ones.
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = db.pool_size
        try:
            yield
        finally:
            notifier.stop()

    app = FastAPI(
        title="KefuDesk sync server",
        version=state.version,
        description="Protocol v1: accounts, sync push/pull, the visitor (customer) API. "
        "Errors are always `{code, message, …}`; see docs/protocol.md.",
        lifespan=lifespan,
    )
    app.state.kefu = state
    for module in (health, auth, sync, conversations, customers, search, visitor, admin,
                   chat_page, board, metrics):
        app.include_router(module.router)
    _install_error_handlers(app)
    _install_guards(app)
    app.openapi = lambda: _openapi_with_errors(app)  # type: ignore[method-assign]
    return app


def _openapi_with_errors(app: FastAPI) -> dict[str, Any]:
    """The generated document, made to say what the server answers on errors: an ErrorBody for
    every 4xx (invalid input is 400 `invalid_request`, never FastAPI's 422 detail list) and the
    503 `temporarily_unavailable` a push may answer."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["ErrorBody"] = ErrorBody.model_json_schema()
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if responses.get("422", {}).get("description") == "Validation Error":
                del responses["422"]
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = error
            responses.setdefault("4XX", {"description": _ERRORS_4XX, "content": error})
            if (method, path) == ("post", "/api/v1/sync/push"):
                responses["503"] = {"description": "temporarily_unavailable", "content": error}
    app.openapi_schema = schema
    return schema


_ERRORS_4XX = ("`{code, message, …}`: e.g. 400 invalid_request, 401 not_authenticated / "
               "token_expired, 403 forbidden / password_change_required, 404 not_found, "
               "413 payload_too_large, 426 unsupported_protocol")


def _libpq_conninfo(db: Database) -> str:
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _error_response(request: Request, error: ApiError) -> JSONResponse:
    lang = pick_language(request.headers.get("accept-language"))
    headers = {"Retry-After": "1"} if error.status == 503 else None
    if error.status == 429:
        headers = {"Retry-After": str(error.extra.get("retry_after", 60))}
    return JSONResponse(error.body(lang), status_code=error.status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") in ("json_invalid", "json_type") for e in errors):
            return _error_response(request, ApiError("invalid_json"))
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg', '')}"
            for e in errors[:5]
        )
        return _error_response(request, ApiError("invalid_request", detail=detail))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {400: "invalid_json", 404: "not_found", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "invalid_request")
        error = ApiError(code, status=exc.status_code, detail=str(exc.detail))
        return _error_response(request, error)

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_response(request, ApiError("internal_error"))


def _install_guards(app: FastAPI) -> None:
    app.add_middleware(_Guard)


class _Guard:
    """Refuses oversized bodies, NUL in the address and a foreign protocol version before any
    route runs, and stamps every answer with the protocol version. Plain ASGI: it runs on every
    long-poll, where a `BaseHTTPMiddleware` would add a task and two streams per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = _refusal(request)
        if refusal is not None:
            await _error_response(request, refusal)(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
            await send(message)

        await self.app(scope, receive, stamped)


def _refusal(request: Request) -> ApiError | None:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        return ApiError("payload_too_large", limit=MAX_BODY_BYTES)
    if "\x00" in request.url.path or b"%00" in request.scope.get("query_string", b""):
        # PostgreSQL text cannot hold U+0000: refused here, not a 500 from the query.
        return ApiError("invalid_request", detail="the address contains a NUL character (%00)")
    protocol = request.headers.get(PROTOCOL_HEADER)
    if protocol is not None and protocol != str(PROTOCOL_VERSION):
        return ApiError("unsupported_protocol", got=protocol, expected=PROTOCOL_VERSION)
    return None

"""Serves the customer's web chat page (/chat): plain HTML, CSS and JS, no build step."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from server.errors import ApiError

router = APIRouter(tags=["customer page"])

_STATIC = Path(__file__).resolve().parent.parent / "static"
_FILES = {"chat.js": "text/javascript", "chat.css": "text/css"}


@router.get("/chat", include_in_schema=False)
def chat_page() -> FileResponse:
    return FileResponse(_STATIC / "chat.html", media_type="text/html; charset=utf-8")


@router.get("/chat/{name}", include_in_schema=False)
def chat_asset(name: str) -> FileResponse:
    if name not in _FILES:
        raise ApiError("not_found")
    return FileResponse(_STATIC / name, media_type=f"{_FILES[name]}; charset=utf-8")


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/chat")

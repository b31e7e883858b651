"""The lead's board endpoints (leads and above, server-enforced)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["board"])

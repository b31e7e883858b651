"""GET /api/v1/health: is the server up, which version, which database, which protocol."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kefu_protocol.wire import PROTOCOL_VERSION
from server.deps import StateDep

router = APIRouter(prefix="/api/v1", tags=["health"])


class Health(BaseModel):
    status: str
    version: str
    database: str
    protocol_version: int
    epoch: str


@router.get("/health", response_model=Health, summary="Liveness, versions and database kind")
def health(state: StateDep) -> Health:
    return Health(
        status="ok",
        version=state.version,
        database=state.db.kind,
        protocol_version=PROTOCOL_VERSION,
        epoch=state.epoch,
    )

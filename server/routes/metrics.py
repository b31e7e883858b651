"""The lead's metrics endpoints (leads and above, server-enforced; H12.1)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from kefu_protocol.board import MetricsReport
from server import models as m
from server.deps import PrincipalDep, StateDep, require_role
from server.errors import ApiError
from server.metrics import MAX_WINDOW, parse_instant, team_metrics
from server.shift_time import shift_window, zone

router = APIRouter(prefix="/api/v1", tags=["metrics"])

_Param = Annotated[str | None, Query(max_length=64)]


def _window(
    session: Session, team_id: str, timezone: str, start: str | None, end: str | None,
    shift_id: str | None, date: str | None,
) -> tuple[dt.datetime, dt.datetime]:
    if shift_id is not None or date is not None:
        if shift_id is None or date is None or start is not None or end is not None:
            raise ApiError("invalid_window", detail="按班次查询需同时给出 shift_id 和 date")
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise ApiError("invalid_window", detail="date 应为 YYYY-MM-DD") from None
        shift = session.get(m.Shift, shift_id)
        if shift is None or shift.team_id != team_id:
            raise ApiError("shift_not_found")
        return shift_window(shift.starts, shift.ends, day, zone(timezone))
    if start is None or end is None:
        raise ApiError("invalid_window", detail="需要 start 和 end，或 shift_id 和 date")
    begins, ends = parse_instant(start, "start"), parse_instant(end, "end")
    if ends <= begins:
        raise ApiError("invalid_window", detail="end 必须晚于 start")
    if ends - begins > MAX_WINDOW:
        raise ApiError("invalid_window", detail=f"最长 {MAX_WINDOW.days} 天")
    return begins, ends


@router.get("/metrics", response_model=MetricsReport,
            summary="H12.1 metrics per agent of a team over a window or one shift's instance",
            responses={400: {"description": "invalid_window"}, 403: {"description": "forbidden"},
                       422: {"description": "team_not_found, shift_not_found"}})
def metrics(
    principal: PrincipalDep,
    state: StateDep,
    team_id: Annotated[str, Query(max_length=36)],
    start: _Param = None,
    end: _Param = None,
    shift_id: Annotated[str | None, Query(max_length=36)] = None,
    date: Annotated[str | None, Query(max_length=10)] = None,
) -> MetricsReport:
    """`?team_id=&start=&end=` (ISO 8601 with zone, at most 31 days) or
    `?team_id=&shift_id=&date=YYYY-MM-DD` (that shift's window starting on that local date,
    in the company's zone). See server.metrics for the definitions."""
    require_role(principal, "lead")
    with state.db.read() as session:
        team = session.get(m.Team, team_id)
        if team is None or team.company_id != principal.company_id:
            raise ApiError("team_not_found")
        if not principal.sees_team(team.id):
            raise ApiError("forbidden")
        begins, ends = _window(session, team.id, state.settings.timezone, start, end,
                               shift_id, date)
        return team_metrics(session, team, begins, ends, shift_id=shift_id)

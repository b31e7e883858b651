"""The board's rows as frozen dataclasses and the shift window they are counted in (H13.3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kefu_protocol.board import ResetRequestRow


@dataclass(frozen=True)
class ShiftWindow:
    """The shift on now (H13.1) as epoch seconds; without shifts, today since local midnight."""

    id: str | None
    name: str
    start: float
    end: float
    starts: str = ""
    """The shift's own wall times (HH:MM in the company's zone), as the lead knows them."""
    ends: str = ""


def iso_epoch(value: Any) -> float | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def current_shift(shifts: list[dict[str, Any]], now: float, zone: dt.tzinfo) -> ShiftWindow:
    """The team's shift whose wall-clock window in the company's `zone` (H13.1) holds `now`
    (a night shift crosses midnight: 17:00-01:00 at 00:30 started yesterday); the
    earliest-started if several."""
    local = dt.datetime.fromtimestamp(now, zone)
    found: list[ShiftWindow] = []
    for shift in shifts:
        try:
            starts = dt.time.fromisoformat(str(shift["starts"]))
            ends = dt.time.fromisoformat(str(shift["ends"]))
        except (KeyError, ValueError):
            continue
        for days_back in (0, 1):
            day = local.date() - dt.timedelta(days=days_back)
            begin = dt.datetime.combine(day, starts, local.tzinfo)
            finish = dt.datetime.combine(day + dt.timedelta(days=int(ends <= starts)), ends,
                                         local.tzinfo)
            if begin <= local < finish:
                found.append(ShiftWindow(str(shift.get("id")), str(shift.get("name", "")),
                                         begin.timestamp(), finish.timestamp(),
                                         starts.strftime("%H:%M"), ends.strftime("%H:%M")))
    if found:
        return min(found, key=lambda w: (w.start, w.name))
    midnight = dt.datetime.combine(local.date(), dt.time(), local.tzinfo)
    return ShiftWindow(None, "", midnight.timestamp(), midnight.timestamp() + 86400)


@dataclass(frozen=True)
class AgentLine:
    id: str
    name: str
    role: str
    connection: str
    """online / busy / away / offline, or degraded (the snapshot's H1.12 liveness)."""
    load: int
    waiting_since: float | None
    """Epoch seconds of the longest-waiting customer among the agent's open conversations."""
    breaches: int
    """Late first responses this shift plus customers waiting beyond the standard now."""
    last_activity: float | None
    locked: bool
    lock_reason: str


@dataclass(frozen=True)
class QueueLine:
    conversation_id: str
    customer: str
    since: float
    complaint: bool


@dataclass(frozen=True)
class HandoverLine:
    handover_id: str
    item: int
    kind: str
    text: str
    from_name: str
    to_name: str
    created: float
    overdue: bool


@dataclass(frozen=True)
class SurgeLine:
    id: str
    source: str
    started: float
    note: str


@dataclass(frozen=True)
class BoardView:
    team_id: str
    team_name: str
    shift: ShiftWindow
    standard_s: int
    agents: tuple[AgentLine, ...]
    queue: tuple[QueueLine, ...]
    handovers: tuple[HandoverLine, ...]
    resets: tuple[ResetRequestRow, ...]
    surge: SurgeLine | None
    snapshot_at: float | None
    """When the server's snapshot (liveness, locks, reset requests) was fetched; None: never."""
    offline: bool
    """The last snapshot refresh failed: the board shows the state as of `snapshot_at`."""


@dataclass(frozen=True)
class OpenLine:
    conversation_id: str
    customer: str
    waiting_since: float | None


@dataclass(frozen=True)
class ProblemLine:
    id: str
    agent_name: str
    text: str
    category: str
    created: float
    reviewed: bool
    comment: str

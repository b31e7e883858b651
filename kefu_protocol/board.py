"""Protocol v1, the lead's side: board, activity timeline and metrics (H13.3, H12.1, H1.11).

Part of the one wire-format definition (with kefu_protocol.wire), imported by client and server.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import StringConstraints

from kefu_protocol.wire import Loose, Strict

# ---- the lead's board and metrics (REST, leads and above; H13.3, H12.1) -----------------------

Connection = Literal["online", "busy", "away", "offline", "degraded"]


class PasswordResetRequestBody(Strict):
    """POST /api/v1/auth/password-reset-requests (no token): always 202, whether or not the
    account exists (H1.11); a lead approves it from the board."""

    account: Annotated[str, StringConstraints(max_length=200)]


class BoardAgent(Loose):
    id: str
    name: str
    account: str
    role: str
    presence: str
    # presence, or "degraded" when not heard from for DEGRADED_AFTER_S (H1.12)
    connection: Connection
    last_seen_at: str | None
    last_login_at: str | None
    locked: bool
    lock_reason: str  # "" | "failed_logins" (H1.10) | "late_login" (H1.3)
    locked_until: str | None
    shift_id: str | None  # the shift the agent is rostered on now, if any


class ResetRequestRow(Loose):
    id: str
    agent_id: str
    account: str
    name: str
    requested_at: str


class BoardSnapshot(Loose):
    """GET /api/v1/board/{team_id}: what the cache cannot know (liveness, locks, reset
    requests); the live conversation part the client computes from its own cache."""

    team_id: str
    at: str
    agents: list[BoardAgent]
    reset_requests: list[ResetRequestRow]


DEGRADED_AFTER_S = 75


class ActivityRow(Loose):
    at: str
    # login, logout, presence, accepted, closed, transferred_in, transferred_out, reassigned,
    # breach, handover_sent, handover_acked, forced_offline, unlocked, late_locked, problem
    kind: str
    conversation_id: str | None = None
    detail: dict[str, Any] = {}


class ActivityPage(Loose):
    """GET /api/v1/board/{team_id}/agents/{agent_id}/activity?start=&end= (ISO), oldest first."""

    agent_id: str
    events: list[ActivityRow]


class AgentMetrics(Loose):
    """H12.1 for one agent (or the whole team: agent_id "") over a time window."""

    agent_id: str
    name: str
    served: int
    first_response_median_ms: int | None
    first_response_p90_ms: int | None
    breaches: int
    resolved: int
    resolution_rate: float | None
    rated: int
    csat_avg: float | None
    csat_satisfied_rate: float | None  # share of ratings 4 or 5
    converted: int
    conversion_rate: float | None


class MetricsReport(Loose):
    """GET /api/v1/metrics?team_id=&start=&end= or ?team_id=&shift_id=&date=YYYY-MM-DD."""

    team_id: str
    start: str
    end: str
    shift_id: str | None
    agents: list[AgentMetrics]
    total: AgentMetrics

"""Opening and closing scripts (H3.6, H8.3, H14.4): the team's templates, filled in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.models.store import Store
from app.models.tables import Record
from kefu_protocol.wire import (
    HANDOVER_ALERT_MIN,
    LATE_LOGIN_GRACE_MIN,
    effective_scripts,
    render_script,
)

ScriptKind = Literal["greeting", "closing_check", "thanks", "rating_request"]


@dataclass(frozen=True)
class ShiftRules:
    """The team's H1.3 late-login lock and grace, and the H13.2 handover alert (minutes)."""

    late_login_lock: bool
    late_login_grace_min: int
    handover_alert_min: int


class ScriptService:
    """Reads the team row on the caller's thread; leads edit templates with team.configure."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def templates(self, team_id: str) -> dict[str, str]:
        with self.store.read() as session:
            team = session.get(Record, ("team", team_id))
            custom = (team.data or {}).get("scripts") if team is not None else None
        return effective_scripts(custom if isinstance(custom, dict) else None)

    def standards(self, team_id: str) -> tuple[str, int, int]:
        """(team name, first reply seconds, complaint reply seconds) (H8.1)."""
        with self.store.read() as session:
            team = session.get(Record, ("team", team_id))
            data = team.data if team is not None else {}
        return (str(data.get("name", "")), int(data.get("first_response_s") or 30),
                int(data.get("complaint_response_s") or 300))

    def shift_rules(self, team_id: str) -> ShiftRules:
        """The team row's shift rules, with the server's defaults for an older row."""
        with self.store.read() as session:
            team = session.get(Record, ("team", team_id))
            data = team.data if team is not None else {}
        lock = data.get("late_login_lock")
        return ShiftRules(late_login_lock=True if lock is None else bool(lock),
                          late_login_grace_min=int(data.get("late_login_grace_min")
                                                   or LATE_LOGIN_GRACE_MIN),
                          handover_alert_min=int(data.get("handover_alert_min")
                                                 or HANDOVER_ALERT_MIN))

    def text(self, kind: ScriptKind, *, team_id: str, agent: str, customer: str) -> str:
        return render_script(self.templates(team_id)[kind], agent=agent, customer=customer)

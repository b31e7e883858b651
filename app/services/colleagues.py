"""Colleagues for the transfer picker (H3.4): who is there, in which team, how loaded."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.models.store import Store
from app.models.tables import Conversation, Record

PRESENCE_ORDER = {"online": 0, "busy": 1, "away": 2, "offline": 3}


@dataclass(frozen=True)
class Colleague:
    id: str
    name: str
    employee_id: str
    team_id: str
    team: str
    role: str
    presence: str
    load: int
    """Open conversations this colleague owns in this desk's cache."""
    grants: tuple[str, ...] = ()

    @property
    def reachable(self) -> bool:
        """The server refuses a transfer to someone offline."""
        return self.presence != "offline"


class ColleagueService:
    """Reads on the caller's thread."""

    def __init__(self, store: Store, *, agent_id: str) -> None:
        self.store = store
        self.agent_id = agent_id

    def all(self, *, include_me: bool = False) -> list[Colleague]:
        """Reachable first, then by load, then by name."""
        with self.store.read() as session:
            agents = session.scalars(select(Record.data).where(Record.entity == "agent")).all()
            teams = dict(session.execute(
                select(Record.id, func.json_extract(Record.data, "$.name"))
                .where(Record.entity == "team")).all())
            loads = dict(session.execute(
                select(Conversation.agent_id, func.count())
                .where(Conversation.state == "open", Conversation.agent_id.is_not(None))
                .group_by(Conversation.agent_id)).all())
        people = [
            Colleague(id=str(a["id"]), name=str(a.get("name", "")),
                      employee_id=str(a.get("employee_id", "")),
                      team_id=str(a.get("team_id", "")),
                      team=str(teams.get(a.get("team_id"), "") or ""),
                      role=str(a.get("role", "agent")),
                      presence=str(a.get("presence") or "offline"),
                      load=int(loads.get(a["id"], 0)),
                      grants=tuple(a.get("grants") or ()))
            for a in agents
            if not a.get("disabled") and (include_me or a.get("id") != self.agent_id)
        ]
        return sorted(people, key=lambda c: (PRESENCE_ORDER.get(c.presence, 9), c.load, c.name))

    def names(self) -> dict[str, str]:
        with self.store.read() as session:
            rows = session.execute(
                select(Record.id, func.json_extract(Record.data, "$.name"))
                .where(Record.entity == "agent")).all()
        return {rid: str(name or "") for rid, name in rows}

    def me(self) -> Colleague | None:
        return next((c for c in self.all(include_me=True) if c.id == self.agent_id), None)

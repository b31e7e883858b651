"""Who is calling: the authenticated agent and the scopes their token grants (never the request)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu_protocol.wire import ROLE_RANK, has_permission
from server import models as m
from server.changes import agent_scope, company_scope, lead_scope, team_scope


@dataclass(frozen=True)
class Principal:
    agent_id: str
    account: str
    name: str
    role: str
    team_id: str
    company_id: str
    team_ids: tuple[str, ...]
    session_id: str
    device_id: str
    grants: tuple[str, ...] = ()

    def can(self, permission: str) -> bool:
        """H10.2: the role's default permissions plus the agent's own grants."""
        return has_permission(self.role, self.grants, permission)

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def sees_team(self, team_id: str) -> bool:
        return team_id in self.team_ids

    @property
    def scopes(self) -> list[str]:
        """The feed scopes this agent replicates: their teams, themselves, their company, and
        for leads and above the lead scope of each team they manage."""
        leads = self.team_ids if self.at_least("lead") else ()
        return [
            *(team_scope(t) for t in self.team_ids),
            *(lead_scope(t) for t in leads),
            agent_scope(self.agent_id),
            company_scope(self.company_id),
        ]


def visible_team_ids(session: Session, agent: m.Agent) -> tuple[str, ...]:
    """An agent sees their team; leads and supervisors also the teams they manage; admins all."""
    if agent.role == "admin":
        ids = session.scalars(select(m.Team.id).where(m.Team.company_id == agent.company_id))
        return tuple(sorted(ids))
    teams = {agent.team_id}
    if agent.role in ("lead", "supervisor"):
        teams.update(
            session.scalars(select(m.TeamManager.team_id).where(m.TeamManager.agent_id == agent.id))
        )
    return tuple(sorted(teams))


def principal_for(session: Session, agent: m.Agent, auth: m.AuthSession) -> Principal:
    return Principal(
        agent_id=agent.id,
        account=agent.account,
        name=agent.name,
        role=agent.role,
        team_id=agent.team_id,
        company_id=agent.company_id,
        team_ids=visible_team_ids(session, agent),
        session_id=auth.id,
        device_id=auth.device_id,
        grants=tuple(str(g) for g in (agent.grants or ())),
    )

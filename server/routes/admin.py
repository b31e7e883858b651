"""Account administration for leads and above (H1.10, H1.11, H14.2, H14.5)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select

from kefu_protocol.wire import ROLE_RANK, AgentGrantsRequest
from server import auth
from server import models as m
from server.activity import record
from server.changes import team_scope
from server.deps import PrincipalDep, StateDep, require_role
from server.errors import ApiError
from server.principal import Principal

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class AgentRow(BaseModel):
    id: str
    account: str
    name: str
    role: str
    team_id: str
    presence: str
    locked_until: str | None
    must_change_password: bool


class AuditRow(BaseModel):
    at: str
    kind: str
    account: str
    agent_id: str | None
    actor_id: str | None
    address: str
    detail: dict[str, Any]


class BlockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["visitor_key", "address"]
    value: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    reason: Annotated[str, StringConstraints(max_length=200)] = ""


def _managed_agent(session: Any, principal: Principal, agent_id: str) -> m.Agent:
    """A lead acts on agents of the teams they manage; nobody acts across companies."""
    require_role(principal, "lead")
    agent = session.get(m.Agent, agent_id, with_for_update=True)
    if agent is None or agent.company_id != principal.company_id:
        raise ApiError("not_found")
    if not principal.sees_team(agent.team_id):
        raise ApiError("forbidden")
    if ROLE_RANK[agent.role] >= ROLE_RANK[principal.role] and principal.role != "admin":
        raise ApiError("forbidden")
    return agent


@router.get("/agents", response_model=list[AgentRow], summary="Agents of the teams you manage")
def list_agents(principal: PrincipalDep, state: StateDep) -> list[AgentRow]:
    require_role(principal, "lead")
    with state.db.read() as session:
        agents = session.scalars(
            select(m.Agent).where(m.Agent.team_id.in_(principal.team_ids)).order_by(m.Agent.account)
        ).all()
        return [
            AgentRow(id=a.id, account=a.account, name=a.name, role=a.role, team_id=a.team_id,
                     presence=a.presence,
                     locked_until=a.locked_until.isoformat() if a.locked_until else None,
                     must_change_password=a.must_change_password)
            for a in agents
        ]


@router.post("/agents/{agent_id}/unlock",
             summary="Unlock a locked account early (H1.10), or let a late agent in (H1.3)")
def unlock(agent_id: str, principal: PrincipalDep, state: StateDep) -> dict[str, bool]:
    with state.db.write() as session:
        auth.unlock(session, state.settings, principal,
                    _managed_agent(session, principal, agent_id))
    return {"ok": True}


@router.post("/agents/{agent_id}/force-offline",
             summary="End every session of an agent and set them offline (H13.3)")
def force_offline(agent_id: str, principal: PrincipalDep, state: StateDep) -> dict[str, int]:
    with state.changing() as changes:
        agent = _managed_agent(changes.session, principal, agent_id)
        revoked = auth.revoke_sessions(changes.session, agent)
        agent.presence = "offline"
        agent.version = (agent.version or 0) + 1
        changes.session.flush()
        changes.upsert(team_scope(agent.team_id), agent)
        record(changes.session, agent_id=agent.id, team_id=agent.team_id, kind="forced_offline",
               by=principal.agent_id, sessions=revoked)
        auth.audit(changes.session, "forced_offline", account=agent.account, agent_id=agent.id,
                   actor_id=principal.agent_id, sessions=revoked)
    return {"revoked": revoked}


def _pending_request(session: Any, principal: Principal, request_id: str) -> m.ResetRequest:
    require_role(principal, "lead")
    row = session.get(m.ResetRequest, request_id, with_for_update=True)
    if row is None or row.state != "pending":
        raise ApiError("reset_request_not_found")
    agent = session.get(m.Agent, row.agent_id)
    if agent is None or agent.company_id != principal.company_id:
        raise ApiError("reset_request_not_found")
    return row


@router.post("/reset-requests/{request_id}/approve",
             summary="Approve a forgotten-password request: back to the initial password (H1.11)")
def approve_reset(request_id: str, principal: PrincipalDep, state: StateDep) -> dict[str, bool]:
    with state.db.write() as session:
        row = _pending_request(session, principal, request_id)
        auth.reset_password(session, principal, _managed_agent(session, principal, row.agent_id))
        row.state, row.decided_by, row.decided_at = "approved", principal.agent_id, m.utcnow()
    return {"ok": True}


@router.post("/reset-requests/{request_id}/dismiss",
             summary="Dismiss a forgotten-password request (H1.11)")
def dismiss_reset(request_id: str, principal: PrincipalDep, state: StateDep) -> dict[str, bool]:
    with state.db.write() as session:
        row = _pending_request(session, principal, request_id)
        agent = _managed_agent(session, principal, row.agent_id)
        row.state, row.decided_by, row.decided_at = "dismissed", principal.agent_id, m.utcnow()
        auth.audit(session, "password_reset_dismissed", account=agent.account,
                   agent_id=agent.id, actor_id=principal.agent_id)
    return {"ok": True}


@router.post("/agents/{agent_id}/reset-password",
             summary="Reset to the initial password and force a change (H1.11)")
def reset_password(agent_id: str, principal: PrincipalDep, state: StateDep) -> dict[str, bool]:
    with state.db.write() as session:
        auth.reset_password(session, principal, _managed_agent(session, principal, agent_id))
    return {"ok": True}


@router.put("/agents/{agent_id}/grants",
            summary="Per-permission grants on top of the agent's role (H10.2)")
def set_grants(agent_id: str, body: AgentGrantsRequest, principal: PrincipalDep,
               state: StateDep) -> dict[str, list[str]]:
    require_role(principal, "supervisor")
    grants = sorted(set(body.grants))
    with state.changing() as changes:
        agent = _managed_agent(changes.session, principal, agent_id)
        if list(agent.grants or []) != grants:
            agent.grants = grants
            agent.version = (agent.version or 0) + 1
            changes.session.flush()
            changes.upsert(team_scope(agent.team_id), agent)
        auth.audit(changes.session, "agent.grants", account=agent.account, agent_id=agent.id,
                   actor_id=principal.agent_id, grants=grants)
    return {"grants": grants}


@router.get("/audit", response_model=list[AuditRow], summary="Login log (H14.5)")
def audit_log(
    principal: PrincipalDep,
    state: StateDep,
    account: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditRow]:
    require_role(principal, "supervisor")
    with state.db.read() as session:
        company_agents = select(m.Agent.id).where(m.Agent.company_id == principal.company_id)
        stmt = select(m.AuditLog).where(m.AuditLog.agent_id.in_(company_agents))
        if account:
            stmt = stmt.where(m.AuditLog.account == account)
        rows = session.scalars(stmt.order_by(m.AuditLog.id.desc()).limit(limit)).all()
        return [
            AuditRow(at=r.at.isoformat(), kind=r.kind, account=r.account, agent_id=r.agent_id,
                     actor_id=r.actor_id, address=r.address, detail=r.detail)
            for r in rows
        ]


@router.post("/visitor-blocks", summary="Block a visitor (访客阻止, H14.2)")
def block_visitor(body: BlockRequest, principal: PrincipalDep, state: StateDep) -> dict[str, str]:
    require_role(principal, "lead")
    block_id = str(uuid.uuid4())
    with state.db.write() as session:
        session.add(m.VisitorBlock(id=block_id, company_id=principal.company_id, kind=body.kind,
                                   value=body.value, reason=body.reason))
        auth.audit(session, "visitor_blocked", actor_id=principal.agent_id,
                   block_kind=body.kind)
    return {"id": block_id}

"""Mutators for the agent's workstation: escalate (H11.2), ask for a rating (H14.4), team setup."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select

from kefu_protocol.wire import (
    SCRIPT_FIELDS,
    ConversationEscalate,
    ConversationRef,
    TeamConfigure,
    effective_scripts,
    render_script,
)
from server import models as m
from server.changes import agent_scope, team_scope
from server.chat import append_message, touch
from server.mutations.base import MutationContext, Mutator, Rejected, bump
from server.mutations.conversations import load_conversation

ESCALATION_NOTE_ZH = "升级投诉：{reason}"
# Who takes an escalated complaint: a supervisor, else a lead, else an admin (second level).
_ESCALATION_TIERS = ("supervisor", "lead", "admin")


def _require_owner_or_lead(ctx: MutationContext, conv: m.Conversation) -> None:
    """Stricter than sending: an unowned conversation is the lead's, not any agent's."""
    if conv.agent_id == ctx.principal.agent_id or ctx.principal.at_least("lead"):
        return
    owner = ctx.session.get(m.Agent, conv.agent_id) if conv.agent_id else None
    raise Rejected("not_owner", owner=owner.name if owner else "")


def escalation_target(ctx: MutationContext, conv: m.Conversation) -> m.Agent | None:
    """A supervisor of the conversation's team (its own or one they manage; admins manage all):
    the highest tier that has one, online before not, the caller last, then by employee ID."""
    managers = select(m.TeamManager.agent_id).where(m.TeamManager.team_id == conv.team_id)
    candidates = ctx.session.scalars(
        select(m.Agent).where(
            m.Agent.company_id == ctx.principal.company_id,
            m.Agent.disabled.is_(False),
            m.Agent.role.in_(_ESCALATION_TIERS),
            or_(m.Agent.team_id == conv.team_id, m.Agent.id.in_(managers),
                m.Agent.role == "admin"),
        )
    ).all()
    if not candidates:
        return None

    def rank(agent: m.Agent) -> tuple[int, bool, bool, str, str]:
        return (_ESCALATION_TIERS.index(agent.role), agent.id == ctx.principal.agent_id,
                agent.presence != "online", agent.employee_id, agent.id)

    return min(candidates, key=rank)


def _team_note(ctx: MutationContext, conv: m.Conversation, text: str) -> None:
    note = m.Note(
        id=str(uuid.uuid4()), team_id=conv.team_id, customer_id=conv.customer_id,
        conversation_id=conv.id, author_id=ctx.principal.agent_id,
        updated_by=ctx.principal.agent_id, text=text, created_at=ctx.now, updated_at=ctx.now,
    )
    ctx.session.add(note)
    ctx.publish_team(note, conv.team_id)


def escalate(ctx: MutationContext, args: ConversationEscalate) -> None:
    """H11.2: complaint flag + supervisor + a team-private note; the customer is not told.
    Escalating again only adds the note (the first reason and supervisor stay)."""
    conv = load_conversation(ctx, args.conversation_id)
    if conv.state == "closed":
        raise Rejected("conversation_closed")
    _require_owner_or_lead(ctx, conv)
    _team_note(ctx, conv, ESCALATION_NOTE_ZH.format(reason=args.reason))
    if conv.escalated_at is not None:
        return
    target = escalation_target(ctx, conv)
    conv.is_complaint = True  # the team's complaint_response_s applies from now on (H8.1)
    conv.escalated_at = ctx.now
    conv.escalation_reason = args.reason
    conv.escalated_to_id = target.id if target else None
    touch(conv)
    ctx.publish_team(conv, conv.team_id)  # no message: the customer's page is not woken
    if target is not None:
        notice = {"kind": "escalation", "conversation_id": conv.id, "reason": args.reason,
                  "by": ctx.principal.agent_id, "at": ctx.now.isoformat()}
        ctx.changes.emit(agent_scope(target.id), "notice", str(uuid.uuid4()), "notice", notice)


def request_rating(ctx: MutationContext, args: ConversationRef) -> None:
    """H14.4: the team's rating request goes to the customer once; their page shows the form."""
    conv = load_conversation(ctx, args.conversation_id)
    _require_owner_or_lead(ctx, conv)
    if conv.rating_requested_at is not None or conv.rating is not None:
        return
    team = ctx.session.get(m.Team, conv.team_id)
    customer = ctx.session.get(m.Customer, conv.customer_id)
    owner = ctx.session.get(m.Agent, conv.agent_id) if conv.agent_id else None
    template = effective_scripts(team.scripts if team else None)["rating_request"]
    text = render_script(template, agent=owner.name if owner else ctx.principal.name,
                         customer=customer.nickname if customer else "")
    conv.rating_requested_at = ctx.now
    append_message(ctx.session, ctx.changes, conv, sender="system", text=text, now=ctx.now)


def _may_configure(ctx: MutationContext, team: m.Team) -> bool:
    if ctx.principal.role == "admin":
        return True
    return ctx.principal.sees_team(team.id) and ctx.principal.can("team.configure")


def team_configure(ctx: MutationContext, args: TeamConfigure) -> None:
    """H8.1 response standards, H3.6 scripts, the H1.3 late-login lock and the H13.2 handover
    alert, by the team's lead or supervisor (or admin)."""
    team = ctx.session.get(m.Team, args.team_id, with_for_update=True)
    if team is None or team.company_id != ctx.principal.company_id:
        raise Rejected("team_not_found")
    if not _may_configure(ctx, team):
        raise Rejected("permission_denied", detail="只有本组组长、主管或管理员可以修改团队设置")
    if args.first_response_s is not None:
        team.first_response_s = args.first_response_s
    if args.complaint_response_s is not None:
        team.complaint_response_s = args.complaint_response_s
    for field in ("late_login_lock", "late_login_grace_min", "handover_alert_min"):
        value = getattr(args, field)  # H1.3 lock and grace, H13.2 handover alert
        if value is not None:
            setattr(team, field, value)
    if args.scripts is not None:
        scripts = dict(team.scripts or {})
        for key in SCRIPT_FIELDS:
            value = getattr(args.scripts, key)
            if value is None:
                continue
            if value.strip():
                scripts[key] = value
            else:
                scripts.pop(key, None)  # "" puts the default back
        team.scripts = scripts
    bump(team)
    ctx.publish(team_scope(team.id), team)


MUTATORS: dict[str, Mutator] = {
    "conversation.escalate": escalate,
    "conversation.request_rating": request_rating,
    "team.configure": team_configure,
}

"""Mutators for shifts and their roster (H13.1), edited by the team's leads."""

from __future__ import annotations

from sqlalchemy import select

from kefu_protocol.wire import ShiftDelete, ShiftUpsert
from server import models as m
from server.changes import team_scope
from server.mutations.base import MutationContext, Mutator, Rejected, bump


def _require_lead_of(ctx: MutationContext, team_id: str) -> m.Team:
    """Leads and above, of a team they manage (their own or a managed one), same company."""
    team = ctx.session.get(m.Team, team_id)
    if team is None or team.company_id != ctx.principal.company_id:
        raise Rejected("team_not_found")
    if not (ctx.principal.at_least("lead") and ctx.principal.sees_team(team_id)):
        raise Rejected("forbidden_action", detail="只有本组组长或主管可以编辑班次")
    return team


def shift_upsert(ctx: MutationContext, args: ShiftUpsert) -> None:
    """Creates or edits a shift and its roster; every rostered agent must be of that team."""
    team = _require_lead_of(ctx, args.team_id)
    shift = ctx.session.get(m.Shift, args.id, with_for_update=True)
    if shift is not None and shift.team_id != team.id:
        raise Rejected("shift_not_found")  # ids are not reused across teams
    roster = list(dict.fromkeys(args.agent_ids))
    if roster:
        members = set(ctx.session.scalars(
            select(m.Agent.id).where(m.Agent.id.in_(roster), m.Agent.team_id == team.id)
        ))
        strangers = [a for a in roster if a not in members]
        if strangers:
            raise Rejected("forbidden_action", detail="排班只能安排本组的客服")
    if shift is None:
        shift = m.Shift(id=args.id, team_id=team.id, name=args.name, starts=args.starts,
                        ends=args.ends, agent_ids=roster, version=1)
        ctx.session.add(shift)
    else:
        if (shift.name, shift.starts, shift.ends, list(shift.agent_ids or [])) == (
                args.name, args.starts, args.ends, roster):
            return
        shift.name, shift.starts, shift.ends, shift.agent_ids = (
            args.name, args.starts, args.ends, roster)
        bump(shift)
    ctx.publish(team_scope(team.id), shift)


def shift_delete(ctx: MutationContext, args: ShiftDelete) -> None:
    shift = ctx.session.get(m.Shift, args.id, with_for_update=True)
    if shift is None:
        raise Rejected("shift_not_found")
    team = ctx.session.get(m.Team, shift.team_id)
    if team is None or team.company_id != ctx.principal.company_id:
        raise Rejected("shift_not_found")
    _require_lead_of(ctx, team.id)
    ctx.changes.delete(team_scope(team.id), shift)
    ctx.session.delete(shift)


MUTATORS: dict[str, Mutator] = {
    "shift.upsert": shift_upsert,
    "shift.delete": shift_delete,
}

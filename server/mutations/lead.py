"""Mutators of the lead's desk: problem log, surge, conversions, bulk reassign (H13, H11.4)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

from sqlalchemy import func, select

from kefu_protocol.wire import (
    BulkReassign,
    ConversationConvert,
    ProblemAdd,
    ProblemReview,
    SurgeDeclare,
    SurgeEnd,
)
from server import activity
from server import models as m
from server.changes import agent_scope, lead_scope
from server.chat import FeedBatch, drain_queue, touch
from server.mutations.base import MutationContext, Mutator, Rejected, bump
from server.mutations.conversations import load_conversation, transfer_conversation
from server.surge import active_surge, baseline, current_rate

_CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit


def _require_lead(ctx: MutationContext, detail: str) -> None:
    if not ctx.principal.at_least("lead"):
        raise Rejected("forbidden_action", detail=detail)


# ---- bulk reassignment (H13.3) ---------------------------------------------------------------


def bulk_reassign(ctx: MutationContext, args: BulkReassign) -> None:
    """H13.3: a lead of the from-agent's team moves the chosen (or all) open conversations of
    `from_agent_id` to `to_agent_ids`, each to the least loaded receiver at that moment (ties
    in turn), each a transfer (H3.4) with the customer told when `notify_customers`. Receivers
    may be offline (the lead decides; e.g. the incoming shift). The conversations are read in
    one locked query, the loads counted once, the feed written after one flush, the old team's
    queue drained once at the end."""
    _require_lead(ctx, "只有组长可以批量转移会话")
    source = ctx.session.get(m.Agent, args.from_agent_id)
    if source is None or source.company_id != ctx.principal.company_id:
        raise Rejected("target_unavailable", detail="找不到原负责同事")
    if not ctx.principal.sees_team(source.team_id):
        raise Rejected("forbidden_action", detail="只能转移本组同事的会话")
    targets = _receivers(ctx, args.to_agent_ids, source.id)
    conversations = _open_conversations(ctx, source.id, args.conversation_ids)
    if not conversations:
        raise Rejected("nothing_to_reassign")
    loads = _loads(ctx, [t.id for t in targets])
    turn = itertools.count()
    heap = [(loads.get(t.id, 0), next(turn), i) for i, t in enumerate(targets)]
    heapq.heapify(heap)
    teams_left: set[str] = set()
    batch = FeedBatch()
    for conv in conversations:
        load, _turn, index = heapq.heappop(heap)
        teams_left.add(conv.team_id)
        transfer_conversation(ctx, conv, targets[index], note="", drain=False, batch=batch,
                              notify_customer=args.notify_customers, activity_kind="reassigned")
        heapq.heappush(heap, (load + 1, next(turn), index))
    batch.write(ctx.session, ctx.changes)
    for team_id in sorted(teams_left):
        drain_queue(ctx.session, ctx.changes, team_id, now=ctx.now,
                    presence_ttl_s=ctx.settings.presence_ttl_s)


def _receivers(ctx: MutationContext, ids: Sequence[str], source_id: str) -> list[m.Agent]:
    unique = list(dict.fromkeys(ids))
    found = {a.id: a for a in ctx.session.scalars(select(m.Agent).where(m.Agent.id.in_(unique)))}
    targets = []
    for agent_id in unique:
        agent = found.get(agent_id)
        if (agent is None or agent.company_id != ctx.principal.company_id or agent.disabled
                or agent.id == source_id):
            raise Rejected("target_unavailable", detail="接收同事不存在或不可用")
        targets.append(agent)
    return targets


def _open_conversations(
    ctx: MutationContext, agent_id: str, ids: Sequence[str] | None
) -> list[m.Conversation]:
    """The agent's open conversations (oldest first), optionally only those in `ids`."""
    base = (select(m.Conversation)
            .where(m.Conversation.agent_id == agent_id, m.Conversation.state == "open")
            .order_by(m.Conversation.created_at, m.Conversation.id)
            .with_for_update())
    if ids is None:
        return list(ctx.session.scalars(base))
    wanted = list(dict.fromkeys(ids))
    rows: list[m.Conversation] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        rows.extend(ctx.session.scalars(base.where(m.Conversation.id.in_(chunk))))
    rows.sort(key=lambda c: (c.created_at, c.id))
    return rows


def _loads(ctx: MutationContext, agent_ids: list[str]) -> dict[str, int]:
    rows = ctx.session.execute(
        select(m.Conversation.agent_id, func.count())
        .where(m.Conversation.agent_id.in_(agent_ids), m.Conversation.state == "open")
        .group_by(m.Conversation.agent_id)
    ).all()
    return {str(agent_id): int(count) for agent_id, count in rows}


# ---- the problem log (H13.4) -----------------------------------------------------------------


def _publish_problem(ctx: MutationContext, problem: m.Problem) -> None:
    ctx.publish(agent_scope(problem.agent_id), problem)
    ctx.changes.upsert(lead_scope(problem.team_id), problem)


def problem_add(ctx: MutationContext, args: ProblemAdd) -> None:
    """Any agent logs a problem met during the shift; they and the team's leads see it."""
    existing = ctx.session.get(m.Problem, args.id)
    if existing is not None:
        if existing.agent_id == ctx.principal.agent_id:
            return  # replayed
        raise Rejected("problem_not_found")
    if args.conversation_id is not None:
        load_conversation(ctx, args.conversation_id)  # must be one the agent can see
    problem = m.Problem(
        id=args.id, team_id=ctx.principal.team_id, agent_id=ctx.principal.agent_id,
        shift_id=args.shift_id, conversation_id=args.conversation_id, category=args.category,
        text=args.text, created_at=ctx.now, review_comment="",
    )
    ctx.session.add(problem)
    activity.record(ctx.session, agent_id=problem.agent_id, team_id=problem.team_id,
                    kind="problem", at=ctx.now, conversation_id=args.conversation_id,
                    problem_id=problem.id, category=args.category)
    _publish_problem(ctx, problem)


def problem_review(ctx: MutationContext, args: ProblemReview) -> None:
    """A lead of the team marks an entry reviewed (the first review's time and reviewer stay;
    a later review replaces the comment)."""
    problem = ctx.session.get(m.Problem, args.id, with_for_update=True)
    visible = problem is not None and (
        ctx.principal.sees_team(problem.team_id) or problem.agent_id == ctx.principal.agent_id)
    if problem is None or not visible:
        raise Rejected("problem_not_found")
    _require_lead(ctx, "只有组长可以审阅问题记录")
    if not ctx.principal.sees_team(problem.team_id):
        raise Rejected("problem_not_found")
    if problem.reviewed_at is not None and problem.review_comment == args.comment:
        return
    if problem.reviewed_at is None:
        problem.reviewed_at, problem.reviewed_by = ctx.now, ctx.principal.agent_id
    problem.review_comment = args.comment
    bump(problem)
    _publish_problem(ctx, problem)


# ---- surge (H11.4) ---------------------------------------------------------------------------


def surge_declare(ctx: MutationContext, args: SurgeDeclare) -> None:
    """A lead declares a level-1 surge for a team they manage (one active at a time)."""
    existing = ctx.session.get(m.Surge, args.id)
    if existing is not None and existing.declared_by == ctx.principal.agent_id:
        return  # replayed
    _require_lead(ctx, "只有组长可以宣布高峰响应")
    team = ctx.session.get(m.Team, args.team_id, with_for_update=True)
    if team is None or not ctx.principal.sees_team(team.id) or existing is not None:
        raise Rejected("team_not_found")
    if active_surge(ctx.session, team.id) is not None:
        raise Rejected("surge_active")
    surge = m.Surge(
        id=args.id, team_id=team.id, source="lead", started_at=ctx.now,
        rate_per_hour=current_rate(ctx.session, team.id, ctx.now),
        baseline_per_hour=baseline(ctx.session, team.id, ctx.now, ctx.settings.timezone),
        declared_by=ctx.principal.agent_id, note=args.note,
    )
    ctx.session.add(surge)
    ctx.publish_team(surge, team.id)


def surge_end(ctx: MutationContext, args: SurgeEnd) -> None:
    """A lead ends the surge (declared or detected: an auto surge only ends this way)."""
    _require_lead(ctx, "只有组长可以结束高峰响应")
    surge = ctx.session.get(m.Surge, args.id, with_for_update=True)
    if surge is None or not ctx.principal.sees_team(surge.team_id) or surge.ended_at is not None:
        raise Rejected("surge_not_found")
    surge.ended_at, surge.ended_by = ctx.now, ctx.principal.agent_id
    bump(surge)
    ctx.publish_team(surge, surge.team_id)


# ---- conversions (H12.1) ---------------------------------------------------------------------


def convert(ctx: MutationContext, args: ConversationConvert) -> None:
    """The owner (or a lead) marks the conversation converted (a sale), or clears the mark."""
    conv = load_conversation(ctx, args.conversation_id)
    if conv.agent_id != ctx.principal.agent_id and not ctx.principal.at_least("lead"):
        owner = ctx.session.get(m.Agent, conv.agent_id) if conv.agent_id else None
        raise Rejected("not_owner", owner=owner.name if owner else "")
    if (conv.converted_at is not None) == args.converted:
        return
    conv.converted_at = ctx.now if args.converted else None
    touch(conv)
    ctx.publish_team(conv, conv.team_id)  # not a customer-visible change: no page wake-up


MUTATORS: dict[str, Mutator] = {
    "conversation.bulk_reassign": bulk_reassign,
    "conversation.convert": convert,
    "problem.add": problem_add,
    "problem.review": problem_review,
    "surge.declare": surge_declare,
    "surge.end": surge_end,
}

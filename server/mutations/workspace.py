"""Mutators for the agent's workspace: presence, settings, quick phrases, handovers (H13.2)."""

from __future__ import annotations

import json

from kefu_protocol.wire import (
    MAX_SETTING_BYTES,
    HandoverAck,
    HandoverCreate,
    PresenceSet,
    QuickPhraseDelete,
    QuickPhraseUpsert,
    SettingSet,
)
from server import models as m
from server.changes import agent_scope, team_scope
from server.chat import drain_queue
from server.mutations.base import MutationContext, Mutator, Rejected, bump


def presence_set(ctx: MutationContext, args: PresenceSet) -> None:
    agent = ctx.session.get(m.Agent, ctx.principal.agent_id, with_for_update=True)
    assert agent is not None
    agent.last_seen_at = ctx.now
    if agent.presence != args.status:
        agent.presence = args.status
        bump(agent)
        ctx.publish_team(agent, agent.team_id)
    if args.status == "online":
        drain_queue(ctx.session, ctx.changes, agent.team_id, now=ctx.now,
                    presence_ttl_s=ctx.settings.presence_ttl_s)


def setting_set(ctx: MutationContext, args: SettingSet) -> None:
    if len(json.dumps(args.value, ensure_ascii=False).encode("utf-8")) > MAX_SETTING_BYTES:
        raise Rejected("setting_too_large")
    setting = ctx.session.get(m.Setting, (ctx.principal.agent_id, args.key), with_for_update=True)
    if setting is None:
        setting = m.Setting(agent_id=ctx.principal.agent_id, key=args.key, value=args.value,
                            updated_at=ctx.now)
        ctx.session.add(setting)
    else:
        setting.value = args.value
        setting.updated_at = ctx.now
        bump(setting)
    ctx.publish(agent_scope(ctx.principal.agent_id), setting)


def _phrase_scope(phrase: m.QuickPhrase) -> str:
    return agent_scope(phrase.owner_id) if phrase.owner_id else team_scope(phrase.team_id)


def _may_edit_phrase(ctx: MutationContext, phrase: m.QuickPhrase) -> bool:
    if phrase.owner_id is not None:
        return phrase.owner_id == ctx.principal.agent_id
    return ctx.principal.at_least("lead") and ctx.principal.sees_team(phrase.team_id)


def quick_phrase_upsert(ctx: MutationContext, args: QuickPhraseUpsert) -> None:
    phrase = ctx.session.get(m.QuickPhrase, args.id, with_for_update=True)
    if phrase is None:
        if args.scope == "team" and not ctx.principal.at_least("lead"):
            raise Rejected("forbidden_action", detail="团队快捷短语由组长维护")
        phrase = m.QuickPhrase(
            id=args.id, team_id=ctx.principal.team_id,
            owner_id=ctx.principal.agent_id if args.scope == "personal" else None,
            text=args.text,
        )
        ctx.session.add(phrase)
    elif not _may_edit_phrase(ctx, phrase) or phrase.deleted:
        raise Rejected("phrase_not_found")
    else:
        bump(phrase)
    phrase.group, phrase.title, phrase.text = args.group, args.title, args.text
    ctx.publish(_phrase_scope(phrase), phrase)


def quick_phrase_delete(ctx: MutationContext, args: QuickPhraseDelete) -> None:
    phrase = ctx.session.get(m.QuickPhrase, args.id, with_for_update=True)
    if phrase is None or not _may_edit_phrase(ctx, phrase):
        raise Rejected("phrase_not_found")
    if phrase.deleted:
        return
    phrase.deleted = True
    bump(phrase)
    ctx.session.flush()
    ctx.changes.delete(_phrase_scope(phrase), phrase)


def handover_create(ctx: MutationContext, args: HandoverCreate) -> None:
    if ctx.session.get(m.Handover, args.id) is not None:
        return  # replayed
    if args.to_agent_id is not None:
        target = ctx.session.get(m.Agent, args.to_agent_id)
        if target is None or target.company_id != ctx.principal.company_id:
            raise Rejected("target_unavailable", detail="找不到接班同事")
    handover = m.Handover(
        id=args.id, team_id=ctx.principal.team_id, from_agent_id=ctx.principal.agent_id,
        to_agent_id=args.to_agent_id, note=args.note,
        items=[item.model_dump() for item in args.items], created_at=ctx.now,
    )
    ctx.session.add(handover)
    ctx.publish_team(handover, handover.team_id)


def handover_ack(ctx: MutationContext, args: HandoverAck) -> None:
    handover = ctx.session.get(m.Handover, args.id, with_for_update=True)
    if handover is None or not ctx.principal.sees_team(handover.team_id):
        raise Rejected("handover_not_found")
    addressed = handover.to_agent_id in (None, ctx.principal.agent_id)
    if not addressed and not ctx.principal.at_least("lead"):
        raise Rejected("forbidden_action", detail="该交接不是交给您的")
    if handover.acked_at is not None:
        return
    handover.acked_at = ctx.now
    handover.acked_by = ctx.principal.agent_id
    bump(handover)
    ctx.publish_team(handover, handover.team_id)


MUTATORS: dict[str, Mutator] = {
    "presence.set": presence_set,
    "setting.set": setting_set,
    "quick_phrase.upsert": quick_phrase_upsert,
    "quick_phrase.delete": quick_phrase_delete,
    "handover.create": handover_create,
    "handover.ack": handover_ack,
}

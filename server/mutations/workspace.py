"""Mutators for the agent's workspace: presence, settings, quick phrases, handovers (H13.2)."""

from __future__ import annotations

import json
from typing import Any

from kefu_protocol.wire import (
    MAX_SETTING_BYTES,
    PERMISSION_LABELS_ZH,
    HandoverAck,
    HandoverCreate,
    PresenceSet,
    QuickPhraseDelete,
    QuickPhraseUpsert,
    SettingSet,
)
from server import activity
from server import models as m
from server.changes import agent_scope, team_scope
from server.chat import drain_queue
from server.mutations.base import MutationContext, Mutator, Rejected, bump
from server.mutations.conversations import transfer_conversation

HANDOVER_NOTE_ZH = "交接班：{text}"
TEAM_PHRASES = "phrase.team"  # H10.2: leads by default, agents by a supervisor's grant


def presence_set(ctx: MutationContext, args: PresenceSet) -> None:
    agent = ctx.session.get(m.Agent, ctx.principal.agent_id, with_for_update=True)
    assert agent is not None
    agent.last_seen_at = ctx.now
    if agent.presence != args.status:
        activity.record(ctx.session, agent_id=agent.id, team_id=agent.team_id, kind="presence",
                        at=ctx.now, status=args.status, previous=agent.presence)
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
    return ctx.principal.can(TEAM_PHRASES) and ctx.principal.sees_team(phrase.team_id)


def quick_phrase_upsert(ctx: MutationContext, args: QuickPhraseUpsert) -> None:
    phrase = ctx.session.get(m.QuickPhrase, args.id, with_for_update=True)
    if phrase is None:
        if args.scope == "team" and not ctx.principal.can(TEAM_PHRASES):
            raise Rejected("permission_required", permission=TEAM_PHRASES,
                           label=PERMISSION_LABELS_ZH[TEAM_PHRASES])
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
    """H13.2: the outgoing agent's handover record, published to the team. Each item is stored
    with `acked_at`/`acked_by` (null) and `skipped` (false). With `transfer`, every
    `conversation` item moves (H3.4, the customer is told) to the item's `to_agent_id` or the
    handover's; an item whose conversation is closed, no longer the author's, or has no
    addressee is kept but marked `skipped: true` (with `skip_reason`) instead of failing the
    whole record. An offline addressee is allowed here, unlike a plain transfer: the incoming
    shift is about to sign in, and the conversation waits for them in their list."""
    if ctx.session.get(m.Handover, args.id) is not None:
        return  # replayed
    addressees = {args.to_agent_id} | {i.to_agent_id for i in args.items}
    agents = {a: _handover_addressee(ctx, a) for a in addressees if a is not None}
    items = [
        {**item.model_dump(), "acked_at": None, "acked_by": None, "skipped": False}
        for item in args.items
    ]
    if args.transfer:
        drained: set[str] = set()
        for item in items:
            if item["kind"] == "conversation" and item["conversation_id"]:
                target = agents.get(item["to_agent_id"] or args.to_agent_id or "")
                drained.update(_hand_over_conversation(ctx, item, target, args.note))
        for team_id in sorted(drained):  # the author's freed places, once per team
            drain_queue(ctx.session, ctx.changes, team_id, now=ctx.now,
                        presence_ttl_s=ctx.settings.presence_ttl_s)
    handover = m.Handover(
        id=args.id, team_id=ctx.principal.team_id, from_agent_id=ctx.principal.agent_id,
        to_agent_id=args.to_agent_id, note=args.note, items=items, created_at=ctx.now,
        shift_id=args.shift_id,
    )
    ctx.session.add(handover)
    activity.record(ctx.session, agent_id=ctx.principal.agent_id, team_id=handover.team_id,
                    kind="handover_sent", at=ctx.now, handover_id=handover.id,
                    to_agent_id=args.to_agent_id, items=len(items))
    ctx.publish_team(handover, handover.team_id)


def _handover_addressee(ctx: MutationContext, agent_id: str) -> m.Agent:
    target = ctx.session.get(m.Agent, agent_id)
    if target is None or target.company_id != ctx.principal.company_id or target.disabled:
        raise Rejected("target_unavailable", detail="找不到接班同事")
    return target


def _hand_over_conversation(
    ctx: MutationContext, item: dict[str, Any], target: m.Agent | None, note: str
) -> set[str]:
    """Transfers one handed-over conversation (returns the team it left), or marks the item
    skipped with the reason (returns nothing)."""
    me = ctx.principal.agent_id
    conv = ctx.session.get(m.Conversation, item["conversation_id"], with_for_update=True)
    reason = ""
    if target is None:
        reason = "no_addressee"
    elif conv is None or not ctx.principal.sees_team(conv.team_id) or conv.agent_id != me:
        reason = "not_yours"
    elif conv.state == "closed":
        reason = "closed"
    elif target.id == me:
        reason = "same_agent"
    if reason or conv is None or target is None:
        item["skipped"], item["skip_reason"] = True, reason
        return set()
    old_team = conv.team_id
    text = "；".join(t for t in (item["text"], note) if t)
    transfer_conversation(ctx, conv, target, drain=False,
                          note=HANDOVER_NOTE_ZH.format(text=text) if text else "")
    return {old_team}


def handover_ack(ctx: MutationContext, args: HandoverAck) -> None:
    """H13.2: acknowledges item `args.item` (or, with None, every item the caller may): the
    handover's addressee (any agent when it has none) or a lead acks any item, an item's own
    addressee that item. The handover's acked_at is set once every item is acknowledged."""
    handover = ctx.session.get(m.Handover, args.id, with_for_update=True)
    if handover is None or not ctx.principal.sees_team(handover.team_id):
        raise Rejected("handover_not_found")
    me = ctx.principal.agent_id
    whole = handover.to_agent_id in (None, me) or ctx.principal.at_least("lead")
    items = [dict(item) for item in handover.items or []]
    if args.item is not None and args.item >= len(items):
        raise Rejected("handover_not_found")
    chosen = range(len(items)) if args.item is None else [args.item]
    mine = [i for i in chosen if whole or items[i].get("to_agent_id") == me]
    if not mine and not (whole and not items):
        raise Rejected("forbidden_action", detail="该交接不是交给您的")
    acked = [i for i in mine if items[i].get("acked_at") is None]
    for i in acked:
        items[i]["acked_at"], items[i]["acked_by"] = ctx.now.isoformat(), me
    complete = all(item.get("acked_at") for item in items)
    if not acked and (handover.acked_at is not None or not complete):
        return  # nothing new (a replay)
    handover.items = items
    if complete and handover.acked_at is None:
        handover.acked_at, handover.acked_by = ctx.now, me
    bump(handover)
    activity.record(ctx.session, agent_id=me, team_id=handover.team_id, kind="handover_acked",
                    at=ctx.now, handover_id=handover.id, items=acked,
                    complete=handover.acked_at is not None)
    ctx.publish_team(handover, handover.team_id)


MUTATORS: dict[str, Mutator] = {
    "presence.set": presence_set,
    "setting.set": setting_set,
    "quick_phrase.upsert": quick_phrase_upsert,
    "quick_phrase.delete": quick_phrase_delete,
    "handover.create": handover_create,
    "handover.ack": handover_ack,
}

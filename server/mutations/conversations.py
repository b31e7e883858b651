"""Mutators for conversations: send, accept, transfer, close, pin (H3, H14)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kefu_protocol.wire import (
    ConversationPin,
    ConversationRef,
    ConversationTransfer,
    MessageSend,
)
from server import activity
from server import models as m
from server.changes import team_scope
from server.chat import (
    CLOSING_NOTICE_ZH,
    FeedBatch,
    append_message,
    assign,
    drain_queue,
    publish,
    touch,
    transfer_notice,
)
from server.mutations.base import MutationContext, Mutator, Rejected


def load_conversation(ctx: MutationContext, conversation_id: str) -> m.Conversation:
    conv = ctx.session.get(m.Conversation, conversation_id, with_for_update=True)
    if conv is None or not ctx.principal.sees_team(conv.team_id):
        raise Rejected("conversation_not_found")
    return conv


def _owner_name(ctx: MutationContext, agent_id: str | None) -> str:
    agent = ctx.session.get(m.Agent, agent_id) if agent_id else None
    return agent.name if agent else ""


def require_owner(ctx: MutationContext, conv: m.Conversation) -> None:
    """H3.5: only the owner (or a lead of the team) acts on an owned conversation."""
    if conv.agent_id not in (None, ctx.principal.agent_id) and not ctx.principal.at_least("lead"):
        raise Rejected("not_owner", owner=_owner_name(ctx, conv.agent_id))


def claim_for_reply(ctx: MutationContext, conversation_id: str) -> m.Conversation:
    """The conversation an agent's message goes into: not closed, theirs or unowned (H3.5:
    whoever answers first owns it, recorded as accepted by reply)."""
    conv = load_conversation(ctx, conversation_id)
    if conv.state == "closed":
        raise Rejected("conversation_closed")
    require_owner(ctx, conv)
    if conv.agent_id is None:
        conv.agent_id = ctx.principal.agent_id
        conv.state = "open"
        conv.assigned_at = ctx.now
        activity.record(ctx.session, agent_id=conv.agent_id, team_id=conv.team_id,
                        kind="accepted", at=ctx.now, conversation_id=conv.id, how="reply")
    return conv


def send_message(ctx: MutationContext, args: MessageSend) -> None:
    existing = ctx.session.get(m.Message, args.id)
    if existing is not None:
        if existing.conversation_id == args.conversation_id and existing.sender == "agent":
            return  # a replay (even under a new client id) changes nothing
        raise Rejected("message_id_conflict")
    conv = claim_for_reply(ctx, args.conversation_id)
    append_message(
        ctx.session, ctx.changes, conv, sender="agent", text=args.text, now=ctx.now,
        message_id=args.id, agent_id=ctx.principal.agent_id,
    )


def accept(ctx: MutationContext, args: ConversationRef) -> None:
    conv = load_conversation(ctx, args.conversation_id)
    if conv.state == "closed":
        raise Rejected("conversation_closed")
    if conv.agent_id == ctx.principal.agent_id:
        return
    if conv.agent_id is not None:
        raise Rejected("already_accepted", owner=_owner_name(ctx, conv.agent_id))
    agent = ctx.session.get(m.Agent, ctx.principal.agent_id)
    assert agent is not None
    assign(ctx.session, ctx.changes, conv, agent, now=ctx.now)


def transfer(ctx: MutationContext, args: ConversationTransfer) -> None:
    """H3.4: to a colleague with a note; the customer is told; the history goes along. The
    previous owner may also pull it back to themselves (撤回) for `transfer_undo_s`."""
    conv, taking_back = _load_for_transfer(ctx, args)
    if conv.state == "closed":
        raise Rejected("conversation_closed")
    if taking_back:
        _check_undo_window(ctx, conv)
    else:
        require_owner(ctx, conv)
    target = ctx.session.get(m.Agent, args.to_agent_id)
    if target is None or target.company_id != ctx.principal.company_id or target.disabled:
        raise Rejected("target_unavailable", detail="找不到该同事")
    if target.id == conv.agent_id:
        raise Rejected("target_unavailable", detail="已由该同事负责")
    if target.presence == "offline" and target.id != ctx.principal.agent_id:
        raise Rejected("target_unavailable", detail=f"{target.name}不在线")
    transfer_conversation(ctx, conv, target, note=_transfer_note(args, taking_back))


def transfer_conversation(
    ctx: MutationContext,
    conv: m.Conversation,
    target: m.Agent,
    *,
    note: str,
    notify_customer: bool = True,
    activity_kind: str = "transferred_out",
    drain: bool = True,
    batch: FeedBatch | None = None,
) -> None:
    """H3.4 moves `conv` (already locked and checked by the caller) to `target`: the owner
    changes, `note` (if any) becomes a team note, the customer is told who serves them now
    (`notify_customer`), a move across teams carries the history along, and both timelines
    get an event (`activity_kind` for the previous owner, "transferred_in" for the target).
    `drain=False` lets a caller moving many conversations drain the old team's queue once,
    and `batch` holds the feed rows back until the caller writes them after one flush."""
    old_team, old_owner = conv.team_id, conv.agent_id
    me = ctx.principal.agent_id
    conv.transferred_from_id = old_owner or me
    conv.transferred_at = ctx.now
    conv.agent_id = target.id
    conv.team_id = target.team_id
    conv.state = "open"
    conv.assigned_at = ctx.now
    touch(conv)
    if target.team_id != old_team:
        _carry_history(ctx, conv)
    if note:
        row = m.Note(
            id=str(uuid.uuid4()), team_id=conv.team_id, customer_id=conv.customer_id,
            conversation_id=conv.id, author_id=me, updated_by=me, text=note,
            created_at=ctx.now, updated_at=ctx.now,
        )
        ctx.session.add(row)
        publish(ctx.session, ctx.changes, row, conv.team_id, batch=batch)
    if notify_customer:
        append_message(
            ctx.session, ctx.changes, conv, sender="system", text=transfer_notice(target.name),
            now=ctx.now, batch=batch,
        )
    else:
        publish(ctx.session, ctx.changes, conv, conv.team_id, batch=batch)
    if target.team_id != old_team:  # the old team sees it leave
        if batch is not None:
            batch.add(team_scope(old_team), conv)
        else:
            ctx.changes.upsert(team_scope(old_team), conv)
    if old_owner is not None and old_owner != target.id:
        activity.record(ctx.session, agent_id=old_owner, team_id=old_team, kind=activity_kind,
                        at=ctx.now, conversation_id=conv.id, to_agent_id=target.id, by=me)
    activity.record(ctx.session, agent_id=target.id, team_id=target.team_id,
                    kind="transferred_in", at=ctx.now, conversation_id=conv.id,
                    from_agent_id=old_owner, by=me)
    if drain:
        drain_queue(ctx.session, ctx.changes, old_team, now=ctx.now,
                    presence_ttl_s=ctx.settings.presence_ttl_s)


def _load_for_transfer(
    ctx: MutationContext, args: ConversationTransfer
) -> tuple[m.Conversation, bool]:
    """The conversation, and whether this is its previous owner taking it back (撤回) — who may
    no longer see its team and needs no ownership, only the time window."""
    me = ctx.principal.agent_id
    conv = ctx.session.get(m.Conversation, args.conversation_id, with_for_update=True)
    if conv is None:
        raise Rejected("conversation_not_found")
    sees = ctx.principal.sees_team(conv.team_id)
    may_anyway = sees and (conv.agent_id in (None, me) or ctx.principal.at_least("lead"))
    taking_back = (args.to_agent_id == me and conv.transferred_from_id == me
                   and conv.agent_id != me and not may_anyway)
    if not sees and not taking_back:
        raise Rejected("conversation_not_found")
    return conv, taking_back


def _check_undo_window(ctx: MutationContext, conv: m.Conversation) -> None:
    window = ctx.settings.transfer_undo_s
    since = conv.transferred_at
    if since is None or (ctx.now - since).total_seconds() > window:
        raise Rejected("undo_expired", seconds=f"{window:g}", owner=_owner_name(ctx, conv.agent_id))


def _transfer_note(args: ConversationTransfer, taking_back: bool) -> str:
    if taking_back:
        detail = "；".join(t for t in (args.note, args.reason) if t)
        return f"撤回转接：{detail}" if detail else "撤回转接"
    if args.reason and args.note:
        return f"转接备注：{args.note}（原因：{args.reason}）"
    if args.note or args.reason:
        return f"转接备注：{args.note or args.reason}"
    return ""


def _carry_history(ctx: MutationContext, conv: m.Conversation) -> None:
    """The receiving team gets the customer, the whole history and the notes."""
    scope = team_scope(conv.team_id)
    customer = ctx.session.get(m.Customer, conv.customer_id)
    if customer is not None:
        ctx.changes.upsert(scope, customer)
    messages = ctx.session.scalars(
        select(m.Message).where(m.Message.conversation_id == conv.id).order_by(m.Message.seq)
    )
    for message in messages:
        ctx.changes.upsert(scope, message)
    notes = ctx.session.scalars(select(m.Note).where(m.Note.conversation_id == conv.id))
    for note in notes:
        note.team_id = conv.team_id
        ctx.changes.upsert(scope, note)


def close(ctx: MutationContext, args: ConversationRef) -> None:
    conv = load_conversation(ctx, args.conversation_id)
    if conv.state == "closed":
        return
    require_owner(ctx, conv)
    conv.state = "closed"
    conv.closed_at = ctx.now
    conv.awaiting_reply_since = None
    activity.record(ctx.session, agent_id=conv.agent_id or ctx.principal.agent_id,
                    team_id=conv.team_id, kind="closed", at=ctx.now, conversation_id=conv.id,
                    by=ctx.principal.agent_id)
    append_message(ctx.session, ctx.changes, conv, sender="system", text=CLOSING_NOTICE_ZH,
                   now=ctx.now)
    drain_queue(ctx.session, ctx.changes, conv.team_id, now=ctx.now,
                presence_ttl_s=ctx.settings.presence_ttl_s)


def pin(ctx: MutationContext, args: ConversationPin) -> None:
    conv = load_conversation(ctx, args.conversation_id)
    if conv.pinned == args.pinned:
        return
    conv.pinned = args.pinned
    touch(conv)
    publish(ctx.session, ctx.changes, conv, conv.team_id)


MUTATORS: dict[str, Mutator] = {
    "message.send": send_message,
    "conversation.accept": accept,
    "conversation.transfer": transfer,
    "conversation.close": close,
    "conversation.pin": pin,
}

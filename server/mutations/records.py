"""Mutators for customer records: tags (H4.3), notes with kept conflicts (orders: orders.py)."""

from __future__ import annotations

import uuid

from kefu_protocol.wire import CustomerTag, NoteAdd, NoteEdit
from server import models as m
from server.changes import agent_scope
from server.mutations.base import MutationContext, Mutator, Rejected, bump
from server.mutations.conversations import load_conversation


def _load_customer(ctx: MutationContext, customer_id: str) -> m.Customer:
    customer = ctx.session.get(m.Customer, customer_id, with_for_update=True)
    if customer is None or not ctx.principal.sees_team(customer.team_id):
        raise Rejected("customer_not_found")
    return customer


def _check_tag(ctx: MutationContext, tag_id: str) -> None:
    tag = ctx.session.get(m.Tag, tag_id)
    if tag is None or tag.company_id != ctx.principal.company_id:
        raise Rejected("tag_not_found")


def tag_add(ctx: MutationContext, args: CustomerTag) -> None:
    customer = _load_customer(ctx, args.customer_id)
    _check_tag(ctx, args.tag_id)
    if args.tag_id in customer.tags:
        return
    customer.tags = [*customer.tags, args.tag_id]
    bump(customer)
    ctx.publish_team(customer, customer.team_id)


def tag_remove(ctx: MutationContext, args: CustomerTag) -> None:
    customer = _load_customer(ctx, args.customer_id)
    if args.tag_id not in customer.tags:
        return
    customer.tags = [t for t in customer.tags if t != args.tag_id]
    bump(customer)
    ctx.publish_team(customer, customer.team_id)


def note_add(ctx: MutationContext, args: NoteAdd) -> None:
    if ctx.session.get(m.Note, args.id) is not None:
        return  # replayed
    if args.conversation_id:
        conv = load_conversation(ctx, args.conversation_id)
        team_id, customer_id = conv.team_id, conv.customer_id
    elif args.customer_id:
        customer = _load_customer(ctx, args.customer_id)
        team_id, customer_id = customer.team_id, customer.id
    else:
        raise Rejected("invalid_args", detail="customer_id 或 conversation_id 必填其一")
    note = m.Note(
        id=args.id, team_id=team_id, customer_id=customer_id,
        conversation_id=args.conversation_id, author_id=ctx.principal.agent_id,
        updated_by=ctx.principal.agent_id, text=args.text, created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(note)
    ctx.publish_team(note, team_id)


def note_edit(ctx: MutationContext, args: NoteEdit) -> None:
    """Last writer (by server arrival) wins; a concurrent loser is kept and both authors told."""
    note = ctx.session.get(m.Note, args.id, with_for_update=True)
    if note is None or not ctx.principal.sees_team(note.team_id):
        raise Rejected("note_not_found")
    conflict = args.base_version != note.version
    ctx.session.add(
        m.NoteRevision(
            note_id=note.id, version=note.version, text=note.text, author_id=note.updated_by,
            is_conflict=conflict, created_at=ctx.now,
        )
    )
    if conflict:
        notice = {
            "kind": "note_conflict",
            "note_id": note.id,
            "overwritten_text": note.text,
            "overwritten_by": note.updated_by,
            "overwritten_version": note.version,
            "winner_text": args.text,
            "winner_by": ctx.principal.agent_id,
            "at": ctx.now.isoformat(),
        }
        for author in {note.updated_by, ctx.principal.agent_id}:
            ctx.changes.emit(agent_scope(author), "notice", str(uuid.uuid4()), "notice", notice)
    note.text = args.text
    note.updated_by = ctx.principal.agent_id
    note.updated_at = ctx.now
    bump(note)
    ctx.publish_team(note, note.team_id)


MUTATORS: dict[str, Mutator] = {
    "customer.tag_add": tag_add,
    "customer.tag_remove": tag_remove,
    "note.add": note_add,
    "note.edit": note_edit,
}

"""Mutators for the knowledge base: edit and delete by permission, suggest and review (H9.2)."""

from __future__ import annotations

import uuid

from kefu_protocol.shop import KbDelete, KbReview, KbSuggest, KbUpsert, KbUsed
from server import models as m
from server.changes import company_scope
from server.mutations.base import (
    MutationContext,
    Mutator,
    Rejected,
    bump,
    employee_id,
    require_permission,
)

KB_EDIT = "kb.edit"
PENDING, APPROVED, REJECTED = "待审核", "已采纳", "已驳回"


def _scope(ctx: MutationContext) -> str:
    return company_scope(ctx.principal.company_id)


def _entry(ctx: MutationContext, entry_id: str) -> m.KbEntry | None:
    """The caller's company's entry, locked; None when missing or another company's."""
    entry = ctx.session.get(m.KbEntry, entry_id, with_for_update=True)
    if entry is None or entry.company_id != ctx.principal.company_id:
        return None
    return entry


def _same_content(entry: m.KbEntry, args: KbUpsert) -> bool:
    return (entry.category, entry.title, entry.body, list(entry.keywords or [])) == (
        args.category, args.title, args.body, list(args.keywords))


def _write(ctx: MutationContext, entry: m.KbEntry, source: KbUpsert | m.KbSuggestion,
           editor: str) -> None:
    """Puts the edited fields on `entry`, signs it (H9.2: who changed it, when) and publishes
    it to every desk of the company."""
    entry.category, entry.title, entry.body = source.category, source.title, source.body
    entry.keywords = list(source.keywords or [])
    entry.updated_by, entry.updated_at = editor, ctx.now
    ctx.publish(_scope(ctx), entry)


def _new_entry(ctx: MutationContext, entry_id: str) -> m.KbEntry:
    entry = m.KbEntry(id=entry_id, company_id=ctx.principal.company_id, category="", title="",
                      body="", keywords=[], use_count=0, version=1)
    ctx.session.add(entry)
    return entry


def kb_upsert(ctx: MutationContext, args: KbUpsert) -> None:
    """H9.2 + H10.2: needs kb.edit. A new entry, or an edit of the version the editor saw: a
    stale base is refused (`kb_stale_version` with the current version), never lost silently."""
    require_permission(ctx, KB_EDIT)
    entry = _entry(ctx, args.id)
    if entry is None:
        if args.base_version is not None or ctx.session.get(m.KbEntry, args.id) is not None:
            raise Rejected("kb_not_found")  # deleted meanwhile, or not this company's id
        _write(ctx, _new_entry(ctx, args.id), args, employee_id(ctx))
        return
    if _same_content(entry, args):
        return  # a replay (even under a new client id), or nothing changed
    if args.base_version is None or args.base_version != entry.version:
        raise Rejected("kb_stale_version", current=entry.version)
    bump(entry)
    _write(ctx, entry, args, employee_id(ctx))


def kb_delete(ctx: MutationContext, args: KbDelete) -> None:
    """H9.2: needs kb.edit; every desk drops the entry (a tombstone in the company's feed)."""
    require_permission(ctx, KB_EDIT)
    entry = _entry(ctx, args.id)
    if entry is None:
        if ctx.session.get(m.KbEntry, args.id) is not None:
            raise Rejected("kb_not_found")
        return  # already gone: a replay
    ctx.changes.delete(_scope(ctx), entry)
    ctx.session.delete(entry)


def kb_suggest(ctx: MutationContext, args: KbSuggest) -> None:
    """H9.2: anyone proposes a new entry or a change to one; it waits for review (待审核)."""
    existing = ctx.session.get(m.KbSuggestion, args.id)
    if existing is not None:
        if existing.company_id == ctx.principal.company_id:
            return  # replayed
        raise Rejected("invalid_args", detail="建议编号已被使用")
    if args.entry_id is not None and _entry(ctx, args.entry_id) is None:
        raise Rejected("kb_not_found")
    suggestion = m.KbSuggestion(
        id=args.id, company_id=ctx.principal.company_id, entry_id=args.entry_id,
        category=args.category, title=args.title, body=args.body, keywords=list(args.keywords),
        reason=args.reason, status=PENDING, author_id=ctx.principal.agent_id,
        author_name=ctx.principal.name, created_at=ctx.now, version=1,
    )
    ctx.session.add(suggestion)
    ctx.publish(_scope(ctx), suggestion)


def kb_review(ctx: MutationContext, args: KbReview) -> None:
    """H9.2 + H10.2: needs kb.edit. 采纳 applies the suggestion (a new entry, or the change to
    its entry, signed by the reviewer); 驳回 leaves the knowledge base as it was. Either way
    the suggestion records who decided, when and why."""
    require_permission(ctx, KB_EDIT)
    suggestion = ctx.session.get(m.KbSuggestion, args.id, with_for_update=True)
    if suggestion is None or suggestion.company_id != ctx.principal.company_id:
        raise Rejected("suggestion_not_found")
    if suggestion.status != PENDING:
        raise Rejected("suggestion_reviewed", status=suggestion.status)
    reviewer = employee_id(ctx)
    if args.approve:
        if suggestion.entry_id is None:
            entry = _new_entry(ctx, str(uuid.uuid4()))
            suggestion.entry_id = entry.id  # from now on the suggestion names what it created
        else:
            found = _entry(ctx, suggestion.entry_id)
            if found is None:
                raise Rejected("kb_not_found")  # deleted since: 驳回 it instead
            entry = found
            bump(entry)
        _write(ctx, entry, suggestion, reviewer)
    suggestion.status = APPROVED if args.approve else REJECTED
    suggestion.reviewed_by, suggestion.reviewed_at = reviewer, ctx.now
    suggestion.comment = args.comment
    bump(suggestion)
    ctx.publish(_scope(ctx), suggestion)


def kb_used(ctx: MutationContext, args: KbUsed) -> None:
    """H9.1: an agent put the entry into a reply, so it ranks higher for everyone. The count is
    not content: the version stays, so an editor's base_version is not made stale by use
    (clients apply a row of equal version; the feed's order keeps the latest count)."""
    entry = _entry(ctx, args.id)
    if entry is None:
        raise Rejected("kb_not_found")
    entry.use_count = (entry.use_count or 0) + 1
    ctx.publish(_scope(ctx), entry)


MUTATORS: dict[str, Mutator] = {
    "kb.upsert": kb_upsert,
    "kb.delete": kb_delete,
    "kb.suggest": kb_suggest,
    "kb.review": kb_review,
    "kb.used": kb_used,
}

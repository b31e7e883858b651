"""Mutators for the company's three-level customer tag library (H4.3, H10.2 tag.manage)."""

from __future__ import annotations

from sqlalchemy import Text, cast, select

from kefu_protocol.shop import TAG_MAX_LEVEL, TagDelete, TagUpsert
from server import models as m
from server.changes import company_scope, team_scope
from server.chat import FeedBatch
from server.mutations.base import (
    MutationContext,
    Mutator,
    Rejected,
    bump,
    require_permission,
)

TAG_MANAGE = "tag.manage"


def _lock_library(ctx: MutationContext) -> None:
    """Serialises the company's tag edits, so two desks cannot both add the same sibling."""
    ctx.session.get(m.Company, ctx.principal.company_id, with_for_update=True)


def _tag(ctx: MutationContext, tag_id: str) -> m.Tag | None:
    tag = ctx.session.get(m.Tag, tag_id, with_for_update=True)
    if tag is not None and tag.company_id != ctx.principal.company_id:
        raise Rejected("tag_not_found")
    return tag


def _level_under(ctx: MutationContext, parent_id: str | None) -> int:
    if parent_id is None:
        return 1
    parent = _tag(ctx, parent_id)
    if parent is None:
        raise Rejected("tag_not_found")
    level = parent.level + 1
    if level > TAG_MAX_LEVEL:
        raise Rejected("tag_too_deep")
    return level


def _check_sibling_name(ctx: MutationContext, tag_id: str, parent_id: str | None,
                        name: str) -> None:
    parent = m.Tag.parent_id.is_(None) if parent_id is None else m.Tag.parent_id == parent_id
    clash = ctx.session.scalars(
        select(m.Tag.id).where(m.Tag.company_id == ctx.principal.company_id, parent,
                               m.Tag.name == name, m.Tag.id != tag_id).limit(1)
    ).first()
    if clash is not None:
        raise Rejected("tag_exists", name=name)


def tag_upsert(ctx: MutationContext, args: TagUpsert) -> None:
    """H4.3: a new tag at most TAG_MAX_LEVEL deep, or a rename in place; names are unique
    among siblings. A tag keeps its parent: moving one (a different parent_id) is refused with
    `invalid_args` — delete and re-create it instead, so no subtree can end up too deep."""
    require_permission(ctx, TAG_MANAGE)
    _lock_library(ctx)
    name = args.name.strip()
    tag = _tag(ctx, args.id)
    if tag is not None and tag.parent_id != args.parent_id:
        raise Rejected("invalid_args", detail="标签不能移到其他上级标签下，请删除后重新添加")
    if tag is not None and tag.name == name:
        return  # a replay, or nothing changed
    level = _level_under(ctx, args.parent_id) if tag is None else tag.level
    _check_sibling_name(ctx, args.id, args.parent_id, name)
    if tag is None:
        tag = m.Tag(id=args.id, company_id=ctx.principal.company_id, parent_id=args.parent_id,
                    level=level, name=name, version=1)
        ctx.session.add(tag)
    else:
        tag.name = name
        bump(tag)
    ctx.publish(company_scope(ctx.principal.company_id), tag)


def tag_delete(ctx: MutationContext, args: TagDelete) -> None:
    """H4.3: only a tag without children; the customers carrying it lose it (each republished
    to its team), and every desk drops it from the library."""
    require_permission(ctx, TAG_MANAGE)
    _lock_library(ctx)
    tag = _tag(ctx, args.id)
    if tag is None:
        return  # already gone: a replay
    child = ctx.session.scalars(select(m.Tag.id).where(m.Tag.parent_id == tag.id).limit(1)).first()
    if child is not None:
        raise Rejected("tag_has_children", name=tag.name)
    batch = FeedBatch()
    for customer in _customers_tagged(ctx, tag.id):
        customer.tags = [t for t in customer.tags if t != tag.id]
        bump(customer)
        batch.add(team_scope(customer.team_id), customer)
    batch.write(ctx.session, ctx.changes)
    ctx.changes.delete(company_scope(ctx.principal.company_id), tag)
    ctx.session.delete(tag)


def _customers_tagged(ctx: MutationContext, tag_id: str) -> list[m.Customer]:
    """The company's customers whose tag list holds `tag_id` (a quoted UUID in the JSON text:
    the same test on SQLite and PostgreSQL; the list is checked again in Python)."""
    rows = ctx.session.scalars(
        select(m.Customer)
        .where(m.Customer.company_id == ctx.principal.company_id,
               cast(m.Customer.tags, Text).like(f'%"{tag_id}"%'))
        .with_for_update()
    ).all()
    return [c for c in rows if tag_id in (c.tags or [])]


MUTATORS: dict[str, Mutator] = {
    "tag.upsert": tag_upsert,
    "tag.delete": tag_delete,
}

"""Bootstrap for a new or reset client: its scopes' current rows in keyset pages + a cursor."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kefu_protocol.wire import ENTITIES
from server import models as m
from server.changes import ENTITY_OF, entity_id_of, to_wire
from server.errors import ApiError
from server.feed import start_cursor
from server.principal import Principal

_TEAM_ROWS: dict[str, type[Any]] = {
    "order": m.Order,
    "return_case": m.ReturnCase,
    "logistics_event": m.LogisticsEvent,
    "shift": m.Shift,
    "conversation": m.Conversation,
    "note": m.Note,
    "handover": m.Handover,
    "surge": m.Surge,
}
_COMPANY_ROWS: dict[str, type[Any]] = {
    "tag": m.Tag, "product": m.Product, "kb_entry": m.KbEntry, "kb_suggestion": m.KbSuggestion,
    "promotion": m.Promotion,
}


def _query(entity: str, p: Principal) -> Select[Any]:
    if entity in _TEAM_ROWS:
        model = _TEAM_ROWS[entity]
        return select(model).where(model.team_id.in_(p.team_ids))
    if entity in _COMPANY_ROWS:
        model = _COMPANY_ROWS[entity]
        return select(model).where(model.company_id == p.company_id)
    if entity == "customer":  # the team's customers and those its conversations are with
        talked_to = select(m.Conversation.customer_id).where(
            m.Conversation.team_id.in_(p.team_ids))
        return select(m.Customer).where(
            m.Customer.team_id.in_(p.team_ids) | m.Customer.id.in_(talked_to))
    if entity == "team":
        return select(m.Team).where(m.Team.id.in_(p.team_ids))
    if entity == "agent":
        return select(m.Agent).where(m.Agent.team_id.in_(p.team_ids))
    if entity == "message":
        return (
            select(m.Message)
            .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
            .where(m.Conversation.team_id.in_(p.team_ids))
        )
    if entity == "problem":  # H13.4: leads see their teams' log, agents their own entries
        if p.at_least("lead"):
            return select(m.Problem).where(m.Problem.team_id.in_(p.team_ids))
        return select(m.Problem).where(m.Problem.agent_id == p.agent_id)
    if entity == "setting":
        return select(m.Setting).where(m.Setting.agent_id == p.agent_id)
    if entity == "quick_phrase":
        return select(m.QuickPhrase).where(
            m.QuickPhrase.deleted.is_(False),
            (m.QuickPhrase.owner_id == p.agent_id)
            | (m.QuickPhrase.owner_id.is_(None) & m.QuickPhrase.team_id.in_(p.team_ids)),
        )
    raise KeyError(entity)


_MODEL_OF = {name: model for model, name in ENTITY_OF.items()}


@dataclass(frozen=True)
class BootstrapPage:
    rows: list[dict[str, Any]]
    next: str | None
    cursor: str


def read_page(
    session: Session, principal: Principal, *, kind: str, epoch: str, token: str | None,
    limit: int,
) -> BootstrapPage:
    """One page of current rows; the first call fixes the cursor the feed resumes from."""
    if token:
        entity_index, after, cursor_text = _decode(token)
    else:
        entity_index, after = 0, ""
        cursor_text = start_cursor(session, kind=kind, epoch=epoch,
                                   scopes=principal.scopes).encode(kind)
    rows: list[dict[str, Any]] = []
    while entity_index < len(ENTITIES) and len(rows) < limit:
        entity = ENTITIES[entity_index]
        model = _MODEL_OF[entity]
        key = model.key if model is m.Setting else model.id
        room = limit - len(rows)
        stmt = _query(entity, principal).where(key > after).order_by(key).limit(room)
        batch = session.scalars(stmt).all()
        rows.extend({"entity": entity, "id": entity_id_of(r), "data": to_wire(r)} for r in batch)
        if len(batch) < room:
            entity_index, after = entity_index + 1, ""
        else:
            last = batch[-1]
            after = last.key if model is m.Setting else last.id
    done = entity_index >= len(ENTITIES)
    return BootstrapPage(rows, None if done else _encode(entity_index, after, cursor_text),
                         cursor_text)


def _encode(entity_index: int, after: str, cursor: str) -> str:
    raw = json.dumps([entity_index, after, cursor]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[int, str, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        entity_index, after, cursor = json.loads(raw)
        if not isinstance(entity_index, int) or not 0 <= entity_index <= len(ENTITIES):
            raise ValueError(token)
        return entity_index, str(after), str(cursor)
    except (ValueError, TypeError) as exc:
        raise ApiError("invalid_cursor") from exc


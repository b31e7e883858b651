"""Writes the ordered change feed: every domain write appends full rows in its own transaction."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from kefu_protocol.wire import effective_scripts
from server import models as m
from server.masking import mask_address, mask_id_number, mask_phone

NOTIFY_CHANNEL = "kefu_changes"

# ORM class -> entity name in the feed.
ENTITY_OF: dict[type[m.Base], str] = {
    m.Team: "team",
    m.Agent: "agent",
    m.Tag: "tag",
    m.Customer: "customer",
    m.Product: "product",
    m.Order: "order",
    m.ReturnCase: "return_case",
    m.LogisticsEvent: "logistics_event",
    m.KbEntry: "kb_entry",
    m.KbSuggestion: "kb_suggestion",
    m.Promotion: "promotion",
    m.Shift: "shift",
    m.Conversation: "conversation",
    m.Message: "message",
    m.Note: "note",
    m.Handover: "handover",
    m.Setting: "setting",
    m.QuickPhrase: "quick_phrase",
    m.Problem: "problem",
    m.Surge: "surge",
}

# Columns that never leave the server.
_HIDDEN: dict[str, frozenset[str]] = {
    "agent": frozenset(
        {"password_hash", "failed_attempts", "locked_until", "last_assigned_at", "company_id",
         "lock_reason", "late_ok_for", "last_login_at"}
    ),
    "customer": frozenset({"phone", "address", "id_number"}),
    "order": frozenset({"address"}),
}


def team_scope(team_id: str) -> str:
    return f"team:{team_id}"


def lead_scope(team_id: str) -> str:
    """What only the team's leads and above replicate (the problem log, H13.4)."""
    return f"lead:{team_id}"


def agent_scope(agent_id: str) -> str:
    return f"agent:{agent_id}"


def company_scope(company_id: str) -> str:
    return f"company:{company_id}"


def conversation_wake_key(conversation_id: str) -> str:
    """Not a feed scope: wakes the visitor long-poll of one conversation."""
    return f"conv:{conversation_id}"


def entity_id_of(row: m.Base) -> str:
    if isinstance(row, m.Setting):
        return f"{row.agent_id}:{row.key}"
    return str(row.id)  # type: ignore[attr-defined]


def to_wire(row: m.Base) -> dict[str, Any]:
    """The full row as clients see it: JSON-safe, secrets removed, personal data masked."""
    entity = ENTITY_OF[type(row)]
    hidden = _HIDDEN.get(entity, frozenset())
    data: dict[str, Any] = {}
    for column in row.__table__.columns:  # type: ignore[attr-defined]
        if column.key in hidden:
            continue
        data[column.key] = _json_safe(getattr(row, column.key))
    if isinstance(row, m.Customer):
        data["phone_masked"] = mask_phone(row.phone)
        data["address_masked"] = mask_address(row.address)
        data["id_number_masked"] = mask_id_number(row.id_number)
    elif isinstance(row, m.Order):
        data["address_masked"] = mask_address(row.address)
    elif isinstance(row, m.Team):  # H3.6: the client always gets all four scripts
        data["scripts"] = effective_scripts(row.scripts)
    elif isinstance(row, m.Agent):
        data["grants"] = list(row.grants or [])
    elif isinstance(row, m.Setting):
        data["id"] = entity_id_of(row)
    data.setdefault("version", 1)
    return data


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


class ChangeWriter:
    """Collects the feed rows and wake-up keys of one write transaction."""

    def __init__(self, session: Session, kind: str) -> None:
        self.session = session
        self.kind = kind
        self.wake: set[str] = set()
        # SQLite has no transaction id; a random group id keeps one transaction's rows together.
        self._sqlite_xid = random.getrandbits(62) if kind == "sqlite" else None

    def upsert(self, scope: str, row: m.Base) -> None:
        self.emit(scope, ENTITY_OF[type(row)], entity_id_of(row), "upsert", to_wire(row))

    def delete(self, scope: str, row: m.Base) -> None:
        self.emit(scope, ENTITY_OF[type(row)], entity_id_of(row), "delete", None)

    def emit(
        self, scope: str, entity: str, entity_id: str, op: str, data: dict[str, Any] | None
    ) -> None:
        values: dict[str, Any] = {
            "scope": scope,
            "entity": entity,
            "entity_id": entity_id,
            "op": op,
            "data": data,
            "created_at": m.utcnow(),
        }
        if self._sqlite_xid is not None:
            values["xid"] = self._sqlite_xid
        self.session.execute(insert(m.ChangeLog).values(**values))
        self.wake.add(scope)

    def wake_also(self, key: str) -> None:
        self.wake.add(key)

    def before_commit(self) -> None:
        """On PostgreSQL, queue a NOTIFY that other server processes receive at commit."""
        if self.kind == "postgresql" and self.wake:
            payload = " ".join(sorted(self.wake))
            if len(payload) > 7000:
                payload = "*"
            self.session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": payload},
            )

"""An agent's shift records: the problem log (H13.4), sales marks (H12.1), the surge (H11.4)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.models.store import Store
from app.models.tables import Conversation, Outbox, Record
from app.services.handover import queue_checked

PROBLEM_CATEGORIES = ("system", "product", "logistics", "customer", "process", "other")
"""The categories offered in the log (the server takes any short text)."""


class ProblemRefused(Exception):
    """Not queued: the wire model refused the entry (`detail` says why)."""


@dataclass(frozen=True)
class Problem:
    id: str
    text: str
    category: str
    conversation_id: str | None
    created_at: str
    reviewed_at: str | None
    review_comment: str
    pending: bool = False
    """Queued in the outbox and not yet acknowledged by the server."""

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None


@dataclass(frozen=True)
class Surge:
    """A level-1 surge response of my team that has not ended (H11.4)."""

    id: str
    source: str
    """auto (detected by the server) | lead (declared)."""
    started_at: str
    rate_per_hour: float
    baseline_per_hour: float
    note: str


class ProblemService:
    """Reads on the caller's thread; `add` and `convert` run on the DB worker thread."""

    def __init__(self, store: Store, *, agent_id: str, team_id: str,
                 poke: Callable[[], None]) -> None:
        self.store = store
        self.agent_id = agent_id
        self.team_id = team_id
        self.poke = poke

    def add(self, text: str, *, category: str = "", conversation_id: str | None = None,
            shift_id: str | None = None) -> str:
        """Queues problem.add; returns the entry's id."""
        args = {"id": str(uuid.uuid4()), "text": text.strip(), "category": category,
                "conversation_id": conversation_id, "shift_id": shift_id}
        self._queue("problem.add", args)
        return args["id"]  # type: ignore[return-value]

    def mine(self) -> tuple[Problem, ...]:
        """My entries, newest first; queued ones first of all (pending review and sync)."""
        with self.store.read() as session:
            synced = [d for d in session.scalars(
                select(Record.data).where(Record.entity == "problem"))
                if d.get("agent_id") == self.agent_id]
            queued = session.scalars(select(Outbox.args).where(
                Outbox.name == "problem.add", Outbox.state != "rejected")
                .order_by(Outbox.seq.desc())).all()
        found = {str(d.get("id")): _problem(d) for d in synced}
        pending = [_problem(a, pending=True) for a in queued if str(a.get("id")) not in found]
        return (*pending, *sorted(found.values(), key=lambda p: p.created_at, reverse=True))

    def active_surge(self) -> Surge | None:
        """My team's surge that has not ended, the newest if several."""
        with self.store.read() as session:
            rows = [d for d in session.scalars(select(Record.data).where(
                Record.entity == "surge")) if d.get("team_id") == self.team_id
                and not d.get("ended_at")]
        if not rows:
            return None
        data = max(rows, key=lambda d: str(d.get("started_at") or ""))
        return Surge(id=str(data.get("id")), source=str(data.get("source") or "auto"),
                     started_at=str(data.get("started_at") or ""),
                     rate_per_hour=float(data.get("rate_per_hour") or 0.0),
                     baseline_per_hour=float(data.get("baseline_per_hour") or 0.0),
                     note=str(data.get("note") or ""))

    def converted(self, conversation_id: str) -> bool:
        """Marked as a sale (H12.1): the last queued mark, else what the server says."""
        with self.store.read() as session:
            queued = session.scalars(select(Outbox.args).where(
                Outbox.name == "conversation.convert", Outbox.state != "rejected")
                .order_by(Outbox.seq.desc())).all()
            for args in queued:
                if args.get("conversation_id") == conversation_id:
                    return bool(args.get("converted", True))
            conv = session.get(Conversation, conversation_id)
            return bool(conv is not None and (conv.data or {}).get("converted_at"))

    def convert(self, conversation_id: str, converted: bool = True) -> int:
        """Queues conversation.convert: the conversation ended in a sale (or did not)."""
        return self._queue("conversation.convert",
                           {"conversation_id": conversation_id, "converted": converted})

    def _queue(self, name: str, args: dict[str, Any]) -> int:
        return queue_checked(self.store, self.poke, name, args, ProblemRefused)


def _problem(data: dict[str, Any], *, pending: bool = False) -> Problem:
    return Problem(id=str(data.get("id")), text=str(data.get("text") or ""),
                   category=str(data.get("category") or ""),
                   conversation_id=data.get("conversation_id"),
                   created_at=str(data.get("created_at") or ""),
                   reviewed_at=data.get("reviewed_at"),
                   review_comment=str(data.get("review_comment") or ""), pending=pending)

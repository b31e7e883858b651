"""The outbox and sync state: queue intents, batch them for push, record what the server said."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.models.tables import Outbox, SyncState
from kefu_protocol.wire import MutationResult


@dataclass(frozen=True)
class Pending:
    seq: int
    mutation_id: int
    name: str
    args: dict[str, Any]


def get_state(session: Session, key: str, default: str = "") -> str:
    row = session.get(SyncState, key)
    return row.value if row is not None else default


def set_state(session: Session, key: str, value: str) -> None:
    session.merge(SyncState(key=key, value=value))


def client_id(session: Session) -> str:
    """This install's id for the server's exactly-once bookkeeping (created on first use)."""
    value = get_state(session, "client_id")
    if not value:
        value = str(uuid.uuid4())
        set_state(session, "client_id", value)
    return value


def _take_mutation_id(session: Session) -> int:
    value = int(get_state(session, "next_mutation_id", "1"))
    set_state(session, "next_mutation_id", str(value + 1))
    return value


def enqueue(session: Session, name: str, args: dict[str, Any], *,
            mutation_id: int | None = None) -> int:
    """One intent, numbered for this client id (or keeping `mutation_id`, see `adopt`);
    returns its outbox position."""
    number = mutation_id if mutation_id is not None else _take_mutation_id(session)
    row = Outbox(mutation_id=number, name=name, args=args,
                 created_at=dt.datetime.now(dt.UTC).isoformat(), state="pending", attempts=0)
    session.add(row)
    session.flush()
    return row.seq


def adopt(session: Session, client_id: str, intents: list[tuple[int, str, dict[str, Any]]]) -> None:
    """A rebuilt cache takes over a damaged one's unsent intents under its client id and their
    numbers (mutation id, name, args): the server replays those it already applied."""
    set_state(session, "client_id", client_id)
    for mutation_id, name, args in intents:
        enqueue(session, name, args, mutation_id=mutation_id)
    following = max((i[0] for i in intents), default=0) + 1
    set_state(session, "next_mutation_id",
              str(max(following, int(get_state(session, "next_mutation_id", "1")))))


def next_batch(session: Session, limit: int = 100) -> list[Pending]:
    """Unsent intents in order. Rows already sent wait for their ack in the feed."""
    rows = session.scalars(
        select(Outbox).where(Outbox.state == "pending").order_by(Outbox.seq).limit(limit)
    ).all()
    return [Pending(r.seq, r.mutation_id, r.name, r.args) for r in rows]


def record_results(session: Session, batch: list[Pending], results: list[MutationResult]) -> int:
    """Marks pushed rows sent (acks remove them) or rejected with the reason; returns rejects."""
    by_id = {r.id: r for r in results}
    rejected = 0
    for item in batch:
        result = by_id.get(item.mutation_id)
        if result is None:
            continue
        if result.status == "applied" and result.replayed:
            # Applied long ago (e.g. before a crash): its ack may be behind our cursor.
            session.execute(delete(Outbox).where(Outbox.seq == item.seq))
            continue
        if result.status == "rejected":
            rejected += 1
            values: dict[str, Any] = {"state": "rejected", "code": result.code,
                                      "last_error": result.message}
        else:
            values = {"state": "sent"}
        session.execute(
            update(Outbox).where(Outbox.seq == item.seq, Outbox.state != "rejected")
            .values(attempts=Outbox.attempts + 1, **values)
        )
    return rejected


def note_failure(session: Session, batch: list[Pending], error: str) -> None:
    seqs = [item.seq for item in batch]
    session.execute(update(Outbox).where(Outbox.seq.in_(seqs))
                    .values(attempts=Outbox.attempts + 1, last_error=error[:500]))


def forget_applied(session: Session) -> None:
    """After a bootstrap: intents the server already applied ('sent') are in the snapshot."""
    session.execute(delete(Outbox).where(Outbox.state == "sent"))


def forget_answered(session: Session, batch: list[Pending], results: list[MutationResult]) -> None:
    """Drops the batch's rows the server just applied: their effects come with the feed, and
    they must not move to a new client id (where they would run again)."""
    applied = {r.id for r in results if r.status == "applied"}
    seqs = [item.seq for item in batch if item.mutation_id in applied]
    session.execute(delete(Outbox).where(Outbox.seq.in_(seqs), Outbox.state == "sent"))


def resend_sent(session: Session) -> None:
    """Before a reset's push: rows the server answered but never acknowledged in the feed go
    out again under their numbers; the server replays what it holds instead of running it."""
    session.execute(update(Outbox).where(Outbox.state == "sent").values(state="pending"))


def reject_locally(session: Session, batch: list[Pending], code: str, reason: str) -> None:
    session.execute(update(Outbox).where(Outbox.seq.in_([i.seq for i in batch]))
                    .values(state="rejected", code=code, last_error=reason[:500]))


def pending_count(session: Session) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Outbox).where(Outbox.state != "rejected")) or 0)


def rejected_count(session: Session) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Outbox).where(Outbox.state == "rejected")) or 0)


def start_new_client(session: Session) -> str:
    """After `mutation_gap` (the server forgot this client): a new client id, and every
    unacknowledged intent numbered again from 1 in its original order. Nothing is dropped; the
    caller records the answers the server gave before the gap first, so none runs twice."""
    new_id = str(uuid.uuid4())
    rows = session.scalars(
        select(Outbox).where(Outbox.state != "rejected").order_by(Outbox.seq)
    ).all()
    for number, row in enumerate(rows, start=1):
        row.mutation_id = number
        row.state = "pending"
    set_state(session, "client_id", new_id)
    set_state(session, "next_mutation_id", str(len(rows) + 1))
    session.flush()
    return new_id

"""Applies pushed mutations: in order, each in its own transaction, exactly once per client id."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from kefu_protocol.wire import MUTATION_ARGS, Mutation, MutationResult, PushRequest
from server import models as m
from server.changes import ChangeWriter, agent_scope
from server.errors import ApiError, render
from server.mutations import all_mutators
from server.mutations.base import MutationContext, Mutator, Rejected
from server.principal import Principal
from server.state import ServerState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushOutcome:
    results: list[MutationResult]
    last_mutation_id: int


class Pusher:
    """Runs batches for one server process; wakes long-polls after each commit."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.mutators: dict[str, Mutator] = all_mutators()

    def push(self, principal: Principal, request: PushRequest, lang: str) -> PushOutcome:
        ids = [mutation.id for mutation in request.mutations]
        if any(b <= a for a, b in itertools.pairwise(ids)):
            raise ApiError("mutations_out_of_order")
        results: list[MutationResult] = []
        last = self._register_client(principal, request.client_id)
        for mutation in request.mutations:
            if mutation.id > last + 1:
                raise ApiError(
                    "mutation_gap", expected=last + 1,
                    results=[r.model_dump(exclude_none=True) for r in results],
                )
            result = self._apply_one(principal, request.client_id, mutation, lang)
            results.append(result)
            last = max(last, mutation.id)
        return PushOutcome(results, last)

    def _register_client(self, principal: Principal, client_id: str) -> int:
        with self.state.db.write() as session:
            client = session.get(m.SyncClient, client_id, with_for_update=True)
            if client is None:
                client = m.SyncClient(client_id=client_id, agent_id=principal.agent_id)
                session.add(client)
                session.flush()
            elif client.agent_id != principal.agent_id:
                raise ApiError("client_mismatch")
            client.last_seen_at = m.utcnow()
            agent = session.get(m.Agent, principal.agent_id)
            if agent is not None:
                agent.last_seen_at = client.last_seen_at
            return client.last_mutation_id

    def _apply_one(
        self, principal: Principal, client_id: str, mutation: Mutation, lang: str
    ) -> MutationResult:
        try:
            with self.state.db.write() as session:
                client = session.get(m.SyncClient, client_id, with_for_update=True)
                assert client is not None
                if mutation.id <= client.last_mutation_id:
                    return _stored_result(session, client_id, mutation.id)
                changes = ChangeWriter(session, self.state.db.kind)
                ctx = MutationContext(session, principal, changes, self.state.settings, m.utcnow())
                status, code, message = self._run(ctx, mutation, lang)
                client.last_mutation_id = mutation.id
                session.add(
                    m.MutationLog(
                        client_id=client_id, mutation_id=mutation.id, name=mutation.name[:100],
                        status=status, code=code, message=message,
                    )
                )
                changes.emit(
                    agent_scope(principal.agent_id), "ack", f"{client_id}:{mutation.id}", "ack",
                    {"client_id": client_id, "mutation_id": mutation.id, "status": status,
                     "code": code, "message": message},
                )
                changes.before_commit()
        except (OperationalError, IntegrityError) as exc:
            log.warning("transient failure on mutation %s: %s", mutation.id, type(exc).__name__)
            raise ApiError("temporarily_unavailable") from exc
        self.state.notifier.notify(changes.wake)
        return MutationResult(id=mutation.id, status=status, code=code, message=message)

    def _run(
        self, ctx: MutationContext, mutation: Mutation, lang: str
    ) -> tuple[str, str | None, str | None]:
        """Runs the mutator in a savepoint; a rejection rolls back its effects only."""
        handler = self.mutators.get(mutation.name)
        args_model = MUTATION_ARGS.get(mutation.name)
        if handler is None or args_model is None:
            return "rejected", "unknown_mutation", render("unknown_mutation", lang,
                                                          name=mutation.name[:100])
        try:
            args = args_model.model_validate(mutation.args)
        except ValidationError as exc:
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
            )
            return "rejected", "invalid_args", render("invalid_args", lang, detail=detail)
        savepoint = ctx.session.begin_nested()
        try:
            handler(ctx, args)
            ctx.session.flush()
        except Rejected as rejected:
            savepoint.rollback()
            return "rejected", rejected.code, render(rejected.code, lang, **rejected.fields)
        except (OperationalError, IntegrityError):
            savepoint.rollback()
            raise
        except DBAPIError:
            savepoint.rollback()
            raise
        except Exception:  # a server bug must not block the client's queue forever
            savepoint.rollback()
            log.exception("mutator %s failed", mutation.name)
            return "rejected", "internal_error", render("internal_error", lang)
        savepoint.commit()
        return "applied", None, None


def _stored_result(session: object, client_id: str, mutation_id: int) -> MutationResult:
    row = session.scalar(  # type: ignore[attr-defined]
        select(m.MutationLog).where(
            m.MutationLog.client_id == client_id, m.MutationLog.mutation_id == mutation_id
        )
    )
    if row is None:
        return MutationResult(id=mutation_id, status="applied", replayed=True)
    return MutationResult(id=mutation_id, status=row.status, code=row.code, message=row.message,
                          replayed=True)

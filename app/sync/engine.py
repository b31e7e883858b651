"""The sync loop: push the outbox in order, pull and apply pages, long-poll; no widgets."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.models.store import Store, delete_all_messages
from app.models.tables import Conversation, Customer, Record
from app.sync import outbox
from app.sync.apply import Applied, apply_page
from app.sync.auth import SessionExpired, TokenKeeper
from app.sync.client import ApiClient, ApiError, NetworkError, Pulled, SyncError
from kefu_protocol.wire import Change, MutationResult

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class SyncStatus:
    """What the app shows about sync: state, queue, last success, last problem."""

    state: str = "connecting"  # connecting | online | offline | degraded
    pending: int = 0
    rejected: int = 0
    last_sync_at: dt.datetime | None = None
    offline_since: dt.datetime | None = None
    last_error: str | None = None  # network | tls | server | protocol | session_expired | …
    bootstrapped_rows: int | None = None  # set while a (re)bootstrap runs


class Backoff:
    """Jittered exponential backoff: 0.5 s doubling to 30 s, reset after a success."""

    def __init__(self, first: float = 0.5, cap: float = 30.0) -> None:
        self.first, self.cap, self.current = first, cap, first

    def next(self) -> float:
        delay = random.uniform(self.current / 2, self.current)
        self.current = min(self.cap, self.current * 2)
        return delay

    def reset(self) -> None:
        self.current = self.first


class SyncEngine:
    """Two threads: the pusher (woken by every local intent) and the puller (long-poll)."""

    def __init__(
        self,
        *,
        store: Store,
        run_db: Callable[..., Any],
        auth: TokenKeeper,
        make_client: Callable[[], ApiClient],
        on_status: Callable[[SyncStatus], None],
        on_changes: Callable[[Applied], None],
        wait: float = 25.0,
        submit_db: Callable[[Callable[[], Applied]], Future[Applied]] | None = None,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.store = store
        self.run_db = run_db
        self.auth = auth
        self.make_client = make_client
        self.on_status = on_status
        self.on_changes = on_changes
        self.wait = wait
        self.submit_db = submit_db or _run_now
        self.backoff = backoff  # tests pass a short cap so faults do not cost 30 s waits
        self._status = SyncStatus()
        self._status_lock = threading.Lock()
        self._stop = threading.Event()
        self._push_now = threading.Event()
        self._threads: list[threading.Thread] = []

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._refresh_counts()
        self._push_now.set()  # what a previous run left queued goes now, not in 10 s
        for target, name in ((self._push_loop, "kefu-push"), (self._pull_loop, "kefu-pull")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._push_now.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def flush(self, timeout: float) -> bool:
        """Waits (worker thread) until nothing is pending or `timeout` passed; True if empty."""
        self.poke()
        deadline = threading.Event()
        waited = 0.0
        while self.status.pending and waited < timeout:
            deadline.wait(0.05)
            waited += 0.05
        return self.status.pending == 0

    def poke(self) -> None:
        """A local intent was committed: count it and push it now (never behind the long-poll)."""
        self._push_now.set()
        self._refresh_counts()

    @property
    def status(self) -> SyncStatus:
        with self._status_lock:
            return self._status

    # ---- status ---------------------------------------------------------------------------

    def _set_status(self, **changes: Any) -> None:
        with self._status_lock:
            before = self._status
            self._status = replace(self._status, **changes)
            status = self._status
        if status.state != before.state:  # IT reads connection changes in the log (H10.3)
            log.info("sync %s -> %s%s", before.state, status.state,
                     f" ({status.last_error})" if status.last_error else "")
        self.on_status(status)

    def _succeeded(self) -> None:
        self._set_status(state="online", last_sync_at=dt.datetime.now(dt.UTC),
                         offline_since=None, last_error=None)

    def _failed(self, exc: BaseException) -> None:
        now = dt.datetime.now(dt.UTC)
        if isinstance(exc, NetworkError):
            since = self.status.offline_since or now
            kind = "tls" if type(exc).__name__ == "TlsError" else "network"
            self._set_status(state="offline", offline_since=since, last_error=kind)
        elif isinstance(exc, SessionExpired):
            self._set_status(state="offline", offline_since=self.status.offline_since or now,
                             last_error="session_expired")
        else:
            kind = {"ServerError": "server", "ProtocolError": "protocol"}.get(
                type(exc).__name__, getattr(exc, "code", "error"))
            self._set_status(state="degraded", last_error=kind)

    def _refresh_counts(self) -> None:
        def counts(session: Session) -> tuple[int, int]:
            return outbox.pending_count(session), outbox.rejected_count(session)

        pending, rejected = self._db(counts)
        self._set_status(pending=pending, rejected=rejected)

    def _db(self, fn: Callable[[Session], T], *, write: bool = False) -> T:
        def work() -> T:
            with self.store.write() if write else self.store.read() as session:
                return fn(session)

        return self.run_db(work)  # type: ignore[no-any-return]

    # ---- push -----------------------------------------------------------------------------

    def _push_loop(self) -> None:
        client = self.make_client()
        backoff = self.backoff()
        try:
            while not self._stop.is_set():
                self._push_now.wait(timeout=10.0)
                self._push_now.clear()
                try:
                    self._push_all(client)
                    backoff.reset()
                except SyncError as exc:
                    self._failed(exc)
                    self._stop.wait(backoff.next())
                    self._push_now.set()  # try again after the pause
        finally:
            client.close()

    def _push_all(self, client: ApiClient) -> None:
        """Pushes pending intents in order, a batch at a time, until none are left."""
        while not self._stop.is_set():
            cid, items = self._db(lambda s: (outbox.client_id(s), outbox.next_batch(s)),
                                  write=True)
            if not items:
                return
            self._push_batch(client, cid, items)

    def _push_batch(self, client: ApiClient, cid: str, items: list[outbox.Pending]) -> None:
        mutations = [{"id": i.mutation_id, "name": i.name, "args": i.args} for i in items]
        try:
            response = self.auth.call(lambda token: client.push(token, cid, mutations))
        except ApiError as exc:
            if exc.code == "mutation_gap":  # the server forgot us (restored): number again
                done = [MutationResult.model_validate(r) for r in exc.extra.get("results", [])]

                def renumber(session: Session) -> None:
                    # What ran before the gap is settled first, or it would run twice.
                    outbox.record_results(session, items, done)
                    outbox.forget_answered(session, items, done)
                    outbox.start_new_client(session)

                self._db(renumber, write=True)
                return
            if exc.status == 400:  # the batch itself was refused: keep it, visibly, not stuck
                code, reason = exc.code, exc.message or exc.code
                self._db(lambda s: outbox.reject_locally(s, items, code, reason), write=True)
                self._refresh_counts()
                return
            raise
        except SyncError as exc:
            reason = str(exc)
            self._db(lambda s: outbox.note_failure(s, items, reason), write=True)
            raise
        self._db(lambda s: outbox.record_results(s, items, response.results), write=True)
        self._succeeded()
        self._refresh_counts()

    # ---- pull -----------------------------------------------------------------------------

    def _pull_loop(self) -> None:
        """Pull → apply, pipelined while catching up: the next page is fetched while the DB
        thread applies the previous one (pages still commit in order, each with its cursor)."""
        client = self.make_client()
        backoff = self.backoff()
        catching_up = True
        cursor: str | None = None
        pending: Future[Applied] | None = None
        resetting = False  # reset_required seen: the rebuild is retried until it completes
        requeued = False
        try:
            while not self._stop.is_set():
                try:
                    if resetting:
                        # Inside the try: a server that fails mid-reset (503 while it restarts)
                        # is retried with backoff instead of ending this thread.
                        if not requeued:
                            self._db(outbox.resend_sent, write=True)
                            requeued = True
                        self._reset(client)
                        resetting = requeued = False
                        continue
                    if cursor is None:
                        cursor = self._db(lambda s: outbox.get_state(s, "cursor"))
                        if not cursor:
                            self._bootstrap(client, wipe=False)
                            cursor = None
                            continue
                    wait = 0.0 if catching_up else self.wait
                    if wait and pending is not None:  # never wait for news with work unsaved
                        pending = self._finish(pending)
                    page = self.auth.call(
                        lambda token, c=cursor, w=wait: client.pull(token, c, limit=1000, wait=w))
                    if self._stop.is_set():
                        break
                    if pending is not None:
                        pending = self._finish(pending)
                    pending = self._apply_later(page)
                    cursor = page.cursor
                    catching_up = not page.up_to_date
                    if not catching_up:
                        pending = self._finish(pending)
                    backoff.reset()
                except ApiError as exc:
                    pending, cursor = self._settle(pending), None
                    if exc.code == "reset_required":
                        resetting = True
                        continue
                    self._failed(exc)
                    self._stop.wait(backoff.next())
                except SessionExpired as exc:
                    self._settle(pending)
                    self._failed(exc)
                    return
                except SyncError as exc:
                    pending, cursor = self._settle(pending), None
                    self._failed(exc)
                    self._stop.wait(backoff.next())
                except Exception as exc:  # a local failure (disk full …): report, retry later
                    log.exception("pull loop failed; retrying from the stored cursor")
                    pending, cursor = self._settle(pending), None
                    self._failed(exc)
                    self._stop.wait(backoff.next())
        finally:
            self._settle(pending)
            client.close()

    def _apply_later(self, page: Pulled) -> Future[Applied]:
        def work() -> Applied:
            with self.store.write() as session:
                cid = outbox.client_id(session)
                applied = apply_page(session, page.changes, client_id=cid,
                                     unreadable=page.unreadable)
                outbox.set_state(session, "cursor", page.cursor)  # last, same transaction
                return applied

        return self.submit_db(work)

    def _finish(self, pending: Future[Applied]) -> None:
        """Waits for a page's commit, then reports it (raises if the apply failed)."""
        applied = pending.result()
        self._succeeded()
        if applied.skipped:  # the rest of the feed moves on; the rows wait in `conflict`
            log.error("%d feed row(s) could not be stored; kept as bad_feed_row", applied.skipped)
            self._set_status(state="degraded", last_error="feed_row_skipped")
        if applied.acked or applied.rejected:
            self._refresh_counts()
        if applied.conversations or applied.message_conversations or applied.customers \
                or applied.records or applied.acked or applied.rejected or applied.notices \
                or applied.skipped:
            self.on_changes(applied)

    def _settle(self, pending: Future[Applied] | None) -> None:
        """After an error: let an outstanding apply finish; the cursor is re-read from disk."""
        if pending is not None:
            try:
                self._finish(pending)
            except Exception:  # the page is simply pulled again from the stored cursor
                log.warning("a pulled page failed to apply; pulling it again", exc_info=True)

    def _bootstrap(self, client: ApiClient, *, wipe: bool) -> None:
        """Current rows page by page (each page one transaction); the cursor is written last."""
        page_token: str | None = None
        done = 0
        self._set_status(bootstrapped_rows=0)
        kept = self._db(_wipe_synced, write=True) if wipe else []
        total = Applied()
        while not self._stop.is_set():
            page = self.auth.call(
                lambda token, p=page_token: client.bootstrap(token, p, limit=2000))
            changes = [Change(entity=r.entity, op="upsert", id=r.id, data=r.data)
                       for r in page.rows]
            applied = self._db(lambda s, c=changes: apply_page(s, c, client_id=""),
                               write=True)
            total.merge(applied)
            done += len(page.rows)
            self._set_status(bootstrapped_rows=done)
            page_token = page.next
            if page_token is None:
                def finish(session: Session, cursor: str = page.cursor) -> None:
                    restore_local(session, kept)
                    # Acks of intents applied before the snapshot are not in the feed after it.
                    outbox.forget_applied(session)
                    outbox.set_state(session, "cursor", cursor)

                self._db(finish, write=True)
                break
        self._set_status(bootstrapped_rows=None)
        self._refresh_counts()
        self._succeeded()
        self.on_changes(total)

    def _reset(self, client: ApiClient) -> None:
        """reset_required: push the outbox first, then rebuild. Under the same client id, sent
        rows again too: what the restored server already holds is only replayed (a non-idempotent
        intent such as kb.used is not applied twice); if it forgot this client, the
        `mutation_gap` answer moves the rest to a new client id."""
        log.warning("server asked for a reset: pushing the outbox, then rebuilding the cache")
        self._push_all(client)
        self._bootstrap(client, wipe=True)


def _run_now(fn: Callable[[], Applied]) -> Future[Applied]:
    """Without a DB executor (tests of one layer): apply synchronously."""
    future: Future[Applied] = Future()
    try:
        future.set_result(fn())
    except Exception as exc:
        future.set_exception(exc)
    return future


def _wipe_synced(session: Session) -> list[Any]:
    """Empties the synced tables; returns each conversation's local draft and read mark."""
    kept = list(session.execute(select(Conversation.id, Conversation.draft,
                                       Conversation.last_read_seq)).all())
    delete_all_messages(session)  # with the search index, at truncate speed
    session.execute(delete(Conversation))
    session.execute(delete(Customer))
    session.execute(delete(Record))
    outbox.set_state(session, "cursor", "")
    return kept


def restore_local(session: Session, kept: list[Any]) -> None:
    for conversation_id, draft, last_read_seq in kept:
        session.execute(update(Conversation).where(Conversation.id == conversation_id)
                        .values(draft=draft, last_read_seq=last_read_seq))

"""A signed-in session's moving parts: the profile's cache, the sync engine, the chat service."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from app.models.recovery import CacheRecovery
from app.models.store import Store, open_store, profile_dir
from app.services.auth import AuthService, SignedIn
from app.services.chat import ChatService
from app.services.credentials import CACHE_SERVICE, CredentialVault
from app.sync import outbox
from app.sync.apply import Applied
from app.sync.auth import TokenKeeper
from app.sync.client import ApiClient
from app.sync.engine import SyncEngine, SyncStatus
from app.workers import Workers

__all__ = ["Applied", "Runtime", "SyncStatus", "open_runtime"]

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    signed_in: SignedIn
    store: Store
    engine: SyncEngine
    chat: ChatService
    keeper: TokenKeeper
    vault: CredentialVault | None = None
    """Holds the cache's key; it drops the key when the profile is wiped."""

    @property
    def recovery(self) -> CacheRecovery | None:
        """The damaged cache found at sign-in, set aside and rebuilt (None normally)."""
        return self.store.recovery

    @property
    def volatile(self) -> bool:
        """No keyring: the cache is deleted at exit, so unsent work does not survive a restart."""
        return self.store.volatile

    def unsent(self) -> int:
        """Intents this desk has not got onto the server: waiting, or refused by it."""
        with self.store.read() as session:
            return outbox.pending_count(session) + outbox.rejected_count(session)

    def stop(self, *, clear_cache: bool = False, discard_unsent: bool = False) -> bool:
        """Stops syncing and closes the cache. `clear_cache` (shared computer, H1.8) deletes
        this profile's folder (cache, WAL, lock), but only when nothing is left to send or the
        agent was told and chose to discard it (`discard_unsent`); True if deleted."""
        self.engine.stop()
        unsent = 0
        if clear_cache:
            with self.store.read() as session:
                unsent = outbox.pending_count(session)
        self.store.close()
        if not clear_cache:
            return False
        if unsent and not discard_unsent:
            log.warning("shared computer: cache kept, %d intent(s) not yet sent", unsent)
            return False
        if unsent:
            log.warning("shared computer: %d unsent intent(s) discarded, as the agent chose",
                        unsent)
        folder = self.store.path.parent
        shutil.rmtree(folder, ignore_errors=True)
        if folder.exists():
            log.error("shared computer: the profile folder could not be deleted completely")
            return False
        if self.vault is not None:
            self.vault.delete(self.signed_in.server_url, self.signed_in.account, CACHE_SERVICE)
        return True


def _requeue(session: Session, recovery: CacheRecovery) -> None:
    """Under the damaged cache's client id and numbers when all were read (nothing the server
    applied runs twice); otherwise renumbered under a new one."""
    numbered = [(i.mutation_id, i.name, i.args) for i in recovery.salvaged
                if i.mutation_id is not None]
    if recovery.client_id and len(numbered) == len(recovery.salvaged):
        outbox.adopt(session, recovery.client_id, numbered)
        return
    for intent in recovery.salvaged:
        outbox.enqueue(session, intent.name, intent.args)


def open_runtime(
    signed_in: SignedIn,
    *,
    auth: AuthService,
    data_root: Path,
    workers: Workers,
    remember: bool,
    on_status: Callable[[SyncStatus], None],
    on_changes: Callable[[Applied], None],
    long_poll_wait: float = 25.0,
    read_timeout: float = 30.0,
) -> Runtime:
    """Opens this account's cache (refusing a second instance), encrypted under the key the
    keyring keeps for it (H11.3), and starts syncing. Without a keyring the key lives in this
    process only: the cache is `volatile.db`, deleted at exit, and `cache.db` stays as it is."""
    folder = profile_dir(data_root, signed_in.server_url, signed_in.account)
    key = auth.vault.cache_key(signed_in.server_url, signed_in.account)
    store = open_store(folder / ("cache.db" if key.kept else "volatile.db"), key=key)
    if store.volatile:
        log.warning("no keyring: the local cache is kept for this run only")
    if store.recovery is not None and store.recovery.salvaged:
        with store.write() as session:  # the damaged cache's unsent work goes out again
            _requeue(session, store.recovery)

    def rotated(token: str) -> None:
        if auth.vault.remembers(signed_in.server_url, signed_in.account, remember):
            auth.vault.save(signed_in.server_url, signed_in.account, token)

    keeper = TokenKeeper(auth.client(), access_token=signed_in.access_token,
                         refresh_token=signed_in.refresh_token, on_rotated=rotated)

    def make_client() -> ApiClient:
        return ApiClient(signed_in.server_url, ca_bundle=auth.ca_bundle,
                         read_timeout=read_timeout)

    engine = SyncEngine(store=store, run_db=workers.run_db, auth=keeper, make_client=make_client,
                        on_status=on_status, on_changes=on_changes, wait=long_poll_wait,
                        submit_db=workers.submit_db)
    chat = ChatService(store, agent_id=signed_in.agent.id, poke=engine.poke)
    engine.start()
    return Runtime(signed_in, store, engine, chat, keeper, auth.vault)

"""The settings in force at this desk; roaming ones follow the agent (`setting.set`)."""

# Order: IT's machine policy > the signed-in agent's roaming value (queued here, or synced from
# the server) > this computer's settings file > the declared default. Before anyone signs in
# only the file and the policy count. Every change reaches the listeners as the set of keys
# whose value in force changed, so each view applies only what concerns it.

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.config import Config, LockReason, SettingLocked
from app.models.store import Store
from app.models.tables import Outbox, Record
from app.settings import BY_KEY, SETTINGS, check_value
from app.sync import outbox

log = logging.getLogger(__name__)

Listener = Callable[[frozenset[str]], None]
SETTING_ENTITY = "setting"
ROAMING: frozenset[str] = frozenset(s.key for s in SETTINGS if s.roaming)


@dataclass
class RoamingProfile:
    """Where a signed-in agent's roaming values live: their synced cache and its outbox."""

    store: Store
    agent_id: str
    submit_db: Callable[[Callable[[], Any]], Future[Any]]
    """Runs a function on the one DB writer thread."""
    poke: Callable[[], None]
    """Wakes the push thread."""


class Preferences:
    """Reads on the caller's thread; roaming writes are queued on the DB thread, never awaited."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.profile: RoamingProfile | None = None
        self._roaming: dict[str, Any] = {}
        self._listeners: list[Listener] = []

    # ---- reading --------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        setting = BY_KEY[key]
        if self.config.source(key) == "policy":
            value = self.config.get(key)
        elif key in self._roaming:
            value = self._roaming[key]
        else:
            value = self.config.get(key)
        return copy.deepcopy(value) if setting.type in (dict, list) else value

    def lock_reason(self, key: str) -> LockReason | None:
        return self.config.lock_reason(key)

    def locked(self, key: str) -> bool:
        return self.config.locked(key)

    def is_default(self, key: str) -> bool:
        return self.get(key) == BY_KEY[key].default

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """`listener(keys)` after every change; returns the function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ---- writing --------------------------------------------------------------------------

    def set(self, key: str, value: Any) -> None:
        """Saves a value (raises SettingLocked or ValueError like Config.set). A roaming one is
        also queued as `setting.set`, so the agent's other desks get it."""
        self.set_many({key: value})

    def set_many(self, values: dict[str, Any]) -> None:
        """Several values at once, checked first: one refused value saves none of them."""
        for key, value in values.items():
            if self.config.locked(key):
                raise SettingLocked(key)
            problem = check_value(str(self.config.path), key, value)
            if problem is not None:
                raise ValueError(str(problem))
        before = {key: self.get(key) for key in values}
        for key, value in values.items():
            self.config.set(key, value)  # this desk remembers it for the login window too
            if key in ROAMING and self.profile is not None:
                self._roaming[key] = copy.deepcopy(value)
                self._queue(key, value)
        self._notify(k for k in values if self.get(k) != before[k])

    def reset(self, key: str) -> None:
        """Back to the default (or IT's value); roaming ones are reset on every desk."""
        self.reset_many([key])

    def reset_many(self, keys: Iterable[str]) -> None:
        keys = [k for k in keys if not self.config.locked(k)]
        before = {key: self.get(key) for key in keys}
        for key in keys:
            self.config.reset(key)
            if key in ROAMING and self.profile is not None:
                self._roaming[key] = copy.deepcopy(BY_KEY[key].default)
                self._queue(key, BY_KEY[key].default)
        self._notify(k for k in keys if self.get(k) != before[k])

    def reset_all(self) -> None:
        """"Reset to defaults" for everything the agent may change."""
        self.reset_many(s.key for s in SETTINGS if s.user)

    def _queue(self, key: str, value: Any) -> None:
        profile = self.profile
        assert profile is not None

        def write() -> None:
            with profile.store.write() as session:
                outbox.enqueue(session, "setting.set", {"key": key, "value": value})
            profile.poke()

        future = profile.submit_db(write)
        future.add_done_callback(lambda f: f.exception() and log.warning(
            "setting %s not queued: %s", key, type(f.exception()).__name__))

    # ---- the signed-in agent --------------------------------------------------------------

    def attach(self, profile: RoamingProfile) -> frozenset[str]:
        """Signed in: the agent's own values (synced earlier, or still queued) take over."""
        before = {key: self.get(key) for key in ROAMING}
        self.profile = profile
        self._roaming = self._load(profile)
        changed = frozenset(k for k in ROAMING if self.get(k) != before[k])
        self._notify(changed)
        return changed

    def detach(self) -> frozenset[str]:
        """Signed out: back to this computer's values."""
        before = {key: self.get(key) for key in ROAMING}
        self.profile = None
        self._roaming = {}
        changed = frozenset(k for k in ROAMING if self.get(k) != before[k])
        self._notify(changed)
        return changed

    def absorb(self, record_ids: Iterable[str]) -> frozenset[str]:
        """After a sync page: values set on another desk apply here (only if it touched ours)."""
        profile = self.profile
        if profile is None:
            return frozenset()
        prefix = f"{profile.agent_id}:"
        if not any(str(rid).startswith(prefix) for rid in record_ids):
            return frozenset()
        before = {key: self.get(key) for key in ROAMING}
        self._roaming = self._load(profile)
        for key in ROAMING:  # the agent's last word is kept on this desk's file too
            if key in self._roaming and not self.config.locked(key) \
                    and self._roaming[key] != self.config.get(key):
                try:
                    self.config.set(key, self._roaming[key])
                except ValueError:
                    log.warning("roaming setting %s refused on this desk", key)
        changed = frozenset(k for k in ROAMING if self.get(k) != before[k])
        self._notify(changed)
        return changed

    def _load(self, profile: RoamingProfile) -> dict[str, Any]:
        """Synced values, then intents not yet acknowledged on top (newest last)."""
        values: dict[str, Any] = {}
        prefix = f"{profile.agent_id}:"
        with profile.store.read() as session:
            rows = session.scalars(select(Record).where(
                Record.entity == SETTING_ENTITY, Record.id.startswith(prefix, autoescape=True)))
            for row in rows:
                key = row.id[len(prefix):]
                value = (row.data or {}).get("value")
                if key in ROAMING and check_value("server", key, value) is None:
                    values[key] = value
            queued = session.scalars(select(Outbox).where(
                Outbox.name == "setting.set", Outbox.state.in_(("pending", "sent")))
                .order_by(Outbox.seq))
            for intent in queued:
                key = str(intent.args.get("key", ""))
                if key in ROAMING and check_value("outbox", key, intent.args.get("value")) is None:
                    values[key] = intent.args["value"]
        return values

    def _notify(self, keys: Iterable[str]) -> None:
        changed = frozenset(keys)
        if not changed:
            return
        log.info("settings in force changed: %s", ", ".join(sorted(changed)))
        for listener in list(self._listeners):
            try:
                listener(changed)
            except Exception:  # one broken view must not stop the others from updating
                log.exception("applying settings %s failed", sorted(changed))

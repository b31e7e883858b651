"""The OS keyring: refresh token (H1.9) and cache keys (H11.3); never a password, never a file."""

from __future__ import annotations

import logging
from contextlib import closing
from dataclasses import dataclass

import keyring
import keyring.backend
import keyring.errors

from app.models.cipher import KEY_BYTES, CacheKey, new_secret

log = logging.getLogger(__name__)

SERVICE = "KefuDesk"
CACHE_SERVICE = "KefuDesk cache key"
"""The local cache's encryption keys: a service of their own, so no token code touches them."""

# Backends that are no keyring at all, or that write secrets in plain text (keyrings.alt).
_REFUSED_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


@dataclass(frozen=True)
class VaultState:
    usable: bool
    backend: str


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _acceptable(backend: keyring.backend.KeyringBackend) -> bool:
    name = _backend_name(backend)
    if name.startswith(_REFUSED_MODULES):
        return False
    inner = getattr(backend, "backends", None)
    if inner is not None:  # the chainer: usable only if every link is acceptable
        return bool(inner) and all(_acceptable(b) for b in inner)
    return True


class CredentialVault:
    """Stores one refresh token per server + account; refuses insecure backends."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend
        self._chosen: dict[str, bool] = {}
        """Auto-login switched on or off by the agent in this run, per entry (H1.9)."""

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend or keyring.get_keyring()

    def state(self) -> VaultState:
        backend = self.backend
        return VaultState(_acceptable(backend), _backend_name(backend))

    @staticmethod
    def _user(server_url: str, account: str) -> str:
        return f"{server_url}|{account}"

    def save(self, server_url: str, account: str, refresh_token: str) -> bool:
        if not self.state().usable or not self._chosen.get(self._user(server_url, account), True):
            return False
        try:
            self.backend.set_password(SERVICE, self._user(server_url, account), refresh_token)
            return True
        except keyring.errors.KeyringError as exc:
            log.warning("keyring refused to store the token: %s", type(exc).__name__)
            return False

    def load(self, server_url: str, account: str) -> str | None:
        if not self.state().usable:
            return None
        try:
            return self.backend.get_password(SERVICE, self._user(server_url, account))
        except keyring.errors.KeyringError as exc:
            log.warning("keyring unreadable: %s", type(exc).__name__)
            return None

    def delete(self, server_url: str, account: str, service: str = SERVICE) -> None:
        """Removes the entry (the refresh token, or with CACHE_SERVICE the cache key)."""
        if not self.state().usable:
            return
        try:
            self.backend.delete_password(service, self._user(server_url, account))
        except keyring.errors.PasswordDeleteError:
            pass
        except Exception as exc:  # keyring and D-Bus errors: the entry stays, the app goes on
            log.warning("keyring entry not removed: %s", type(exc).__name__)

    def cache_key(self, server_url: str, account: str) -> CacheKey:
        """This profile's cache key from the keyring, made and stored there on first use. With
        no usable keyring (or one that fails now) a key for this run only: the cache cannot
        outlive it, and an existing encrypted cache is left untouched for a later run."""
        if not self.state().usable:
            return CacheKey(new_secret(), new=True, kept=False)
        user = self._user(server_url, account)
        try:
            stored = self.backend.get_password(CACHE_SERVICE, user)
            secret = _secret(stored)
            if secret is not None:
                return CacheKey(secret, new=False, kept=True)
            if stored:
                log.error("the cache key in the keyring is not a key; a new one replaces it")
            secret = new_secret()
            self.backend.set_password(CACHE_SERVICE, user, secret.hex())
            return CacheKey(secret, new=True, kept=True)
        except Exception as exc:  # keyring and D-Bus errors alike: this run keeps no cache
            log.warning("cache key not in the keyring: %s", type(exc).__name__)
            return CacheKey(new_secret(), new=True, kept=False)


    def choose(self, server_url: str, account: str, remember: bool) -> None:
        """The agent's choice for this run (H1.9): off refuses every later save of this entry,
        including a token rotated by the sync threads; on allows them again."""
        self._chosen[self._user(server_url, account)] = remember

    def remembers(self, server_url: str, account: str, default: bool) -> bool:
        """Whether a rotated token is to be stored: the agent's choice in this run, if any."""
        return self._chosen.get(self._user(server_url, account), default)

    def forget(self, account: str, server_urls: tuple[str, ...]) -> None:
        """Shared computer (H1.8): every entry this app keeps for `account` is deleted (one
        refresh token per server: those named, and any other the backend can list) and none
        is stored again in this run."""
        listed = [user.rpartition("|")[0] for user in self._listed_users()
                  if user.endswith(f"|{account}")]
        for server_url in dict.fromkeys([*server_urls, *listed]):
            self.choose(server_url, account, False)
            self.delete(server_url, account)

    def _listed_users(self) -> list[str]:
        """The users of this app's entries where the backend can search them (Secret Service);
        [] elsewhere, where only the named servers' entries can be found."""
        backend = self.backend
        collection = getattr(backend, "get_preferred_collection", None)
        scheme = getattr(backend, "schemes", {}).get(getattr(backend, "scheme", ""), {})
        if collection is None or not self.state().usable or not scheme:
            return []
        try:
            found = collection()
            with closing(found.connection):
                items = found.search_items({scheme["service"]: SERVICE})
                return [str(item.get_attributes().get(scheme["username"], "")) for item in items]
        except Exception as exc:  # D-Bus and secretstorage errors: the named entries still go
            log.warning("keyring entries not listed: %s", type(exc).__name__)
            return []


def _secret(stored: str | None) -> bytes | None:
    try:
        secret = bytes.fromhex(stored or "")
    except ValueError:
        return None
    return secret if len(secret) == KEY_BYTES else None

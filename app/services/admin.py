"""Supervisors' tools: per-agent permission grants (H10.2) and the tag library (H4.3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import func, select

from app.models.store import Store
from app.models.tables import Record
from app.services.tag_library import TagLibraryService
from app.sync.auth import SessionExpired, TokenKeeper
from app.sync.client import ApiClient, ApiError, SyncError
from kefu_protocol.wire import (
    PERMISSIONS,
    ROLE_PERMISSIONS,
    ROLE_RANK,
    AgentGrantsRequest,
    has_permission,
)

GRANT_FAILURES = ("forbidden", "not_found", "network", "session_expired", "invalid_request")
"""The codes `GrantsFailed` carries that the UI words itself; others come with the server's text."""


class GrantsFailed(Exception):
    """A grants PUT that did not happen: `code` is the server's machine code ("forbidden",
    "not_found" …), "network" when the server was unreachable, "session_expired"."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AgentGrants:
    """One agent as the grants editor shows it."""

    id: str
    name: str
    employee_id: str
    role: str
    team_id: str
    team: str
    grants: tuple[str, ...]
    """Explicit grants on top of the role (the agent row's `grants`), sorted."""
    manageable: bool
    """The viewer may change them: admins always, supervisors for roles below their own (the
    server refuses the rest with 403)."""

    def by_role(self, permission: str) -> bool:
        """The role has it by default: shown ticked and not editable."""
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())

    def has(self, permission: str) -> bool:
        return has_permission(self.role, self.grants, permission)

    @property
    def effective(self) -> tuple[str, ...]:
        """Every permission the agent holds, in PERMISSIONS order."""
        return tuple(p for p in PERMISSIONS if self.has(p))


def may_grant(role: str) -> bool:
    """Supervisors and admins manage grants (the server enforces it too)."""
    return ROLE_RANK.get(role, 0) >= ROLE_RANK["supervisor"]


def manages(viewer_role: str, role: str) -> bool:
    """The server's rule: an admin manages anyone, others only roles below their own."""
    return viewer_role == "admin" or ROLE_RANK.get(role, 0) < ROLE_RANK.get(viewer_role, 0)


class AdminService:
    """Grants go over REST (a net worker); tag changes are queued intents (the DB worker)."""

    def __init__(self, store: Store, *, keeper: TokenKeeper, make_client: Callable[[], ApiClient],
                 poke: Callable[[], None]) -> None:
        self.store = store
        self.keeper = keeper
        self.make_client = make_client
        self.poke = poke
        self.tags = TagLibraryService(store, poke=poke)
        """The tag library (H4.3): the tree with usage counts, queued tag.* intents."""

    # ---- reads (the caller's thread) -------------------------------------------------------

    def agents(self, viewer_role: str) -> tuple[AgentGrants, ...]:
        """Every enabled agent of the cache (the teams the viewer sees), by team then name."""
        with self.store.read() as session:
            rows = session.scalars(select(Record.data).where(Record.entity == "agent")).all()
            teams = dict(session.execute(
                select(Record.id, func.json_extract(Record.data, "$.name"))
                .where(Record.entity == "team")).all())
        people = []
        for data in rows:
            if data.get("disabled"):
                continue
            role = str(data.get("role") or "agent")
            team_id = str(data.get("team_id") or "")
            people.append(AgentGrants(
                id=str(data.get("id")), name=str(data.get("name") or ""),
                employee_id=str(data.get("employee_id") or ""), role=role, team_id=team_id,
                team=str(teams.get(team_id) or ""),
                grants=tuple(sorted({str(g) for g in data.get("grants") or ()})),
                manageable=manages(viewer_role, role)))
        return tuple(sorted(people, key=lambda a: (a.team, a.name, a.employee_id)))

    def touched_agents(self, record_ids: set[str]) -> bool:
        """Does a pulled page name an agent row (a grant saved here or elsewhere)?"""
        if not record_ids:
            return False
        ids = sorted(record_ids)
        with self.store.read() as session:
            for start in range(0, len(ids), 500):
                if session.scalar(select(Record.id).where(
                        Record.entity.in_(("agent", "team")),
                        Record.id.in_(ids[start:start + 500])).limit(1)):
                    return True
        return False

    # ---- REST (a net worker) ---------------------------------------------------------------

    def save_grants(self, agent_id: str, grants: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """PUT the agent's whole grant list; returns what the server stored. The synced agent
        row follows through the feed. Raises GrantsFailed."""
        try:
            body = AgentGrantsRequest.model_validate({"grants": sorted(set(grants))})
        except ValidationError as exc:
            raise GrantsFailed("invalid_request") from exc
        client = self.make_client()
        try:
            stored = self.keeper.call(
                lambda token: client.set_grants(token, agent_id, list(body.grants)))
        except SessionExpired as exc:
            raise GrantsFailed("session_expired") from exc
        except ApiError as exc:
            raise GrantsFailed(exc.code or "invalid_request", str(exc.message)) from exc
        except SyncError as exc:
            raise GrantsFailed("network") from exc
        finally:
            client.close()
        return tuple(sorted(stored))

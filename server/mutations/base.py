"""What every mutator gets (context) and raises (Rejected); the registry they join."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kefu_protocol.wire import PERMISSION_LABELS_ZH
from server import models as m
from server.changes import ChangeWriter, team_scope
from server.principal import Principal
from server.state import Settings


class Rejected(Exception):
    """A permanent refusal: recorded as `rejected` with a reason; the queue moves on."""

    def __init__(self, code: str, **fields: Any) -> None:
        super().__init__(code)
        self.code = code
        self.fields = fields


@dataclass
class MutationContext:
    session: Session
    principal: Principal
    changes: ChangeWriter
    settings: Settings
    now: dt.datetime

    def publish(self, scope: str, row: m.Base) -> None:
        """Flushes `row` (so defaults exist) and appends it to the feed of `scope`."""
        self.session.flush()
        self.changes.upsert(scope, row)

    def publish_team(self, row: m.Base, team_id: str) -> None:
        self.publish(team_scope(team_id), row)


Mutator = Callable[[MutationContext, Any], None]


def employee_id(ctx: MutationContext) -> str:
    """H5.4: the caller's employee ID, the account before `@`."""
    return ctx.principal.account.split("@")[0]


def require_permission(ctx: MutationContext, permission: str) -> None:
    """H10.2: the role's default or a supervisor's grant, else `permission_required`."""
    if not ctx.principal.can(permission):
        raise Rejected("permission_required", permission=permission,
                       label=PERMISSION_LABELS_ZH[permission])


def bump(row: Any) -> None:
    """Every change to a cached row raises its version; clients keep the higher one."""
    row.version = (row.version or 0) + 1

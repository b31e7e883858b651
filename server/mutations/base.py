"""What every mutator gets (context) and raises (Rejected); the registry they join."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

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


def bump(row: Any) -> None:
    """Every change to a cached row raises its version; clients keep the higher one."""
    row.version = (row.version or 0) + 1

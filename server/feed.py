"""Reads the change feed for a caller's scopes: cursors, gap-free pages, reset detection."""

# A cursor names the last change the client holds: `(xid, id)` of a real feed row, or `(0, 0)`
# before the first one. Every read checks that this database has that very change (same id,
# same transaction). A restored backup does not — even after new writes have reused its ids —
# so the client is told to rebuild (409 `reset_required`) instead of keeping changes the server
# lost and skipping new ones (tests/server/test_backup_restore.py).

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from server.errors import ApiError

_MAX_BIGINT = 2**63 - 1


@dataclass(frozen=True)
class Cursor:
    """A feed row: `(xid, id)`; xid is the transaction id on PostgreSQL, the random group id of
    the writing transaction on SQLite (where ids alone order the feed). `(0, 0)`: no row yet."""

    epoch: str
    xid: int
    id: int

    def encode(self, kind: str) -> str:
        return f"{'pg' if kind == 'postgresql' else 'sq'}:{self.epoch}:{self.xid}:{self.id}"


@dataclass(frozen=True)
class Page:
    changes: list[dict[str, Any]]
    cursor: Cursor
    up_to_date: bool


def decode_cursor(raw: str, *, kind: str, epoch: str) -> Cursor:
    """Parses a client's cursor; a cursor from another epoch or database kind needs a reset."""
    if raw == "":
        return Cursor(epoch, 0, 0)
    parts = raw.split(":")
    try:
        if parts[0] in ("pg", "sq") and len(parts) == 4:
            cursor = Cursor(parts[1], int(parts[2]), int(parts[3]))
        elif parts[0] == "sq" and len(parts) == 3:  # an older server's: no xid, so rebuild once
            cursor = Cursor(parts[1], 0, int(parts[2]))
        else:
            raise ValueError(raw)
    except ValueError as exc:
        raise ApiError("invalid_cursor") from exc
    cursor_kind = "postgresql" if parts[0] == "pg" else "sqlite"
    if not (0 <= cursor.xid <= _MAX_BIGINT and 0 <= cursor.id <= _MAX_BIGINT):
        raise ApiError("invalid_cursor")
    if cursor_kind != kind or cursor.epoch != epoch:
        raise ApiError("reset_required", reason="epoch")
    return cursor


def read_page(
    session: Session, *, kind: str, scopes: list[str], cursor: Cursor, limit: int
) -> Page:
    """Up to `limit` changes after `cursor`, extended so no transaction is split across pages."""
    if kind == "postgresql":
        rows = _read_pg(session, scopes, cursor, limit)  # checks the cursor in the same query
    else:
        _check_known(session, kind=kind, cursor=cursor)
        rows = _read_sqlite(session, scopes, cursor, limit)
    if not rows:
        return Page([], cursor, True)
    last = rows[-1]
    full = len(rows) >= limit
    if full:
        rows.extend(_rest_of_transaction(session, kind, scopes, last))
        last = rows[-1]
    changes = [
        {"entity": r["entity"], "op": r["op"], "id": r["entity_id"], "data": r["data"]}
        for r in rows
    ]
    return Page(changes, Cursor(cursor.epoch, int(last["xid"]), int(last["id"])), not full)


def page_json(page: Page, kind: str) -> bytes:
    """The pull response, assembled around each row's stored JSON text (no re-encoding)."""
    dumps = json.dumps
    parts = [
        f'{{"entity":{dumps(c["entity"])},"op":{dumps(c["op"])},"id":{dumps(c["id"])},'
        f'"data":{c["data"] or "null"}}}'
        for c in page.changes
    ]
    up_to_date = "true" if page.up_to_date else "false"
    return (f'{{"changes":[{",".join(parts)}],"cursor":{dumps(page.cursor.encode(kind))},'
            f'"up_to_date":{up_to_date}}}').encode()


_COLUMNS = "id, entity, op, entity_id"
_SQLITE_COLUMNS = f"{_COLUMNS}, data, xid"  # data is the stored JSON text
_PG_COLUMNS = f"{_COLUMNS}, data::text AS data, xid::text AS xid"


def _read_sqlite(
    session: Session, scopes: list[str], cursor: Cursor, limit: int
) -> list[dict[str, Any]]:
    stmt = text(
        f"SELECT {_SQLITE_COLUMNS} FROM change_log WHERE scope IN :scopes AND id > :cid "
        "ORDER BY id LIMIT :n"
    ).bindparams(bindparam("scopes", expanding=True))
    result = session.execute(stmt, {"scopes": scopes, "cid": cursor.id, "n": limit})
    return [_row(r) for r in result.mappings()]


def _read_pg(
    session: Session, scopes: list[str], cursor: Cursor, limit: int
) -> list[dict[str, Any]]:
    """The page, and in the same round trip whether the cursor's row exists (_check_known):
    every waiting long-poll of a woken floor runs this."""
    stmt = text(
        "SELECT k.known, c.* FROM (SELECT (CAST(:cid AS bigint) = 0 OR EXISTS (SELECT 1 "
        "FROM change_log WHERE id = :cid AND xid = CAST(:cx AS text)::xid8)) AS known) AS k "
        f"LEFT JOIN LATERAL (SELECT {_PG_COLUMNS}, change_log.xid AS sort_xid FROM change_log "
        "WHERE scope = ANY(:scopes) AND (xid, id) > (CAST(:cx AS text)::xid8, :cid) "
        "AND xid < pg_snapshot_xmin(pg_current_snapshot()) "
        # Qualified: a bare `xid` would sort by the text alias above ('10' < '9').
        "ORDER BY change_log.xid, change_log.id LIMIT :n) AS c ON true "
        "ORDER BY c.sort_xid, c.id"
    )
    result = session.execute(
        stmt, {"scopes": scopes, "cx": str(cursor.xid), "cid": cursor.id, "n": limit}
    )
    rows = list(result.mappings())
    if not rows[0]["known"]:
        raise ApiError("reset_required", reason="restored")
    return [_row(r) for r in rows if r["id"] is not None]


def _rest_of_transaction(
    session: Session, kind: str, scopes: list[str], last: dict[str, Any]
) -> list[dict[str, Any]]:
    if kind == "postgresql":
        stmt = text(
            f"SELECT {_PG_COLUMNS} FROM change_log WHERE scope = ANY(:scopes) "
            "AND xid = CAST(:x AS text)::xid8 AND id > :cid ORDER BY id"
        )
    else:
        stmt = text(
            f"SELECT {_SQLITE_COLUMNS} FROM change_log WHERE scope IN :scopes "
            "AND xid = :x AND id > :cid ORDER BY id"
        ).bindparams(bindparam("scopes", expanding=True))
    result = session.execute(stmt, {"scopes": scopes, "x": str(last["xid"]), "cid": last["id"]})
    return [_row(r) for r in result.mappings()]


def _row(r: Any) -> dict[str, Any]:
    data = r["data"]
    if data is not None and not isinstance(data, str):
        data = json.dumps(data)
    return {
        "id": r["id"],
        "xid": int(r["xid"]) if r["xid"] is not None else 0,
        "entity": r["entity"],
        "op": r["op"],
        "entity_id": r["entity_id"],
        "data": data,
    }


def _check_known(session: Session, *, kind: str, cursor: Cursor) -> None:
    """The change the cursor names must be in this database; if not, it was restored from a
    backup (or is another database): the client must rebuild. One primary-key lookup."""
    if cursor.id == 0:
        return
    if kind == "postgresql":
        stmt = text("SELECT 1 FROM change_log WHERE id = :id AND xid = CAST(:x AS text)::xid8")
        params: dict[str, Any] = {"id": cursor.id, "x": str(cursor.xid)}
    else:
        stmt = text("SELECT 1 FROM change_log WHERE id = :id AND xid = :x")
        params = {"id": cursor.id, "x": cursor.xid}
    if session.execute(stmt, params).first() is None:
        raise ApiError("reset_required", reason="restored")


def start_cursor(session: Session, *, kind: str, epoch: str, scopes: list[str]) -> Cursor:
    """Where the feed resumes for a client that bootstraps from a snapshot taken now: the last
    change in its scopes that every later snapshot sees (a real row, so it can be checked)."""
    if kind == "postgresql":
        # Transactions below the horizon are finished: none of their rows can still appear.
        horizon = session.execute(
            text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")).scalar_one()
        row = session.execute(text(
            "SELECT c.xid::text AS xid, c.id FROM unnest(CAST(:scopes AS text[])) AS s(scope) "
            "CROSS JOIN LATERAL (SELECT xid, id FROM change_log WHERE scope = s.scope "
            "AND xid < CAST(:h AS text)::xid8 ORDER BY xid DESC, id DESC LIMIT 1) AS c "
            "ORDER BY c.xid DESC, c.id DESC LIMIT 1"
        ), {"scopes": scopes, "h": horizon}).first()
    else:  # one writer: ids are in commit order
        row = session.execute(
            text("SELECT xid, id FROM change_log ORDER BY id DESC LIMIT 1")).first()
    if row is None:
        return Cursor(epoch, 0, 0)
    return Cursor(epoch, int(row.xid), int(row.id))

"""Reads the change feed for a caller's scopes: cursors, gap-free pages, reset detection."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from server.errors import ApiError

_BIG = 2**62


@dataclass(frozen=True)
class Cursor:
    """A position in the feed: `(xid, id)` on PostgreSQL, `(0, id)` on SQLite."""

    epoch: str
    xid: int
    id: int

    def encode(self, kind: str) -> str:
        if kind == "postgresql":
            return f"pg:{self.epoch}:{self.xid}:{self.id}"
        return f"sq:{self.epoch}:{self.id}"


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
        if parts[0] == "pg" and len(parts) == 4:
            cursor = Cursor(parts[1], int(parts[2]), int(parts[3]))
            cursor_kind = "postgresql"
        elif parts[0] == "sq" and len(parts) == 3:
            cursor = Cursor(parts[1], 0, int(parts[2]))
            cursor_kind = "sqlite"
        else:
            raise ValueError(raw)
    except ValueError as exc:
        raise ApiError("invalid_cursor") from exc
    if cursor.xid < 0 or cursor.id < 0:
        raise ApiError("invalid_cursor")
    if cursor_kind != kind or cursor.epoch != epoch:
        raise ApiError("reset_required", reason="epoch")
    return cursor


def read_page(
    session: Session, *, kind: str, scopes: list[str], cursor: Cursor, limit: int
) -> Page:
    """Up to `limit` changes after `cursor`, extended so no transaction is split across pages."""
    if kind == "postgresql":
        rows = _read_pg(session, scopes, cursor, limit)
    else:
        rows = _read_sqlite(session, scopes, cursor, limit)
    if not rows:
        _check_not_ahead(session, kind=kind, cursor=cursor)
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
    stmt = text(
        f"SELECT {_PG_COLUMNS} FROM change_log "
        "WHERE scope = ANY(:scopes) AND (xid, id) > (CAST(:cx AS text)::xid8, :cid) "
        "AND xid < pg_snapshot_xmin(pg_current_snapshot()) "
        "ORDER BY xid, id LIMIT :n"
    )
    result = session.execute(
        stmt, {"scopes": scopes, "cx": str(cursor.xid), "cid": cursor.id, "n": limit}
    )
    return [_row(r) for r in result.mappings()]


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


def _check_not_ahead(session: Session, *, kind: str, cursor: Cursor) -> None:
    """A cursor beyond this database's history means it was restored: the client must reset."""
    if kind == "postgresql":
        xmax = int(session.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text"))
                   .scalar_one())
        if cursor.xid > xmax:
            raise ApiError("reset_required", reason="restored")
    else:
        top = session.execute(text("SELECT COALESCE(MAX(id), 0) FROM change_log")).scalar_one()
        seq = session.execute(
            text("SELECT seq FROM sqlite_sequence WHERE name = 'change_log'")
        ).scalar()
        if cursor.id > max(int(top), int(seq or 0)):
            raise ApiError("reset_required", reason="restored")


def start_cursor(session: Session, *, kind: str, epoch: str) -> Cursor:
    """Where the feed must resume for a client that bootstraps from a snapshot taken now."""
    if kind == "postgresql":
        horizon = int(
            session.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))
            .scalar_one()
        )
        # Everything with xid < horizon is visible to every later snapshot; resume at xid >= it.
        return Cursor(epoch, horizon - 1, _BIG)
    top = session.execute(text("SELECT COALESCE(MAX(id), 0) FROM change_log")).scalar_one()
    return Cursor(epoch, 0, int(top))

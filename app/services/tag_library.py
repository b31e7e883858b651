"""The tag library (H4.3): the three-level tree with usage counts, queued tag.* intents."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import delete, select, text

from app.models.store import Store
from app.models.tables import Outbox, Record
from app.services.handover import queue_checked
from kefu_protocol.shop import TAG_MAX_LEVEL

UPSERT, DELETE = "tag.upsert", "tag.delete"
REFUSAL_CODES = ("tag_not_found", "tag_too_deep", "tag_exists", "tag_has_children",
                 "tag_name_empty", "invalid_name")
"""What TagRefused says before anything is queued (the server uses the same first four)."""
Pending = Literal["", "add", "rename", "delete"]
_USAGE = text("SELECT j.value, COUNT(*) FROM customer, json_each(customer.data, '$.tags') AS j "
              "GROUP BY j.value")


class TagRefused(Exception):
    """Not queued: `code` is one of REFUSAL_CODES (`message` has the wire model's text)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message


class _Invalid(TagRefused):
    def __init__(self, message: str) -> None:
        super().__init__("invalid_name", message)


@dataclass(frozen=True)
class TagNode:
    id: str
    name: str
    level: int
    parent_id: str | None
    path: str
    """'产品使用 › 功能操作 › 支付异常'."""
    customers: int
    """Cached customers carrying the tag."""
    children: int
    pending: Pending = ""
    """A queued change the server has not confirmed yet."""

    @property
    def may_have_children(self) -> bool:
        return self.level < TAG_MAX_LEVEL


@dataclass(frozen=True)
class TagRefusal:
    """A queued tag change the server refused, kept until the supervisor dismisses it."""

    seq: int
    action: Literal["add", "rename", "delete"]
    name: str
    code: str
    reason: str


@dataclass(frozen=True)
class TagLibrary:
    nodes: tuple[TagNode, ...]
    """Parents before children; siblings by name."""
    refusals: tuple[TagRefusal, ...]

    def get(self, tag_id: str) -> TagNode | None:
        return next((n for n in self.nodes if n.id == tag_id), None)


class TagLibraryService:
    """Reads on the caller's thread; add/rename/delete/dismiss on the DB worker."""

    def __init__(self, store: Store, *, poke: Callable[[], None]) -> None:
        self.store = store
        self.poke = poke

    def library(self) -> TagLibrary:
        with self.store.read() as session:
            synced = {str(d["id"]): d for d in session.scalars(
                select(Record.data).where(Record.entity == "tag")).all()}
            usage = {str(k): int(n) for k, n in session.execute(_USAGE).all()}
            intents = session.execute(
                select(Outbox.seq, Outbox.name, Outbox.args, Outbox.state, Outbox.code,
                       Outbox.last_error)
                .where(Outbox.name.in_((UPSERT, DELETE))).order_by(Outbox.seq)).all()
        rows: dict[str, dict[str, Any]] = {
            tid: {"name": str(d.get("name") or ""), "level": int(d.get("level") or 1),
                  "parent_id": d.get("parent_id") or None, "pending": ""}
            for tid, d in synced.items()}
        refusals: list[TagRefusal] = []
        for seq, name, args, state, code, reason in intents:
            tid = str(args.get("id"))
            known = rows.get(tid)
            if state == "rejected":
                action = "delete" if name == DELETE else ("rename" if tid in synced else "add")
                label = str(args.get("name") or (known or {}).get("name") or "")
                refusals.append(TagRefusal(seq, action, label, str(code or ""),
                                           str(reason or code or "")))
            elif name == DELETE and known is not None:
                known["pending"] = "delete"
            elif name == UPSERT and known is not None:
                known["name"] = str(args.get("name") or known["name"])
                known["pending"] = known["pending"] or "rename"
            elif name == UPSERT:
                parent = rows.get(str(args.get("parent_id") or ""))
                rows[tid] = {"name": str(args.get("name") or ""), "parent_id":
                             args.get("parent_id") or None, "pending": "add",
                             "level": parent["level"] + 1 if parent else 1}
        return TagLibrary(_nodes(rows, usage), tuple(reversed(refusals)))

    def touched(self, record_ids: set[str], shown: set[str]) -> bool:
        """Does a page name a tag row (or one now gone from the shown tree)?"""
        if record_ids & shown:
            return True
        ids = sorted(record_ids)
        with self.store.read() as session:
            for start in range(0, len(ids), 500):
                if session.scalar(select(Record.id).where(
                        Record.entity == "tag", Record.id.in_(ids[start:start + 500])).limit(1)):
                    return True
        return False

    # ---- queued intents (the DB worker) ------------------------------------------------------

    def add(self, parent_id: str | None, name: str) -> str:
        """A new tag under `parent_id` (None: level 1); returns its id. Raises TagRefused."""
        library = self.library()
        if parent_id is not None:
            parent = library.get(parent_id)
            if parent is None or parent.pending == "delete":
                raise TagRefused("tag_not_found")
            if not parent.may_have_children:
                raise TagRefused("tag_too_deep")
        clean = self._check_name(library, parent_id, name, None)
        tag_id = str(uuid.uuid4())
        self._queue(UPSERT, {"id": tag_id, "parent_id": parent_id, "name": clean})
        return tag_id

    def rename(self, tag_id: str, name: str) -> bool:
        """False when the name is unchanged (nothing queued). Raises TagRefused."""
        library = self.library()
        node = library.get(tag_id)
        if node is None or node.pending == "delete":
            raise TagRefused("tag_not_found")
        clean = self._check_name(library, node.parent_id, name, tag_id)
        if clean == node.name:
            return False
        self._queue(UPSERT, {"id": tag_id, "parent_id": node.parent_id, "name": clean})
        return True

    def delete(self, tag_id: str) -> None:
        """Only a tag without children; customers carrying it lose it. Raises TagRefused."""
        library = self.library()
        node = library.get(tag_id)
        if node is None or node.pending == "delete":
            raise TagRefused("tag_not_found")
        if node.children:
            raise TagRefused("tag_has_children")
        self._queue(DELETE, {"id": tag_id})

    def dismiss(self, seqs: tuple[int, ...] | list[int]) -> None:
        """The supervisor has read these refusals: they leave the outbox."""
        with self.store.write() as session:
            session.execute(delete(Outbox).where(
                Outbox.seq.in_(list(seqs)), Outbox.state == "rejected",
                Outbox.name.in_((UPSERT, DELETE))))

    @staticmethod
    def _check_name(library: TagLibrary, parent_id: str | None, name: str,
                    own_id: str | None) -> str:
        clean = name.strip()
        if not clean:
            raise TagRefused("tag_name_empty")
        if any(n.parent_id == parent_id and n.id != own_id and n.name == clean
               and n.pending != "delete" for n in library.nodes):
            raise TagRefused("tag_exists")
        return clean

    def _queue(self, name: str, args: dict[str, Any]) -> int:
        return queue_checked(self.store, self.poke, name, args, _Invalid)


def _nodes(rows: dict[str, dict[str, Any]], usage: dict[str, int]) -> tuple[TagNode, ...]:
    """Parents before children, siblings by name; a node whose parent is gone is skipped."""
    children: dict[str | None, list[str]] = {}
    for tid, row in rows.items():
        parent = row["parent_id"] if row["parent_id"] in rows else None
        if row["parent_id"] and parent is None:
            continue  # its parent left the cache: the server deletes children first anyway
        children.setdefault(parent, []).append(tid)
    out: list[TagNode] = []

    def walk(parent: str | None, path: str, level: int) -> None:
        for tid in sorted(children.get(parent, ()), key=lambda t: rows[t]["name"]):
            row = rows[tid]
            full = f"{path} › {row['name']}" if path else row["name"]
            out.append(TagNode(tid, row["name"], level, parent, full, usage.get(tid, 0),
                               sum(rows[c]["pending"] != "delete" for c in children.get(tid, ())),
                               row["pending"]))
            if level < TAG_MAX_LEVEL + 1:
                walk(tid, full, level + 1)

    walk(None, "", 1)
    return tuple(out)

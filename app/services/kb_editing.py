"""Knowledge-base edits, suggestions, reviews and use counts, queued offline-first (H9.1, H9.2)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models.store import Store
from app.models.tables import Outbox, Record
from app.services.handover import queue_checked
from kefu_protocol.shop import KbUpsert
from kefu_protocol.wire import has_permission

UPSERT, DELETE, SUGGEST = "kb.upsert", "kb.delete", "kb.suggest"
REVIEW, USED = "kb.review", "kb.used"
SHOWN = (UPSERT, DELETE, SUGGEST, REVIEW)
"""Intents whose refusals the agent sees until dismissed (a refused use count is moot)."""
_EDITS = "name IN ('kb.upsert', 'kb.delete', 'kb.review')"
OVERLAY_SIGNATURE = (
    f"(SELECT count(*) FROM outbox WHERE {_EDITS} AND state != 'rejected'), "
    f"(SELECT coalesce(max(seq), 0) FROM outbox WHERE {_EDITS})")
"""SQL terms that change when a queued edit is added, acknowledged or refused (seq is never
reused: an added row raises the max, a removed or refused one lowers the count)."""
SUGGESTION = "kb_suggestion"
_TEXTS = ("reason", "author_id", "author_name", "created_at", "reviewed_by", "reviewed_at",
          "comment")


class KbRefused(Exception):
    """Not queued: `reason` is "no_permission" or "invalid" (the wire model's `detail`)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class EntryDraft:
    """What the editor holds: an entry's fields as the agent typed them."""

    category: str
    title: str
    body: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    """A proposed new entry (`entry_id` None) or a change to one (H9.2)."""

    id: str
    entry_id: str | None
    draft: EntryDraft
    reason: str
    status: str
    """待审核, 已采纳 or 已驳回 (KB_SUGGESTION_STATUSES)."""
    author_id: str
    author_name: str
    created_at: str
    reviewed_by: str
    reviewed_at: str
    comment: str
    current: EntryDraft | None = None
    """The entry as it is now, while the suggestion waits (None for a new one or decided)."""
    pending: bool = False
    """Queued here (the suggestion, or a review of it) and not yet acknowledged."""


@dataclass(frozen=True)
class KbRefusal:
    """A queued edit, suggestion or review the server refused, kept until dismissed."""

    seq: int
    name: str
    target_id: str
    title: str
    code: str
    reason: str
    draft: EntryDraft | None
    """The agent's text of a refused upsert or suggestion, so it can be edited again."""


def split_keywords(typed: str) -> tuple[str, ...]:
    """Keywords typed with commas, 、 or spaces between them, each once, in the typed order."""
    return tuple(dict.fromkeys(k for k in re.split(r"[,，、;；\s]+", typed) if k))


def draft_problem(draft: EntryDraft) -> str | None:
    """None when the wire model accepts the draft, else "keywords" or "fields" (what to fix)."""
    try:
        KbUpsert.model_validate({"id": str(uuid.uuid4()), **_args(draft)})
    except ValueError as exc:
        errors = getattr(exc, "errors", lambda: [])()
        return "keywords" if any(e.get("loc", ("",))[0] == "keywords" for e in errors) \
            else "fields"
    return None


def draft_of(data: dict[str, Any]) -> EntryDraft:
    raw = data.get("keywords") or []
    return EntryDraft(category=str(data.get("category") or ""), title=str(data.get("title") or ""),
                      body=str(data.get("body") or ""),
                      keywords=tuple(str(k) for k in raw) if isinstance(raw, list) else ())


def pending_edits(session: Session) -> dict[str, dict[str, Any] | None]:
    """Entry id -> the row as the agent's queued upserts, deletes and approvals leave it
    (None: deleted), in queue order; `version` is the one a further edit is based on."""
    found: dict[str, dict[str, Any] | None] = {}
    intents = session.execute(select(Outbox.name, Outbox.args).where(
        Outbox.name.in_((UPSERT, DELETE, REVIEW)), Outbox.state != "rejected")
        .order_by(Outbox.seq)).all()
    for name, args in intents:
        if name == REVIEW:
            if not args.get("approve"):
                continue
            record = session.get(Record, (SUGGESTION, str(args.get("id"))))
            if record is None:
                continue
            args = dict(record.data or {}, id=record.data.get("entry_id") or record.id)
        rid = str(args.get("id"))
        if name == DELETE:
            found[rid] = None
            continue
        before = found.get(rid) if rid in found else _record(session, rid)
        base = args.get("base_version") if name == UPSERT else (before or {}).get("version")
        found[rid] = {**(before or {}), **{k: args.get(k) for k in (
            "category", "title", "body", "keywords")}, "id": rid, "version": int(base or 0) + 1}
    return found


def _record(session: Session, rid: str) -> dict[str, Any] | None:
    record = session.get(Record, ("kb_entry", rid))
    return None if record is None else dict(record.data or {}, version=record.version)


def _args(draft: EntryDraft) -> dict[str, Any]:
    return {"category": draft.category.strip(), "title": draft.title.strip(),
            "body": draft.body.strip(),
            "keywords": [k.strip() for k in draft.keywords if k.strip()]}


class KbEditService:
    """Reads on the caller's thread; `save`, `delete`, `suggest`, `review`, `used` and
    `dismiss` on the DB worker (they write the outbox and wake the push thread)."""

    def __init__(self, store: Store, *, agent_id: str, role: str,
                 poke: Callable[[], None]) -> None:
        self.store = store
        self.agent_id = agent_id
        self.role = role
        self.poke = poke

    def may_edit(self) -> bool:
        """kb.edit by role or grant on the synced agent row (H10.2; the server checks it too)."""
        with self.store.read() as session:
            me = session.get(Record, ("agent", self.agent_id))
        grants = tuple((me.data or {}).get("grants") or ()) if me is not None else ()
        return has_permission(self.role, grants, "kb.edit")

    def name_of(self, employee_id: str) -> str:
        """The colleague's name for an employee id (the id itself when unknown here)."""
        if not employee_id:
            return ""
        with self.store.read() as session:
            for data in session.scalars(select(Record.data).where(Record.entity == "agent")):
                if str(data.get("employee_id")) == employee_id:
                    return str(data.get("name") or employee_id)
        return employee_id

    # ---- intents (DB worker) ------------------------------------------------------------------

    def save(self, draft: EntryDraft, entry_id: str | None, base_version: int | None) -> str:
        """A new entry (`entry_id` None) or an edit of the version the editor saw."""
        if not self.may_edit():
            raise KbRefused("no_permission")
        rid = entry_id or str(uuid.uuid4())
        args = {"id": rid, **_args(draft), "base_version": base_version if entry_id else None}
        self._queue(UPSERT, args)
        return rid

    def delete(self, entry_id: str) -> None:
        if not self.may_edit():
            raise KbRefused("no_permission")
        self._queue(DELETE, {"id": entry_id})

    def suggest(self, draft: EntryDraft, entry_id: str | None, reason: str) -> str:
        sid = str(uuid.uuid4())
        self._queue(SUGGEST, {"id": sid, "entry_id": entry_id, **_args(draft),
                              "reason": reason.strip()})
        return sid

    def review(self, suggestion_id: str, approve: bool, comment: str) -> None:
        if not self.may_edit():
            raise KbRefused("no_permission")
        self._queue(REVIEW, {"id": suggestion_id, "approve": approve, "comment": comment.strip()})

    def used(self, entry_id: str) -> None:
        """The agent inserted the entry into a reply: its use count goes up on the server."""
        self._queue(USED, {"id": entry_id})

    def dismiss(self, seq: int) -> None:
        """The agent has read this refusal: it leaves the outbox."""
        with self.store.write() as session:
            session.execute(delete(Outbox).where(Outbox.seq == seq, Outbox.state == "rejected",
                                                 Outbox.name.in_((*SHOWN, USED))))

    def drop_refused_uses(self) -> int:
        """A refused use count (its entry was deleted meanwhile) tells the agent nothing."""
        with self.store.write() as session:
            return session.execute(delete(Outbox).where(
                Outbox.name == USED, Outbox.state == "rejected")).rowcount or 0

    def _queue(self, name: str, args: dict[str, Any]) -> None:
        queue_checked(self.store, self.poke, name, args,
                      lambda detail: KbRefused("invalid", detail))

    # ---- reads --------------------------------------------------------------------------------

    def to_review(self) -> tuple[Suggestion, ...]:
        """待审核 suggestions, oldest first, without those the agent has decided here."""
        return tuple(s for s in self._suggestions() if s.status == "待审核" and not s.pending)

    def mine(self) -> tuple[Suggestion, ...]:
        """The agent's own suggestions with their outcome, newest first (queued ones on top)."""
        own = [s for s in self._suggestions() if s.author_id == self.agent_id]
        return tuple(sorted(own, key=lambda s: (s.pending, s.created_at), reverse=True))

    def refusals(self) -> tuple[KbRefusal, ...]:
        with self.store.read() as session:
            rows = session.execute(select(
                Outbox.seq, Outbox.name, Outbox.args, Outbox.code, Outbox.last_error).where(
                Outbox.name.in_(SHOWN), Outbox.state == "rejected").order_by(Outbox.seq)).all()
            found = []
            for seq, name, args, code, reason in rows:
                target = str(args.get("entry_id") or args.get("id") or "")
                title = str(args.get("title") or "")
                if not title:
                    kind = SUGGESTION if name == REVIEW else "kb_entry"
                    record = session.get(Record, (kind, str(args.get("id"))))
                    title = str((record.data or {}).get("title") or "") if record else ""
                found.append(KbRefusal(seq=seq, name=name, target_id=target, title=title,
                                       code=str(code or ""), reason=str(reason or code or ""),
                                       draft=draft_of(args) if name in (UPSERT, SUGGEST)
                                       else None))
        return tuple(found)

    def _suggestions(self) -> list[Suggestion]:
        with self.store.read() as session:
            rows = {r.id: dict(r.data or {}) for r in session.scalars(
                select(Record).where(Record.entity == SUGGESTION))}
            queued = session.execute(select(Outbox.name, Outbox.args).where(
                Outbox.name.in_((SUGGEST, REVIEW)), Outbox.state != "rejected")).all()
            decided: dict[str, dict[str, Any]] = {}
            for name, args in queued:
                sid = str(args.get("id"))
                if name == REVIEW:
                    decided[sid] = args
                elif sid not in rows:
                    rows[sid] = dict(args, status="待审核", author_id=self.agent_id,
                                     created_at="", queued=True)
            found = []
            for sid, data in rows.items():
                review = decided.get(sid)
                if review is not None:
                    data.update(status="已采纳" if review.get("approve") else "已驳回",
                                comment=review.get("comment") or "")
                entry = data.get("entry_id")
                waiting = data.get("status", "待审核") == "待审核"
                current = _record(session, str(entry)) if entry and waiting else None
                found.append(Suggestion(
                    id=sid, entry_id=str(entry) if entry else None, draft=draft_of(data),
                    status=str(data.get("status") or "待审核"),
                    current=draft_of(current) if current is not None else None,
                    pending=bool(data.get("queued") or review),
                    **{k: str(data.get(k) or "") for k in _TEXTS}))
        return sorted(found, key=lambda s: s.created_at)


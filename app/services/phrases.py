"""Quick phrases (快捷短语, H2.2): the agent's and the team's canned replies, offline-first."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.store import Store
from app.models.tables import Outbox, Record
from app.sync import outbox
from kefu_protocol.wire import MUTATION_ARGS, has_permission

Scope = Literal["personal", "team"]
ENTITY = "quick_phrase"
_MUTATIONS = ("quick_phrase.upsert", "quick_phrase.delete")

# {name} or its Chinese spelling -> the render() argument it takes. Other braces stay as typed.
VARIABLES: dict[str, str] = {
    "customer": "customer", "客户": "customer",
    "agent": "agent", "客服": "agent",
    "order_no": "order_no", "订单号": "order_no",
}
# A variable with its spaces on either side: an empty value takes one of them along.
_VARIABLE = re.compile(r"( ?)\{(" + "|".join(re.escape(k) for k in VARIABLES) + r")\}( ?)")


@dataclass(frozen=True)
class Phrase:
    id: str
    scope: Scope
    group: str
    title: str
    text: str
    pending: bool = False
    """Queued in the outbox and not yet acknowledged by the server."""


class PhraseRefused(Exception):
    """Not queued: `reason` is "team_needs_lead", "not_found" (delete) or "invalid"."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def render_phrase(text: str, *, customer: str, agent: str, order_no: str) -> str:
    """Fills the variables in one pass (a nickname containing "{agent}" stays as it is).

    An empty value leaves no gap: "订单 {订单号} 已发货" becomes "订单 已发货", not two spaces,
    and "Order {order_no}." becomes "Order."."""
    values = {"customer": customer, "agent": agent, "order_no": order_no}

    def fill(match: re.Match[str]) -> str:
        before, name, after = match.group(1), match.group(2), match.group(3)
        value = values[VARIABLES[name]]
        if value:
            return f"{before}{value}{after}"
        return " " if before and after else ""

    return _VARIABLE.sub(fill, text)


def _matches(phrase: Phrase, terms: list[str]) -> bool:
    haystack = f"{phrase.title}\n{phrase.text}\n{phrase.group}".casefold()
    return all(term in haystack for term in terms)


def _sort_key(phrase: Phrase) -> tuple[int, str, str, str, str]:
    return (0 if phrase.scope == "personal" else 1, phrase.group.casefold(),
            phrase.title.casefold(), phrase.text.casefold(), phrase.id)


class PhraseService:
    """Reads on the caller's thread; `upsert`/`delete` run on the DB worker thread."""

    def __init__(self, store: Store, *, agent_id: str, team_id: str, role: str,
                 poke: Callable[[], None]) -> None:
        self.store = store
        self.agent_id = agent_id
        self.team_id = team_id
        self.role = role
        self.poke = poke

    def may_edit_team(self) -> bool:
        """Team phrases: leads and above, or an agent granted phrase.team (H10.2; the server
        checks the same). The grant is read from the synced agent row, so it follows changes."""
        with self.store.read() as session:
            me = session.get(Record, ("agent", self.agent_id))
        grants = tuple((me.data or {}).get("grants") or ()) if me is not None else ()
        return has_permission(self.role, grants, "phrase.team")

    def phrases(self, query: str = "") -> tuple[Phrase, ...]:
        """Personal first, then team; by group, then title. `query`: every word must occur
        (case-insensitive substring of title, text or group, so 1-character Chinese works)."""
        with self.store.read() as session:
            found = self._current(session)
        terms = query.casefold().split()
        return tuple(sorted((p for p in found.values() if _matches(p, terms)), key=_sort_key))

    def groups(self) -> tuple[str, ...]:
        """The non-empty group names in use, sorted."""
        return tuple(sorted({p.group for p in self.phrases() if p.group}, key=str.casefold))

    def upsert(self, *, phrase_id: str | None = None, scope: Scope = "personal",
               group: str = "", title: str = "", text: str) -> int:
        """An edit of a known phrase (which keeps its scope), else a new phrase with the given
        or a fresh id. Raises PhraseRefused before anything is queued."""
        with self.store.write() as session:
            existing = self._current(session).get(phrase_id) if phrase_id else None
            if existing is not None:
                scope = existing.scope
            args = {"id": phrase_id or str(uuid.uuid4()), "scope": scope,
                    "group": group.strip(), "title": title.strip(), "text": text}
            self._check("quick_phrase.upsert", args, scope)
            seq = outbox.enqueue(session, "quick_phrase.upsert", args)
        self.poke()
        return seq

    def delete(self, phrase_id: str) -> int:
        with self.store.write() as session:
            existing = self._current(session).get(phrase_id)
            if existing is None:
                raise PhraseRefused("not_found")
            args = {"id": phrase_id}
            self._check("quick_phrase.delete", args, existing.scope)
            seq = outbox.enqueue(session, "quick_phrase.delete", args)
        self.poke()
        return seq

    def render(self, phrase: Phrase, *, customer: str, agent: str, order_no: str) -> str:
        return render_phrase(phrase.text, customer=customer, agent=agent, order_no=order_no)

    def _check(self, name: str, args: dict[str, Any], scope: Scope) -> None:
        if scope == "team" and not self.may_edit_team():
            raise PhraseRefused("team_needs_lead")
        try:
            MUTATION_ARGS[name].model_validate(args)
        except ValidationError as exc:
            raise PhraseRefused("invalid", str(exc.errors()[0].get("msg", ""))) from exc

    def _current(self, session: Session) -> dict[str, Phrase]:
        """Synced phrases with the queued (and sent, unacknowledged) intents applied in order."""
        found: dict[str, Phrase] = {}
        for data in session.scalars(select(Record.data).where(Record.entity == ENTITY)):
            phrase = self._from_row(data)
            if phrase is not None:
                found[phrase.id] = phrase
        pending = session.execute(
            select(Outbox.name, Outbox.args)
            .where(Outbox.state != "rejected", Outbox.name.in_(_MUTATIONS))
            .order_by(Outbox.seq)).all()
        for name, args in pending:
            pid = str(args.get("id", ""))
            if name == "quick_phrase.delete":
                found.pop(pid, None)
                continue
            group, title = str(args.get("group", "")), str(args.get("title", ""))
            text = str(args.get("text", ""))
            if pid in found:
                found[pid] = replace(found[pid], group=group, title=title, text=text,
                                     pending=True)
            else:
                scope: Scope = "team" if args.get("scope") == "team" else "personal"
                found[pid] = Phrase(pid, scope, group, title, text, pending=True)
        return found

    def _from_row(self, data: dict[str, Any]) -> Phrase | None:
        if data.get("deleted"):
            return None
        owner = data.get("owner_id")
        if owner is not None and owner != self.agent_id:
            return None
        return Phrase(id=str(data.get("id", "")), scope="team" if owner is None else "personal",
                      group=str(data.get("group") or ""), title=str(data.get("title") or ""),
                      text=str(data.get("text") or ""))

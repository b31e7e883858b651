"""Knowledge-base search, categories and suggested answers over the cached kb_entry rows (H9)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from typing import Any

from sqlalchemy import select, text

from app.models.store import Store
from app.models.tables import Record
from app.services.kb_editing import OVERLAY_SIGNATURE, pending_edits
from app.services.search import fold, snippet

ENTITY = "kb_entry"
MAX_LIMIT = 200
MAX_TERM = 32
"""Suggestions look up the customer's text's substrings up to this many characters long."""
_GAP = "\x00"  # between entries in a haystack (a query never holds it)
_SEP = "\x01"  # between one entry's keywords, so a match never spans two of them
_WORDS = re.compile(r"[\w]+")  # title words: runs between spaces and punctuation (CJK included)
_SIGNATURE = text(
    "SELECT count(*), coalesce(max(rowid), 0), coalesce(sum(version), 0), "
    f"{OVERLAY_SIGNATURE} FROM record WHERE entity = 'kb_entry'")
"""Changes when an entry is added, deleted or updated (every upsert raises its version), or
the agent's queued edits change (queued, acknowledged, refused)."""


@dataclass(frozen=True)
class KbHit:
    """One entry; `snippet` is about 60 characters of the body around the first body match
    (its beginning when only the title or a keyword matched), `highlight` the match in it."""

    id: str
    category: str
    title: str
    body: str
    snippet: str
    use_count: int
    keywords: tuple[str, ...] = ()
    highlight: tuple[int, int] = (0, 0)
    version: int = 0
    """What an edit opened now is based on; `pending`: the agent's queued edit shows (H9.2)."""
    pending: bool = False
    updated_by: str = ""
    """Employee id of who changed it last ("" for imported entries); updated_at is ISO."""
    updated_at: str = ""


@dataclass(frozen=True)
class _Entry:
    """A record as searched: its folded fields and suggestion terms, kept across rebuilds."""

    id: str
    version: int
    category: str
    title: str
    body: str
    keywords: tuple[str, ...]
    use_count: int
    folded_title: str
    folded_keywords: str
    folded_body: str
    terms: frozenset[str]
    pending: bool = False
    updated_by: str = ""
    updated_at: str = ""


class _Haystack:
    """One field of every entry, folded, joined in the entries' order: one C-speed find walks
    all of them, and a match's offset names its entry."""

    def __init__(self, values: list[str]) -> None:
        self.starts = [0, *accumulate(len(v) + 1 for v in values)][:len(values)]
        self.text = _GAP.join(values)

    def entries(self, needle: str) -> Iterator[int]:
        """Positions of the entries holding `needle`, in order, each once (lazily: a common
        character stops being looked for once the page is full)."""
        at = self.text.find(needle)
        while at >= 0:
            n = bisect_right(self.starts, at) - 1
            yield n
            nxt = self.starts[n + 1] if n + 1 < len(self.starts) else len(self.text)
            at = self.text.find(needle, nxt)


class _Index:
    """Entries sorted by use count (desc), title, id: a field's hits come out ranked."""

    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = sorted(entries, key=lambda e: (-e.use_count, e.title, e.id))
        self.position = {e.id: n for n, e in enumerate(self.entries)}
        self.titles = _Haystack([e.folded_title for e in self.entries])
        self.keywords = _Haystack([e.folded_keywords for e in self.entries])
        self.bodies = _Haystack([e.folded_body for e in self.entries])

    @cached_property
    def terms(self) -> dict[str, list[int]]:
        """Suggestion terms -> entry positions (built on the first suggestion only)."""
        terms: dict[str, list[int]] = {}
        for n, e in enumerate(self.entries):
            for term in e.terms:
                terms.setdefault(term, []).append(n)
        return terms

    @cached_property
    def longest(self) -> int:
        return max((len(t) for t in self.terms), default=0)


class KnowledgeService:
    """Reads only, on the caller's thread; the entries are indexed in memory once and again
    after any kb_entry row changes (a count/rowid/version signature checked on each call, or
    `touched`), with the agent's queued edits shown over them as pending (H9.2).
    bench/kb_bench.py measures it over 10,000 entries."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._entries: dict[str, _Entry] = {}
        self._index: _Index | None = None
        self._signature: tuple[Any, ...] | None = None

    # ---- search -------------------------------------------------------------------------------

    def search(self, query: str, *, category: str | None = None,
               limit: int = 20) -> tuple[KbHit, ...]:
        """Entries holding `query` as a substring (exact for 1, 2, 3+ Chinese characters, Latin
        case-insensitive, H9.3): title matches first, then keyword, then body; within each,
        higher use count first, then title. An empty query lists the category's entries."""
        index = self._current()
        needle = fold(query.replace(_GAP, "").replace(_SEP, "").strip())
        limit = max(1, min(limit, MAX_LIMIT))
        chosen: list[int] = []
        seen: set[int] = set()
        groups: list[Iterable[int]] = (
            [hay.entries(needle) for hay in (index.titles, index.keywords, index.bodies)]
            if needle else [range(len(index.entries))])
        for group in groups:
            for n in group:
                if n in seen or (category is not None and index.entries[n].category != category):
                    continue
                seen.add(n)
                chosen.append(n)
                if len(chosen) >= limit:
                    break
            if len(chosen) >= limit:
                break
        return tuple(_hit(index.entries[n], needle) for n in chosen)

    def categories(self) -> tuple[tuple[str, int], ...]:
        """(category, entries) pairs, the largest first, then by name."""
        counts = Counter(e.category for e in self._current().entries)
        return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def suggest(self, customer_text: str, limit: int = 3) -> tuple[KbHit, ...]:
        """Entries whose keywords or title words (2+ characters) occur in the customer's last
        message: the most distinct terms found first, then use count, then title."""
        index = self._current()
        folded = fold(customer_text)
        found: dict[int, int] = {}
        seen: set[str] = set()
        for start in range(len(folded)):
            for end in range(start + 1, min(len(folded), start + index.longest) + 1):
                term = folded[start:end]
                if term in seen:
                    continue
                seen.add(term)
                for n in index.terms.get(term, ()):
                    found[n] = found.get(n, 0) + 1
        ranked = sorted(found, key=lambda n: (-found[n], n))[:max(1, limit)]
        return tuple(_hit(index.entries[n], "") for n in ranked)

    def entry(self, entry_id: str) -> KbHit | None:
        """One entry by id, or None when the cache does not hold it."""
        index = self._current()
        n = index.position.get(entry_id)
        return None if n is None else _hit(index.entries[n], "")

    # ---- keeping the index current ------------------------------------------------------------

    def touched(self, record_ids: set[str]) -> bool:
        """Does a pulled page's set of record ids name a cached entry (or one now gone)? The
        index is rebuilt on the next call either way when the rows changed."""
        if any(rid in self._entries for rid in record_ids):
            self._forget(record_ids)
            return True
        ids = sorted(record_ids)
        with self.store.read() as session:
            for start in range(0, len(ids), 500):
                if session.scalar(select(Record.id).where(
                        Record.entity == ENTITY, Record.id.in_(ids[start:start + 500]))
                        .limit(1)):
                    self._forget(record_ids)
                    return True
        return False

    def _forget(self, record_ids: set[str]) -> None:
        """Reads these entries again on the next call (even at an unchanged version)."""
        for rid in record_ids:
            self._entries.pop(rid, None)
        self._index = None
        self._signature = None

    def _current(self) -> _Index:
        """The index, rebuilt when the kb rows changed: only added or re-versioned rows are
        read and folded again (the rest are kept), then the ranked haystacks are joined."""
        with self.store.read() as session:
            signature = tuple(session.execute(_SIGNATURE).one())
            if self._index is not None and signature == self._signature:
                return self._index
            versions = {rid: int(v or 0) for rid, v in session.connection().exec_driver_sql(
                "SELECT id, version FROM record WHERE entity = 'kb_entry'")}
            self._entries = {rid: e for rid, e in self._entries.items()
                             if versions.get(rid) == e.version}
            stale = sorted(rid for rid in versions if rid not in self._entries)
            for start in range(0, len(stale), 500):
                for rid, version, data in session.execute(
                        select(Record.id, Record.version, Record.data).where(
                            Record.entity == ENTITY, Record.id.in_(stale[start:start + 500]))):
                    if isinstance(data, dict):
                        self._entries[rid] = _entry(rid, int(version or 0), data)
            shown = dict(self._entries)  # the agent's queued edits over the synced rows
            for rid, edited in pending_edits(session).items():
                shown.pop(rid, None)
                if edited is not None:
                    shown[rid] = _entry(rid, int(edited["version"]), edited, pending=True)
            self._index = _Index(list(shown.values()))
            self._signature = signature
        return self._index


def _entry(rid: str, version: int, data: dict[str, Any], *, pending: bool = False) -> _Entry:
    raw = data.get("keywords") or []
    keywords = tuple(str(k) for k in raw if str(k).strip()) if isinstance(raw, list) else ()
    title = str(data.get("title") or "")
    terms = {fold(w) for w in _WORDS.findall(title) if len(w) >= 2}
    terms |= {fold(k).strip() for k in keywords}
    return _Entry(
        id=rid, version=version, category=str(data.get("category") or ""), title=title,
        body=str(data.get("body") or ""), keywords=keywords,
        use_count=int(data.get("use_count") or 0), folded_title=fold(title),
        folded_keywords=_SEP.join(fold(k) for k in keywords),
        folded_body=fold(str(data.get("body") or "")),
        terms=frozenset(t for t in terms if t and len(t) <= MAX_TERM), pending=pending,
        updated_by=str(data.get("updated_by") or ""), updated_at=str(data.get("updated_at") or ""))


def _hit(entry: _Entry, needle: str) -> KbHit:
    found = entry.folded_body.find(needle) if needle else -1
    shown, at = snippet(entry.body, max(found, 0), len(needle) if found >= 0 else 0)
    return KbHit(id=entry.id, category=entry.category, title=entry.title, body=entry.body,
                 snippet=shown, use_count=entry.use_count, keywords=entry.keywords,
                 highlight=(at, at + len(needle)) if found >= 0 else (0, 0),
                 version=entry.version, pending=entry.pending, updated_by=entry.updated_by,
                 updated_at=entry.updated_at)

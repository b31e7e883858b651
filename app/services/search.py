"""Chat-record and customer search over the local cache, substring-exact for Chinese (H14.3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from app.models.cipher import Connection
from app.models.store import SEARCH_SLOTS, Store
from kefu_protocol.wire import MAX_SEARCH_LIMIT, MessageSearchPage

HitKind = Literal["message", "customer"]
ALL_KINDS: frozenset[HitKind] = frozenset({"message", "customer"})
MAX_LIMIT = 1000

# Sizes measured with bench/search_bench.py over 1,000,000 cached messages.
NARROW_MAX = 5000
"""Filters that leave at most this many messages have them read whole, not the index walked:
about sqrt(limit x cache size), where walking the index for `limit` hits costs as much."""
RECENT_WINDOW = 2000
"""1-2 characters: the newest this-many messages are tested directly first. A common
character fills a page there; the index's vocabulary may hold thousands of trigrams that
begin with it (each one costs ~40 us in the OR query that covers older messages)."""
SNIPPET_CHARS = 60


@dataclass(frozen=True)
class SearchQuery:
    """Text (empty: filters only) and filters that all apply together.

    `since` is inclusive and `until` exclusive, to the millisecond; `agent_id` keeps the
    conversations the agent holds or wrote in (as the server's search does); `tag_id` keeps the
    customers carrying the tag or one below it (H4.3); `before` is the `key` of the last message
    hit already shown, to get the next page."""

    text: str = ""
    agent_id: str | None = None
    customer_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    tag_id: str | None = None
    limit: int = 50
    kinds: frozenset[HitKind] = ALL_KINDS
    before: int | None = None


@dataclass(frozen=True)
class SearchHit:
    """One result. A customer hit names the latest conversation with them (if any)."""

    kind: HitKind
    conversation_id: str | None
    customer_id: str
    customer_nickname: str
    message_id: str | None
    text: str  # a snippet around the first match; the nickname for a customer hit
    created_at: dt.datetime | None  # the message's time; a customer's latest activity
    sender: str  # customer | agent | system; "" for a customer hit
    agent_id: str | None
    highlight: tuple[int, int] = (0, 0)  # [start, end) of the match inside `text`
    key: int | None = None  # a message's time-ordered search key (SearchQuery.before)


@dataclass(frozen=True)
class RemoteSearchPage:
    """Server results for history the cache does not hold; pass `next` back for more."""

    hits: tuple[SearchHit, ...]
    next: str | None


def fold(value: str) -> str:
    """Case folding as FTS5's trigram tokenizer does it: per character, one to one."""
    low = value.lower()
    if len(low) == len(value) and "ς" not in low:  # no İ, no context-dependent final sigma
        return low
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in value)


def like_pattern(value: str) -> str:
    """A LIKE pattern matching `value` as a literal substring (ESCAPE '\\')."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def phrase(value: str) -> str:
    """`value` as one FTS5 phrase: quoted, inner quotes doubled, so no operator survives."""
    return '"' + value.replace('"', '""') + '"'


def snippet(text: str, start: int, length: int, width: int = SNIPPET_CHARS) -> tuple[str, int]:
    """About `width` characters around text[start:start+length], with … where cut; returns the
    window and where the match begins in it."""
    flat = text.replace("\r", " ").replace("\n", " ")
    if len(flat) <= width:
        return flat, start
    lead = max(0, min(start - width // 3, len(flat) - width))
    prefix = "…" if lead > 0 else ""
    suffix = "…" if lead + width < len(flat) else ""
    return f"{prefix}{flat[lead:lead + width]}{suffix}", start - lead + len(prefix)


def tag_tree(conn: Connection, tag_id: str) -> list[str]:
    """The tag and every tag below it (the library has three levels, H4.3)."""
    children: dict[str, list[str]] = {}
    for rid, parent in conn.execute(
            "SELECT id, json_extract(data, '$.parent_id') FROM record WHERE entity = 'tag'"):
        if parent:
            children.setdefault(str(parent), []).append(rid)
    found, todo = [tag_id], [tag_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


@dataclass
class _Plan:
    """A query's filters as SQL over m (message) and c (conversation), shared by every path."""

    where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    lo: int | None = None  # search keys in [lo, hi)
    hi: int | None = None
    narrow: str | None = None  # SQL selecting a few conversations holding every possible hit


_ROW = ("s.key, m.id, m.conversation_id, m.sender, m.agent_id, m.text, m.created_at, "
        "c.customer_id, cu.nickname")
_CONVERSATION = "LEFT JOIN conversation c ON c.id = m.conversation_id"
_JOINS = f"{_CONVERSATION} LEFT JOIN customer cu ON cu.id = c.customer_id"
_ACTIVITY = "coalesce(lc.last_message_at, lc.created_at)"


class SearchService:
    """Reads only, on the caller's thread (store.read()): every path is bounded by the limit
    and the index's time order; bench/search_bench.py measures them over 1M messages."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def search(self, query: SearchQuery) -> list[SearchHit]:
        """Customers (latest activity first), then messages (newest first); `limit` applies to
        each kind. A page after the first (`before`) has messages only."""
        hits: list[SearchHit] = []
        if "customer" in query.kinds and _needle(query.text) and query.before is None:
            hits += self.customers(query)
        if "message" in query.kinds:
            hits += self.messages(query)
        return hits

    # ---- messages -----------------------------------------------------------------------------

    def messages(self, query: SearchQuery) -> list[SearchHit]:
        """Cached messages containing the text (case-insensitive), newest first."""
        needle = _needle(query.text)
        limit = max(1, min(query.limit, MAX_LIMIT))
        with self.store.read() as session:
            conn = _sqlite(session)
            plan = _plan(conn, query)
            if plan is None:
                rows: list[tuple[Any, ...]] = []
            elif plan.narrow is not None:
                rows = _narrow(conn, plan, needle, limit)
            elif not needle:
                rows = _latest(conn, plan, limit)
            else:
                found = (_fts(conn, plan, phrase(needle), limit) if len(needle) >= 3
                         else _short(conn, plan, needle, limit))
                rows = _merge(found, _pending(conn, plan, needle, limit), limit)
        return [_message_hit(row, needle) for row in rows]

    # ---- customers ----------------------------------------------------------------------------

    def customers(self, query: SearchQuery) -> list[SearchHit]:
        """Customers whose nickname contains the text (Latin case-insensitive), those with the
        latest conversation activity first. Agent and time filters apply to their
        conversations; customer and tag filters to the customer."""
        needle = _needle(query.text)
        if not needle:
            return []
        params: dict[str, Any] = {"like": like_pattern(needle),
                                  "limit": max(1, min(query.limit, MAX_LIMIT))}
        latest = ["lc.customer_id = cu.id"]
        if query.agent_id:
            params["agent_id"] = query.agent_id
            latest.append(_AGENT_CHECK.format(conversation="lc.id", held="lc.agent_id"))
        if query.since is not None:
            params["since"] = _iso(query.since)
            latest.append(f"julianday({_ACTIVITY}) >= julianday(:since)")
        if query.until is not None:
            params["until"] = _iso(query.until)
            latest.append(f"julianday({_ACTIVITY}) < julianday(:until)")
        with self.store.read() as session:
            conn = _sqlite(session)
            where = []
            if query.customer_id:
                params["customer_id"] = query.customer_id
                where.append("cu.id = :customer_id")
            if query.tag_id:
                marks = _bind(params, "tag", tag_tree(conn, query.tag_id))
                where.append(f"cu.id IN (SELECT customer_id FROM customer_tag "
                             f"WHERE tag_id IN ({marks}))")
            if len(latest) > 1:
                where.append("c.id IS NOT NULL")
            rows = conn.execute(
                "SELECT cu.id, cu.nickname, c.id, c.agent_id, "
                "coalesce(c.last_message_at, c.created_at, json_extract(cu.data, '$.created_at'))"
                " AS at FROM (SELECT rowid AS r FROM customer INDEXED BY ix_customer_nickname "
                "WHERE nickname LIKE :like ESCAPE '\\') found "
                "CROSS JOIN customer cu ON cu.rowid = found.r "
                f"LEFT JOIN conversation c ON c.id = (SELECT lc.id FROM conversation lc "
                f"WHERE {' AND '.join(latest)} ORDER BY {_ACTIVITY} DESC LIMIT 1) "
                f"{_where(where)} ORDER BY julianday(at) DESC, cu.id LIMIT :limit",
                params).fetchall()
        hits = []
        for customer_id, nickname, conversation_id, agent_id, at in rows:
            found = fold(nickname).find(fold(needle))
            hits.append(SearchHit(
                kind="customer", conversation_id=conversation_id, customer_id=customer_id,
                customer_nickname=nickname, message_id=None, text=nickname,
                created_at=_time(at), sender="", agent_id=agent_id,
                highlight=(found, found + len(needle)) if found >= 0 else (0, 0)))
        return hits

    # ---- the server, for what the cache does not hold -----------------------------------------

    def search_remote(
        self,
        search_messages: Callable[..., MessageSearchPage],
        query: SearchQuery,
        before: str | None = None,
    ) -> RemoteSearchPage:
        """Runs on a net worker: `search_messages` is ApiClient.search_messages with the token
        bound (e.g. through TokenKeeper.call). The server has no tag filter, so a tag filter
        is applied here to the cached customers' tags."""
        needle = _needle(query.text)
        page = search_messages(q=needle, customer_id=query.customer_id,
                               agent_id=query.agent_id, since=query.since, until=query.until,
                               limit=max(1, min(query.limit, MAX_SEARCH_LIMIT)), before=before)
        tagged: set[str] | None = None
        if query.tag_id:
            with self.store.read() as session:
                conn = _sqlite(session)
                params: dict[str, Any] = {}
                marks = _bind(params, "tag", tag_tree(conn, query.tag_id))
                tagged = {r[0] for r in conn.execute(
                    f"SELECT customer_id FROM customer_tag WHERE tag_id IN ({marks})", params)}
        hits = []
        for hit in page.hits:
            if tagged is not None and hit.customer_id not in tagged:
                continue
            row = hit.message
            hits.append(_message_hit(
                (None, row.get("id"), hit.conversation_id, row.get("sender"), row.get("agent_id"),
                 str(row.get("text") or ""), row.get("created_at"), hit.customer_id,
                 hit.customer_nickname), needle))
        return RemoteSearchPage(tuple(hits), page.next)


# ---- planning ---------------------------------------------------------------------------------


_AGENT_CONVERSATIONS = ("SELECT id FROM conversation WHERE agent_id = :agent_id UNION "
                        "SELECT conversation_id FROM message WHERE agent_id = :agent_id")
"""Conversations the agent holds or wrote in (ix_conversation_agent, ix_message_agent)."""
_AGENT_CHECK = ("({held} = :agent_id OR EXISTS (SELECT 1 FROM message w WHERE w.agent_id = "
                ":agent_id AND w.conversation_id = {conversation}))")
"""The same, as a check of one conversation (one seek in each index)."""
SMALL_SET = 1000
"""A filter whose conversations (or customers) number at most this is collected up front."""


def _plan(conn: Connection, query: SearchQuery) -> _Plan | None:
    """The filters as SQL; None when nothing can match. Each filter is a per-row check
    (cheap index lookups as the index is walked); a filter known to allow only a few
    conversations also names them, and with few enough messages behind them the search reads
    those instead of walking the index (a walk may read every match of a common word first)."""
    plan = _Plan()
    if query.since is not None:
        plan.lo = _ms(query.since) * SEARCH_SLOTS
    if query.until is not None:
        plan.hi = _ms(query.until) * SEARCH_SLOTS
    if query.before is not None:
        plan.hi = query.before if plan.hi is None else min(plan.hi, query.before)
    if plan.lo is not None and plan.hi is not None and plan.lo >= plan.hi:
        return None
    params = plan.params
    few: list[str] = []
    if query.customer_id:
        params["customer_id"] = query.customer_id
        plan.where.append("c.customer_id = :customer_id")
        few.append("SELECT id FROM conversation WHERE customer_id = :customer_id")
    if query.tag_id:
        marks = _bind(params, "tag", tag_tree(conn, query.tag_id))
        tagged = f"SELECT customer_id FROM customer_tag WHERE tag_id IN ({marks})"
        plan.where.append(f"c.customer_id IN ({tagged})")
        if _at_most(conn, tagged, params, SMALL_SET):
            few.append(f"SELECT id FROM conversation WHERE customer_id IN ({tagged})")
    if query.agent_id:
        params["agent_id"] = query.agent_id
        plan.where.append(_AGENT_CHECK.format(conversation="m.conversation_id",
                                              held="c.agent_id"))
        if (_at_most(conn, "SELECT 1 FROM conversation WHERE agent_id = :agent_id", params,
                     SMALL_SET)
                and _at_most(conn, "SELECT 1 FROM message WHERE agent_id = :agent_id", params,
                             NARROW_MAX)):
            few.append(_AGENT_CONVERSATIONS)
    if not few:
        return plan
    chosen = " INTERSECT ".join(f"SELECT * FROM ({f})" for f in few)
    count = _count(conn, f"SELECT 1 FROM message WHERE conversation_id IN ({chosen})", params,
                   NARROW_MAX + 1)
    if count == 0:
        return None
    if count <= NARROW_MAX:
        plan.narrow = chosen
    return plan


def _count(conn: Connection, sql: str, params: dict[str, Any], cap: int) -> int:
    """How many rows `sql` gives, counting no further than `cap`."""
    return int(conn.execute(f"SELECT count(*) FROM ({sql} LIMIT {cap})", params).fetchone()[0])


def _at_most(conn: Connection, sql: str, params: dict[str, Any], n: int) -> bool:
    return _count(conn, sql, params, n + 1) <= n


# ---- the paths --------------------------------------------------------------------------------


def _range(plan: _Plan, column: str) -> tuple[list[str], dict[str, Any]]:
    where, params = list(plan.where), dict(plan.params)
    if plan.lo is not None:
        where.append(f"{column} >= :lo")
        params["lo"] = plan.lo
    if plan.hi is not None:
        where.append(f"{column} < :hi")
        params["hi"] = plan.hi
    return where, params


def _fts(conn: Connection, plan: _Plan, match: str, limit: int,
         hi: int | None = None) -> list[tuple[Any, ...]]:
    """The trigram index in its own (time) order: stops after `limit` rows pass the filters.
    `hi`: only keys below it."""
    where, params = _range(plan, "f.rowid")
    if hi is not None:
        where.append("f.rowid < :below")
        params["below"] = hi
    params.update(match=match, limit=limit)
    return conn.execute(
        f"SELECT {_ROW} FROM message_fts f CROSS JOIN message_search s ON s.key = f.rowid "
        f"CROSS JOIN message m ON m.rowid = s.message_rowid {_JOINS} "
        f"WHERE f.message_fts MATCH :match{_and(where)} ORDER BY f.rowid DESC LIMIT :limit",
        params).fetchall()


def _latest(conn: Connection, plan: _Plan, limit: int) -> list[tuple[Any, ...]]:
    """No text: the newest messages that pass the filters, through the time keys."""
    where, params = _range(plan, "s.key")
    params["limit"] = limit
    return conn.execute(
        f"SELECT {_ROW} FROM message_search s CROSS JOIN message m ON m.rowid = s.message_rowid "
        f"{_JOINS} {_where(where)} ORDER BY s.key DESC LIMIT :limit", params).fetchall()


def _short(conn: Connection, plan: _Plan, needle: str,
           limit: int) -> list[tuple[Any, ...]]:
    """1-2 characters: without filters the newest RECENT_WINDOW messages are tested directly;
    the rest through the trigrams that begin with the text, from the index's vocabulary (the
    padding makes every occurrence begin one), OR-ed together."""
    folded = fold(needle)
    hits: list[int] = []
    last = None
    if not plan.where:  # with filters the window would test rows they reject first
        where, params = _range(plan, "s.key")
        params["window"] = RECENT_WINDOW
        seen = 0
        cursor = conn.execute(
            "SELECT s.key, m.text FROM message_search s CROSS JOIN message m "
            f"ON m.rowid = s.message_rowid {_where(where)} ORDER BY s.key DESC LIMIT :window",
            params)
        for key, text in cursor:
            seen, last = seen + 1, key
            if folded in fold(text or ""):
                hits.append(key)
                if len(hits) >= limit:
                    break
        cursor.close()
        if len(hits) >= limit or seen < RECENT_WINDOW:
            return _details(conn, hits)
    recent = _details(conn, hits)
    terms = [r[0] for r in conn.execute(
        "SELECT term FROM message_fts_terms WHERE term >= ? AND term < ?",
        (folded, folded + "\U0010ffff"))]
    if not terms:
        return recent
    match = " OR ".join(phrase(t) for t in terms)
    return recent + _fts(conn, plan, match, limit - len(hits), hi=last)


def _pending(conn: Connection, plan: _Plan, needle: str,
             limit: int) -> list[tuple[Any, ...]]:
    """The newest messages not yet in the index (fewer than SEARCH_BATCH), tested directly."""
    where, params = _range(plan, "s.key")
    folded = fold(needle)
    rows = [r for r in conn.execute(
        f"SELECT {_ROW} FROM message_fts_pending p CROSS JOIN message_search s ON s.key = p.key "
        f"CROSS JOIN message m ON m.rowid = s.message_rowid {_JOINS} {_where(where)}", params)
        if folded in fold(r[5] or "")]
    rows.sort(key=lambda r: r[0], reverse=True)
    return rows[:limit]


def _merge(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]],
           limit: int) -> list[tuple[Any, ...]]:
    """Two newest-first lists as one, each key once."""
    if not b:
        return a
    merged = {row[0]: row for row in a + b}
    return [merged[k] for k in sorted(merged, reverse=True)[:limit]]


def _narrow(conn: Connection, plan: _Plan, needle: str,
            limit: int) -> list[tuple[Any, ...]]:
    """The few messages the filters allow: all read through the conversation index and tested
    in Python; the hits' details are read after."""
    where, params = _range(plan, "s.key")
    folded = fold(needle)
    found = sorted((key for key, text in conn.execute(
        f"SELECT s.key, m.text FROM message m CROSS JOIN message_search s "
        f"ON s.message_rowid = m.rowid {_CONVERSATION} "
        f"WHERE m.conversation_id IN ({plan.narrow}){_and(where)}", params)
        if folded in fold(text or "")), reverse=True)[:limit]
    return _details(conn, found)


def _details(conn: Connection, keys: list[int]) -> list[tuple[Any, ...]]:
    """The result rows of these search keys, newest first."""
    if not keys:
        return []
    params: dict[str, Any] = {}
    marks = _bind(params, "k", keys)
    return conn.execute(
        f"SELECT {_ROW} FROM message_search s CROSS JOIN message m ON m.rowid = s.message_rowid "
        f"{_JOINS} WHERE s.key IN ({marks}) ORDER BY s.key DESC", params).fetchall()


# ---- small helpers ----------------------------------------------------------------------------


def _message_hit(row: tuple[Any, ...], needle: str) -> SearchHit:
    key, message_id, conversation_id, sender, agent_id, text, created_at, customer, nick = row
    body = text or ""
    found = fold(body).find(fold(needle)) if needle else -1
    shown, at = snippet(body, max(found, 0), len(needle) if found >= 0 else 0)
    return SearchHit(
        kind="message", conversation_id=conversation_id, customer_id=customer or "",
        customer_nickname=nick or "", message_id=message_id, text=shown,
        created_at=_time(created_at), sender=sender or "", agent_id=agent_id,
        highlight=(at, at + len(needle)) if found >= 0 else (0, 0), key=key)


def _needle(text: str) -> str:
    """The text searched for: trimmed, without U+0001 (the index's padding character)."""
    return text.replace("\x01", "").strip()


def _sqlite(session: Any) -> Connection:
    """The session's DB-API connection (FTS5 and vocab tables need plain SQL)."""
    conn = session.connection().connection.driver_connection
    assert isinstance(conn, Connection)
    return conn


def _bind(params: dict[str, Any], prefix: str, values: Iterable[Any]) -> str:
    names = []
    for n, value in enumerate(values):
        params[f"{prefix}{n}"] = value
        names.append(f":{prefix}{n}")
    return ", ".join(names) or "NULL"


def _and(where: list[str]) -> str:
    return "".join(f" AND {w}" for w in where)


def _where(where: list[str]) -> str:
    return f"WHERE {' AND '.join(where)}" if where else ""


def _ms(value: dt.datetime) -> int:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return round(aware.timestamp() * 1000)


def _iso(value: dt.datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat()


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None

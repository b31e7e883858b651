"""Imports a shop's products, promotions, orders, logistics events and KB entries for the desks."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server import models as m
from server.changes import (
    ENTITY_OF,
    ChangeWriter,
    company_scope,
    entity_id_of,
    team_scope,
    to_wire,
)
from server.db import Database
from server.mutations.base import bump
from server.shop_promotions import promotion_errors
from server.shop_rows import KINDS, ImportFailed, Row, infer_kind, load_file

_BATCH = 2000
_CHUNK = 5000  # ids per IN (…), under SQLite's bound-parameter limit


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """Per kind: how many rows were created, updated, left unchanged."""

    counts: dict[str, Counts] = field(default_factory=dict)


class FeedBatch:
    """Appends feed rows in bulk (one INSERT per batch) inside the import's transaction."""

    def __init__(self, session: Session, kind: str) -> None:
        self.session = session
        self.writer = ChangeWriter(session, kind)
        self._xid = random.getrandbits(62) if kind == "sqlite" else None
        self._pending: list[dict[str, Any]] = []

    def upsert(self, scope: str, row: m.Base) -> None:
        values: dict[str, Any] = {"scope": scope, "entity": ENTITY_OF[type(row)],
                                  "entity_id": entity_id_of(row), "op": "upsert",
                                  "data": to_wire(row), "created_at": m.utcnow()}
        if self._xid is not None:
            values["xid"] = self._xid
        self._pending.append(values)
        self.writer.wake_also(scope)
        if len(self._pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self.session.execute(insert(m.ChangeLog), self._pending)
            self._pending = []

    def before_commit(self) -> None:
        self.flush()
        self.writer.before_commit()


@dataclass(frozen=True)
class Target:
    company_id: str
    team_id: str


def resolve_target(session: Session, company: str | None, team: str | None) -> Target:
    """The company (by domain; the only one if not given) and team (by name; else the first)."""
    query_company = select(m.Company)
    if company is not None:
        query_company = query_company.where(m.Company.domain == company)
    companies = session.scalars(query_company).all()
    if len(companies) != 1:
        reason = f"no company {company!r}" if company else "several companies: pass --company"
        raise ImportFailed([reason if companies or company else "no company in the database"])
    query = select(m.Team).where(m.Team.company_id == companies[0].id).order_by(
        m.Team.receives_visitors.desc(), m.Team.name)
    if team is not None:
        query = query.where(m.Team.name == team)
    found = session.scalars(query).first()
    if found is None:
        raise ImportFailed([f"no team {team!r} in {companies[0].domain}"])
    return Target(companies[0].id, found.id)


def _apply(row: Any, values: dict[str, Any]) -> bool:
    """Sets the changed fields; bumps the version if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    if changed:
        bump(row)
    return changed


class _Importer:
    def __init__(self, session: Session, kind: str, target: Target) -> None:
        self.session, self.target = session, target
        self.feed = FeedBatch(session, kind)
        self.report = ImportReport()

    def _upsert(self, kind: str, rows: Sequence[Row], existing: dict[Any, Any], key: Any,
                make: Any, scope: Any) -> None:
        counts = self.report.counts.setdefault(kind, Counts())
        touched: list[Any] = []
        for row in rows:
            values = row.values
            found = existing.get(key(values))
            if found is None:
                found = make(values)
                existing[key(values)] = found
                self.session.add(found)
                counts.created += 1
                touched.append(found)
            elif _apply(found, values):
                counts.updated += 1
                touched.append(found)
            else:
                counts.unchanged += 1
        self.session.flush()
        for found in dict.fromkeys(touched):
            self.feed.upsert(scope(found), found)

    def products(self, rows: Sequence[Row]) -> None:
        cid = self.target.company_id
        existing = {p.sku: p for p in self.session.scalars(
            select(m.Product).where(m.Product.company_id == cid))}
        self._upsert("products", rows, existing, lambda v: v["sku"],
                     lambda v: m.Product(id=str(uuid.uuid4()), company_id=cid, version=1, **v),
                     lambda _r: company_scope(cid))

    def promotions(self, rows: Sequence[Row]) -> None:
        cid = self.target.company_id
        errors = promotion_errors(self.session, cid, rows)
        if errors:
            raise ImportFailed(errors)
        existing = {p.name: p for p in self.session.scalars(
            select(m.Promotion).where(m.Promotion.company_id == cid))}
        self._upsert("promotions", rows, existing, lambda v: v["name"],
                     lambda v: m.Promotion(id=str(uuid.uuid4()), company_id=cid, version=1, **v),
                     lambda _r: company_scope(cid))

    def kb(self, rows: Sequence[Row]) -> None:
        cid = self.target.company_id
        existing = {(k.category, k.title): k for k in self.session.scalars(
            select(m.KbEntry).where(m.KbEntry.company_id == cid))}
        self._upsert("kb", rows, existing, lambda v: (v["category"], v["title"]),
                     lambda v: m.KbEntry(id=str(uuid.uuid4()), company_id=cid, version=1,
                                         use_count=0, **v),
                     lambda _r: company_scope(cid))

    def _orders_by_no(self) -> dict[str, m.Order]:
        return {o.order_no: o for o in self.session.scalars(
            select(m.Order).where(m.Order.company_id == self.target.company_id))}

    def orders(self, rows: Sequence[Row]) -> None:
        cid, tid = self.target.company_id, self.target.team_id
        customers = self._customers(rows)
        prepared = []
        for row in rows:
            values = dict(row.values)
            nickname, given = values.pop("customer"), values.pop("customer_id")
            values["customer_id"] = given or customers[nickname]
            prepared.append(Row(row.where, values))
        self._upsert("orders", prepared, self._orders_by_no(), lambda v: v["order_no"],
                     lambda v: m.Order(id=str(uuid.uuid4()), company_id=cid, team_id=tid,
                                       version=1, handled_by=[],
                                       **{"created_at": m.utcnow(), "history": [], **v}),
                     lambda r: team_scope(r.team_id))

    def _customers(self, rows: Sequence[Row]) -> dict[str, str]:
        """Nickname → customer id in the team; missing customers are created (and fed)."""
        cid, tid = self.target.company_id, self.target.team_id
        known = {c.nickname: c.id for c in self.session.scalars(
            select(m.Customer).where(m.Customer.team_id == tid))}
        ids = sorted({c for c in (r.values["customer_id"] for r in rows) if c})
        found: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            found.update(self.session.scalars(select(m.Customer.id).where(
                m.Customer.company_id == cid, m.Customer.id.in_(ids[start:start + _CHUNK]))))
        errors = [f"{r.where}: unknown customer_id {r.values['customer_id']!r}" for r in rows
                  if r.values["customer_id"] and r.values["customer_id"] not in found]
        if errors:
            raise ImportFailed(errors)
        new = []
        for nickname in dict.fromkeys(r.values["customer"] for r in rows
                                      if r.values["customer"] and not r.values["customer_id"]):
            if nickname not in known:
                customer = m.Customer(id=str(uuid.uuid4()), company_id=cid, team_id=tid,
                                      nickname=nickname, version=1, tags=[])
                self.session.add(customer)
                known[nickname] = customer.id
                new.append(customer)
        self.session.flush()
        for customer in new:
            self.feed.upsert(team_scope(tid), customer)
        return known

    def logistics(self, rows: Sequence[Row]) -> None:
        orders = self._orders_by_no()
        errors = [f"{r.where}: unknown order {r.values['order_no']!r}" for r in rows
                  if r.values["order_no"] not in orders]
        if errors:
            raise ImportFailed(errors)
        ids = [o.id for o in orders.values()]
        existing: dict[Any, Any] = {}
        for start in range(0, len(ids), _CHUNK):
            for event in self.session.scalars(select(m.LogisticsEvent).where(
                    m.LogisticsEvent.order_id.in_(ids[start:start + _CHUNK]))):
                existing[(event.order_id, event.at.timestamp(), event.status)] = event
        prepared = []
        for row in rows:
            values = dict(row.values)
            order = orders[values.pop("order_no")]
            values.update(order_id=order.id, team_id=order.team_id)
            prepared.append(Row(row.where, values))
        self._upsert("logistics", prepared, existing,
                     lambda v: (v["order_id"], v["at"].timestamp(), v["status"]),
                     lambda v: m.LogisticsEvent(id=str(uuid.uuid4()), version=1, **v),
                     lambda r: team_scope(r.team_id))


def import_files(db: Database, paths: Sequence[Path], *, company: str | None = None,
                 team: str | None = None, kind: str | None = None) -> ImportReport:
    """Validates every file, then writes all of it in one transaction (or nothing: ImportFailed)."""
    errors: list[str] = []
    by_kind: dict[str, list[Row]] = {k: [] for k in KINDS}
    for path in paths:
        file_kind = kind or infer_kind(path)
        if file_kind not in KINDS:
            errors.append(f"{path}:1: cannot tell the kind from the name: pass --kind")
            continue
        by_kind[file_kind].extend(load_file(path, file_kind, errors))
    if errors:
        raise ImportFailed(errors)
    with db.write() as session:
        return import_rows(session, db.kind, resolve_target(session, company, team), by_kind)


def import_rows(session: Session, db_kind: str, target: Target,
                by_kind: Mapping[str, Sequence[Row]]) -> ImportReport:
    """Writes validated rows in KINDS order (products before promotions, orders before their
    events) in the caller's transaction, feed rows included; ImportFailed: roll it back."""
    importer = _Importer(session, db_kind, target)
    for name in KINDS:
        if by_kind.get(name):
            getattr(importer, name)(by_kind[name])
    importer.feed.before_commit()
    return importer.report

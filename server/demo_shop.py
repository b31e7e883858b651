"""The demo shop's catalogue, promotions, orders, tracking and KB, imported from demo_data/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from server import models as m
from server.shop_import import Counts, ImportReport, Target, import_rows
from server.shop_rows import ImportFailed, Row, load_file, read_records

DATA_DIR = Path(__file__).with_name("demo_data")
# The files' times are as of this moment (China time); loading shifts them so it becomes "now".
DATA_NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SHOP_FILES: dict[str, str] = {"products": "products.csv", "promotions": "promotions.csv",
                              "orders": "orders.json", "logistics": "logistics.csv",
                              "kb": "kb.json"}

# How each final status was reached (every step is allowed by ORDER_TRANSITIONS).
_STATUS_PATHS: dict[str, tuple[str, ...]] = {
    "待付款": ("待付款",),
    "已付款": ("待付款", "已付款"),
    "已发货": ("待付款", "已付款", "已发货"),
    "已签收": ("待付款", "已付款", "已发货", "已签收"),
    "已完成": ("待付款", "已付款", "已发货", "已签收", "已完成"),
    "退款中": ("待付款", "已付款", "已发货", "已签收", "退款中"),
    "已退款": ("待付款", "已付款", "退款中", "已退款"),
    "已取消": ("待付款", "已取消"),
}

# Typical time from the previous step to this status (logistics.csv was written to match).
_STEP_DELAYS: dict[str, dt.timedelta] = {
    "待付款": dt.timedelta(0),
    "已付款": dt.timedelta(minutes=10),
    "已发货": dt.timedelta(hours=18),
    "已签收": dt.timedelta(days=2),
    "已完成": dt.timedelta(days=7),
    "退款中": dt.timedelta(days=1),
    "已退款": dt.timedelta(days=2),
    "已取消": dt.timedelta(minutes=30),
}


def data_records(name: str) -> list[dict[str, Any]]:
    """The raw records of one demo data file (the importer's reader)."""
    return [record for _line, record in read_records(DATA_DIR / name)]


def order_numbers(*statuses: str) -> tuple[str, ...]:
    """Demo order numbers, optionally only those in one of `statuses`."""
    return tuple(str(o["order_no"]) for o in data_records(SHOP_FILES["orders"])
                 if not statuses or o["status"] in statuses)


def demo_kb() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(category, title, body, keywords) of every demo KB entry."""
    return tuple((str(e["category"]), str(e["title"]), str(e["body"]),
                  tuple(str(k) for k in e["keywords"]))
                 for e in data_records(SHOP_FILES["kb"]))


def load_shop_files(now: dt.datetime) -> dict[str, list[Row]]:
    """Every demo shop file read and validated as an import would, its times moved to `now`."""
    errors: list[str] = []
    shift = now - DATA_NOW
    by_kind = {kind: [Row(r.where, {k: v + shift if isinstance(v, dt.datetime) else v
                                    for k, v in r.values.items()})
                      for r in load_file(DATA_DIR / name, kind, errors)]
               for kind, name in SHOP_FILES.items()}
    if errors:
        raise ImportFailed(errors)
    return by_kind


def import_demo_shop(session: Session, company_id: str, customers: Mapping[str, m.Customer],
                     *, now: dt.datetime) -> ImportReport:
    """Imports the shop files in the caller's transaction: catalogue and KB to the company, each
    order (with its status history) to its customer's team. Counts per kind, as the CLI's."""
    by_kind = load_shop_files(now)
    orders: dict[str, list[Row]] = {}
    for row in by_kind.pop("orders"):
        customer = customers.get(row.values["customer"])
        if customer is None:
            raise ImportFailed([f"{row.where}: not a demo customer {row.values['customer']!r}"])
        orders.setdefault(customer.team_id, []).append(_with_history(row, now))
    team_ids = sorted(orders)
    db_kind = session.get_bind().dialect.name
    total = ImportReport()
    for n, team_id in enumerate(team_ids):
        batch: dict[str, Sequence[Row]] = {"orders": orders[team_id]}
        if n == 0:
            batch.update({k: v for k, v in by_kind.items() if k != "logistics"})
        if n == len(team_ids) - 1:
            batch["logistics"] = by_kind["logistics"]
        for kind, counts in import_rows(session, db_kind, Target(company_id, team_id),
                                        batch).counts.items():
            into = total.counts.setdefault(kind, Counts())
            into.created += counts.created
            into.updated += counts.updated
            into.unchanged += counts.unchanged
    return total


def _with_history(row: Row, now: dt.datetime) -> Row:
    """The order's status history: typical delays from created_at, squeezed to end before now."""
    created: dt.datetime = row.values["created_at"]
    path = _STATUS_PATHS[row.values["status"]]
    total = sum((_STEP_DELAYS[status] for status in path), dt.timedelta(0))
    room = now - dt.timedelta(minutes=5) - created
    scale = min(1.0, room / total) if total else 1.0
    history, at = [], created
    for status in path:
        at += _STEP_DELAYS[status] * scale
        history.append({"at": at.astimezone(dt.UTC).isoformat(), "status": status,
                        "by": "system"})
    return Row(row.where, {**row.values, "history": history})

"""Reads shop files (CSV or JSON) into validated rows per kind, with `file:line` errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from kefu_protocol.shop import ORDER_TRANSITIONS, PROMOTION_KINDS

# In import order: products before the promotions naming them, orders before their events.
KINDS = ("products", "promotions", "orders", "logistics", "kb")
_MONEY = re.compile(r"^-?\d+(\.\d{1,2})?$")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "products": ("sku", "name", "price"),
    "promotions": ("name", "kind", "rule"),
    "orders": ("order_no", "status", "total"),
    "logistics": ("order_no", "at", "carrier", "tracking_no", "status"),
    "kb": ("category", "title", "body"),
}


class RowError(ValueError):
    """One bad cell; the reader adds where it is."""


@dataclass
class ImportFailed(Exception):
    """Every bad row found, as `file:line: reason`; nothing was written."""

    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.errors)


@dataclass(frozen=True)
class Row:
    where: str
    values: dict[str, Any]


def infer_kind(path: Path) -> str | None:
    """`products.csv`, `orders-2024.json`, `kb_faq.csv` … → the kind its name starts with."""
    name = path.name.lower()
    for kind in KINDS:
        if name.startswith(kind) or (kind == "kb" and name.startswith("knowledge")):
            return kind
    for prefix in ("product", "promotion"):
        if name.startswith(prefix):
            return prefix + "s"
    return None


def read_records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, raw record) pairs: CSV data lines (header is line 1) or JSON list items (1-based)."""
    text = path.read_bytes().decode("utf-8-sig")
    if path.suffix.lower() == ".json":
        items = json.loads(text)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise RowError("a JSON file must hold a list of objects")
        return list(enumerate(items, start=1))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records: list[tuple[int, dict[str, Any]]] = []
    for record in reader:
        records.append((reader.line_num, {k.strip(): v for k, v in record.items() if k}))
    return records


def money_cents(value: Any) -> int:
    """'12.50' (yuan) → 1250; a JSON number is read the same way."""
    text = str(value).strip()
    if not _MONEY.match(text):
        raise RowError(f"bad amount {text!r} (yuan with up to two decimals, e.g. 12.50)")
    return int(Decimal(text) * 100)


def _json_cell(text: str, kind: type, wrong: str) -> Any:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RowError(f"bad JSON: {exc.msg}") from exc
    if not isinstance(parsed, kind):
        raise RowError(wrong)
    return parsed


def mapping(value: Any) -> dict[str, Any]:
    """A JSON object, or `key=value;key=value`."""
    if isinstance(value, dict):
        return value
    text = str(value or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        return _json_cell(text, dict, "expected a JSON object")
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, val = part.partition("=")
        if not sep or not key.strip():
            raise RowError(f"bad pair {part!r} (key=value;…)")
        out[key.strip()] = val.strip()
    return out


def order_lines(value: Any) -> list[Any]:
    """A JSON list of line objects, or `SKU=qty;SKU=qty`."""
    if isinstance(value, list):
        return value
    text = str(value or "").strip()
    if text.startswith("["):
        return _json_cell(text, list, "lines must be a JSON list")
    lines = []
    for sku, qty in mapping(text).items():
        if not str(qty).isdigit():
            raise RowError(f"bad quantity {qty!r} for {sku}")
        lines.append({"sku": sku, "qty": int(qty)})
    return lines


def word_list(value: Any) -> list[str]:
    """A JSON list, or words separated by `;` or `,` (ASCII or full-width)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value or "").strip()
    if text.startswith("["):
        return [str(v) for v in _json_cell(text, list, "expected a JSON list")]
    return [w.strip() for w in re.split(r"[;,，；]", text) if w.strip()]


def whole_number(value: Any, what: str, *, high: int | None = None) -> int | None:
    """A whole number from 0 (to `high`), or None for an empty cell."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if not text.isdigit() or (high is not None and int(text) > high):
        upto = f" to {high}" if high is not None else ""
        raise RowError(f"bad {what} {text!r} (a whole number from 0{upto})")
    return int(text)


def timestamp(value: Any) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise RowError(f"bad time {value!r} (ISO 8601, e.g. 2024-06-01T10:30:00+08:00)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    return "" if value is None else str(value).strip()


def normalise(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The model's fields for one record, or RowError."""
    missing = [c for c in _REQUIRED[kind] if _text(raw, c) == ""]
    if missing:
        raise RowError(f"missing {', '.join(missing)}")
    if kind == "products":
        if len(_text(raw, "category")) > 60:
            raise RowError("category longer than 60 characters")
        return {"sku": _text(raw, "sku"), "name": _text(raw, "name"),
                "price_cents": money_cents(raw["price"]), "specs": mapping(raw.get("specs")),
                "promotion": _text(raw, "promotion"), "category": _text(raw, "category"),
                "stock": whole_number(raw.get("stock"), "stock")}
    if kind == "promotions":
        return promotion(raw)
    if kind == "orders":
        status = _text(raw, "status")
        if status not in ORDER_TRANSITIONS:
            raise RowError(f"unknown status {status!r} (one of {' '.join(ORDER_TRANSITIONS)})")
        if not _text(raw, "customer") and not _text(raw, "customer_id"):
            raise RowError("missing customer (nickname) or customer_id")
        values = {"order_no": _text(raw, "order_no"), "status": status,
                  "total_cents": money_cents(raw["total"]),
                  "payment_method": _text(raw, "payment_method"),
                  "address": _text(raw, "address"), "lines": order_lines(raw.get("lines")),
                  "customer": _text(raw, "customer"), "customer_id": _text(raw, "customer_id")}
        if _text(raw, "created_at"):
            values["created_at"] = timestamp(raw["created_at"])
        return values
    if kind == "logistics":
        return {"order_no": _text(raw, "order_no"), "at": timestamp(raw["at"]),
                "carrier": _text(raw, "carrier"), "tracking_no": _text(raw, "tracking_no"),
                "status": _text(raw, "status"), "detail": _text(raw, "detail")}
    return {"category": _text(raw, "category"), "title": _text(raw, "title"),
            "body": _text(raw, "body"), "keywords": word_list(raw.get("keywords"))}


def promotion(raw: dict[str, Any]) -> dict[str, Any]:
    """A promotion's fields (H6); its SKUs are checked against the products on import."""
    kind = _text(raw, "kind")
    if kind not in PROMOTION_KINDS:
        raise RowError(f"unknown kind {kind!r} (one of {' '.join(PROMOTION_KINDS)})")
    values: dict[str, Any] = {
        "name": _text(raw, "name"), "kind": kind, "rule": _text(raw, "rule"),
        "threshold_cents": money_cents(raw["threshold"]) if _text(raw, "threshold") else 0,
        "discount_cents": money_cents(raw["discount"]) if _text(raw, "discount") else 0,
        "percent_off": whole_number(raw.get("percent_off"), "percent_off", high=100) or 0,
        "skus": list(dict.fromkeys(word_list(raw.get("skus")))),
        "starts_at": timestamp(raw["starts_at"]) if _text(raw, "starts_at") else None,
        "ends_at": timestamp(raw["ends_at"]) if _text(raw, "ends_at") else None}
    threshold, discount = values["threshold_cents"], values["discount_cents"]
    if len(values["name"]) > 100:
        raise RowError("name longer than 100 characters")
    if threshold < 0 or discount < 0:
        raise RowError("threshold and discount cannot be negative")
    if kind == "满减" and (discount == 0 or (threshold and discount > threshold)):
        raise RowError("a 满减 needs a discount above 0 and not above its threshold")
    if kind == "折扣" and not values["percent_off"]:
        raise RowError("a 折扣 needs percent_off (1-100: 九折 is 10)")
    starts, ends = values["starts_at"], values["ends_at"]
    if starts is not None and ends is not None and ends <= starts:
        raise RowError(f"ends_at {raw['ends_at']} is not after starts_at {raw['starts_at']}")
    return values


def load_file(path: Path, kind: str, errors: list[str]) -> list[Row]:
    """The file's valid rows; every bad one is appended to `errors` as `file:line: reason`."""
    try:
        records = read_records(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RowError) as exc:
        errors.append(f"{path}:1: {exc}")
        return []
    rows = []
    for line, raw in records:
        try:
            rows.append(Row(f"{path}:{line}", normalise(kind, raw)))
        except (RowError, json.JSONDecodeError, TypeError) as exc:
            errors.append(f"{path}:{line}: {exc}")
    return rows

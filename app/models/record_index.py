"""Indexed expressions over cached `record` rows: orders by number and by customer (H5.1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal_column

from app.models.tables import Record

# The index's expression and the query's must be the same text: the JSON path is a literal,
# never a bound parameter (SQLite compares expressions, not values).
ORDER_NO = "json_extract(data, '$.order_no')"
ORDER_CUSTOMER = "json_extract(data, '$.customer_id')"

STATEMENTS = (
    f"CREATE INDEX IF NOT EXISTS ix_record_order_no ON record (entity, {ORDER_NO})",
    f"CREATE INDEX IF NOT EXISTS ix_record_order_customer ON record (entity, {ORDER_CUSTOMER})",
)


def field(path: str) -> ColumnElement[Any]:
    """`json_extract(record.data, '<path>')` with the path inline, as the indexes spell it."""
    return func.json_extract(Record.data, literal_column(f"'{path}'"))


def add_record_indexes(conn: Connection) -> None:
    """Schema step 7: order cards on messages, order lookups by number and customer."""
    columns = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(message)")}
    if "card" not in columns:  # a cache created at v7 has it from the table definition
        conn.exec_driver_sql("ALTER TABLE message ADD COLUMN card JSON")
    for statement in STATEMENTS:
        conn.exec_driver_sql(statement)

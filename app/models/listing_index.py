"""The conversation list's own columns and covering index, kept in step by triggers (H2.1)."""

from __future__ import annotations

from sqlalchemy import Connection

# The list shows a customer's nickname and VIP level in every row, sorts by them and filters
# on them; a join per row reads the wide `conversation` rows and 50k customer lookups (0.3 s
# at 50k rows, measured). So the cache keeps copies on the conversation (the customer's
# nickname and level, the complaint flag, times as epoch seconds), written only by these
# triggers, and one partial covering index on plain columns answers every open view without
# touching the table. (SQLite 3.40 does not treat an index on expressions as covering.)
LISTING_COLUMNS = (
    "state", "pinned", "list_activity", "list_created", "id", "agent_id", "list_vip",
    "list_nickname", "order_no", "list_awaiting", "team_id", "list_complaint",
    "last_message_text",
)
_EPOCH = "(julianday({column}) - 2440587.5) * 86400.0"
_OWN = (
    "list_nickname = coalesce((SELECT nickname FROM customer WHERE customer.id = "
    "conversation.customer_id), ''), list_vip = coalesce((SELECT vip_level FROM customer "
    "WHERE customer.id = conversation.customer_id), 0), "
    "list_complaint = CASE WHEN json_valid(data) THEN "
    "coalesce(json_extract(data, '$.is_complaint'), 0) ELSE 0 END, "
    f"list_activity = {_EPOCH.format(column='coalesce(last_message_at, created_at)')}, "
    f"list_awaiting = {_EPOCH.format(column='awaiting_reply_since')}, "
    f"list_created = {_EPOCH.format(column='created_at')}"
)
_WATCHED = "customer_id, data, last_message_at, created_at, awaiting_reply_since"

STATEMENTS = (
    "ALTER TABLE conversation ADD COLUMN list_nickname TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE conversation ADD COLUMN list_vip INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE conversation ADD COLUMN list_complaint INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE conversation ADD COLUMN list_activity REAL",
    "ALTER TABLE conversation ADD COLUMN list_awaiting REAL",
    "ALTER TABLE conversation ADD COLUMN list_created REAL",
    f"UPDATE conversation SET {_OWN}",
    "CREATE TRIGGER IF NOT EXISTS conversation_list_ai AFTER INSERT ON conversation BEGIN\n"
    f"UPDATE conversation SET {_OWN} WHERE id = new.id;\nEND",
    f"CREATE TRIGGER IF NOT EXISTS conversation_list_au AFTER UPDATE OF {_WATCHED} "
    "ON conversation BEGIN\n"
    f"UPDATE conversation SET {_OWN} WHERE id = new.id;\nEND",
    "CREATE TRIGGER IF NOT EXISTS customer_list_ai AFTER INSERT ON customer BEGIN\n"
    "UPDATE conversation SET list_nickname = new.nickname, list_vip = new.vip_level "
    "WHERE customer_id = new.id;\nEND",
    "CREATE TRIGGER IF NOT EXISTS customer_list_au AFTER UPDATE OF nickname, vip_level "
    "ON customer BEGIN\n"
    "UPDATE conversation SET list_nickname = new.nickname, list_vip = new.vip_level "
    "WHERE customer_id = new.id;\nEND",
    "DROP INDEX IF EXISTS ix_conversation_list",
    f"CREATE INDEX IF NOT EXISTS ix_conversation_listing ON conversation "
    f"({', '.join(LISTING_COLUMNS)}) WHERE state != 'closed'",
    "CREATE INDEX IF NOT EXISTS ix_conversation_customer_id ON conversation (customer_id)",
)


def add_listing_index(conn: Connection) -> None:
    """Schema step: the columns, a backfill, the triggers and the index."""
    for statement in STATEMENTS:
        conn.exec_driver_sql(statement)

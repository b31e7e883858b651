"""The lead's board's own conversation columns and index, kept in step by a trigger (H13.3)."""

from __future__ import annotations

from sqlalchemy import Connection

# The board counts response-standard breaches per agent for the shift (first_response_ms over
# the team's standard, first_response_at inside the shift window). Both live in the row's JSON;
# reading them with json_extract over every cached conversation of the team on each refresh
# costs a full scan, so the trigger copies them to plain columns that one covering index
# answers by range (first response time in the window).
_OWN = (
    "board_first_ms = CASE WHEN json_valid(data) THEN "
    "json_extract(data, '$.first_response_ms') END, "
    "board_first_at = CASE WHEN json_valid(data) THEN "
    "(julianday(json_extract(data, '$.first_response_at')) - 2440587.5) * 86400.0 END"
)

STATEMENTS = (
    "ALTER TABLE conversation ADD COLUMN board_first_ms INTEGER",
    "ALTER TABLE conversation ADD COLUMN board_first_at REAL",
    f"UPDATE conversation SET {_OWN}",
    "CREATE TRIGGER IF NOT EXISTS conversation_board_ai AFTER INSERT ON conversation BEGIN\n"
    f"UPDATE conversation SET {_OWN} WHERE id = new.id;\nEND",
    "CREATE TRIGGER IF NOT EXISTS conversation_board_au AFTER UPDATE OF data ON conversation "
    f"BEGIN\nUPDATE conversation SET {_OWN} WHERE id = new.id;\nEND",
    "CREATE INDEX IF NOT EXISTS ix_conversation_board_first ON conversation "
    "(team_id, board_first_at, agent_id, board_first_ms) WHERE board_first_at IS NOT NULL",
)


def add_board_index(conn: Connection) -> None:
    """Schema step: the columns, a backfill, the triggers and the index."""
    for statement in STATEMENTS:
        conn.exec_driver_sql(statement)

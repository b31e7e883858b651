"""conversation (team_id, created_at) index for surge detection and metrics windows

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 06:30:00

Issue 7 (H11.4): server.surge.check_surge counts a team's new conversations over the last
minutes on every new conversation; without this index the count reads every conversation of
the team.
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_conversation_team_created', 'conversation', ['team_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_conversation_team_created', table_name='conversation')

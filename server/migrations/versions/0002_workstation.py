"""workstation: transfer undo, escalation, rating request, team scripts, agent grants

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00

Issue 5 (H3.4, H3.6, H10.2, H11.2, H14.4). Only nullable or server-defaulted columns are
added, so existing rows stay valid on SQLite (plain ADD COLUMN in batch mode) and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_CONVERSATION_COLUMNS = (
    'transferred_from_id', 'transferred_at', 'escalated_at', 'escalated_to_id',
    'escalation_reason', 'rating_requested_at',
)


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transferred_from_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('transferred_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_to_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('escalation_reason', sa.Text(), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('rating_requested_at', sa.DateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scripts', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grants', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.drop_column('grants')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('scripts')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        for name in reversed(_CONVERSATION_COLUMNS):
            batch_op.drop_column(name)

"""order special handling and returns: red flag, interception, return_case

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:40:00

Issue 8 (H5.2-H5.4). The added order columns are server-defaulted or nullable, so existing
rows stay valid on SQLite (batch mode) and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('flag_note', sa.String(length=500), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('intercept_requested_at', sa.DateTime(timezone=True),
                                      nullable=True))
    op.create_table(
        'return_case',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('order_id', sa.String(length=36), nullable=False),
        sa.Column('team_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_by', sa.String(length=36), nullable=False),
        sa.Column('history', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['shop_order.id']),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_return_case_order_id', 'return_case', ['order_id'])
    op.create_index('ix_return_case_team_id', 'return_case', ['team_id'])


def downgrade() -> None:
    op.drop_index('ix_return_case_team_id', table_name='return_case')
    op.drop_index('ix_return_case_order_id', table_name='return_case')
    op.drop_table('return_case')
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_column('intercept_requested_at')
        batch_op.drop_column('flag_note')
        batch_op.drop_column('flagged')

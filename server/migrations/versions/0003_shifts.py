"""shifts and the lead's desk: late-login lock, handover items, problem log, surge, activity

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 06:00:00

Issue 7 (H1.3, H1.11, H11.4, H12.1, H13.1-H13.4). Added columns are nullable or
server-defaulted, so existing rows stay valid on SQLite (batch mode) and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_login_lock', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('late_login_grace_min', sa.Integer(), nullable=False,
                                      server_default=sa.text('10')))
        batch_op.add_column(sa.Column('handover_alert_min', sa.Integer(), nullable=False,
                                      server_default=sa.text('30')))
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lock_reason', sa.String(length=20), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('late_ok_for', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shift_id', sa.String(length=36), nullable=True))
    op.create_table(
        'problem',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('team_id', sa.String(length=36), nullable=False),
        sa.Column('agent_id', sa.String(length=36), nullable=False),
        sa.Column('shift_id', sa.String(length=36), nullable=True),
        sa.Column('conversation_id', sa.String(length=36), nullable=True),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reviewed_by', sa.String(length=36), nullable=True),
        sa.Column('review_comment', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_problem_team_id', 'problem', ['team_id'])
    op.create_index('ix_problem_agent_id', 'problem', ['agent_id'])
    op.create_table(
        'surge',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('team_id', sa.String(length=36), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rate_per_hour', sa.Float(), nullable=False),
        sa.Column('baseline_per_hour', sa.Float(), nullable=False),
        sa.Column('declared_by', sa.String(length=36), nullable=True),
        sa.Column('ended_by', sa.String(length=36), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_surge_team_id', 'surge', ['team_id'])
    op.create_table(
        'activity',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('team_id', sa.String(length=36), nullable=False),
        sa.Column('agent_id', sa.String(length=36), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('conversation_id', sa.String(length=36), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_activity_agent_at', 'activity', ['agent_id', 'at'])
    op.create_table(
        'reset_request',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('agent_id', sa.String(length=36), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('decided_by', sa.String(length=36), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['agent_id'], ['agent.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reset_request_agent_id', 'reset_request', ['agent_id'])


def downgrade() -> None:
    for table in ('reset_request', 'activity', 'surge', 'problem'):
        op.drop_table(table)
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.drop_column('shift_id')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('converted_at')
    with op.batch_alter_table('agent', schema=None) as batch_op:
        for name in ('late_ok_for', 'lock_reason', 'last_login_at'):
            batch_op.drop_column(name)
    with op.batch_alter_table('team', schema=None) as batch_op:
        for name in ('handover_alert_min', 'late_login_grace_min', 'late_login_lock'):
            batch_op.drop_column(name)

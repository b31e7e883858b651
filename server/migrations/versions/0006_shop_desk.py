"""shop desk: promotions, product stock/category, logistics problems, order cards, KB review

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 07:30:00

Issue 8 (H5-H7, H9.2, H4.3). Added columns are server-defaulted or nullable, so existing rows
stay valid on SQLite (batch mode) and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=60), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('stock', sa.Integer(), nullable=True))
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logistics_issue', sa.JSON(), nullable=True))
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card', sa.JSON(), nullable=True))
    with op.batch_alter_table('kb_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_by', sa.String(length=40), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'promotion',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('company_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('rule', sa.Text(), nullable=False),
        sa.Column('threshold_cents', sa.Integer(), nullable=False),
        sa.Column('discount_cents', sa.Integer(), nullable=False),
        sa.Column('percent_off', sa.Integer(), nullable=False),
        sa.Column('skus', sa.JSON(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('company_id', 'name'),
    )
    op.create_index('ix_promotion_company_id', 'promotion', ['company_id'])
    op.create_table(
        'kb_suggestion',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('company_id', sa.String(length=36), nullable=False),
        sa.Column('entry_id', sa.String(length=36), nullable=True),
        sa.Column('category', sa.String(length=60), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('keywords', sa.JSON(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('author_id', sa.String(length=36), nullable=False),
        sa.Column('author_name', sa.String(length=60), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reviewed_by', sa.String(length=40), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('comment', sa.String(length=500), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_kb_suggestion_company_id', 'kb_suggestion', ['company_id'])


def downgrade() -> None:
    op.drop_index('ix_kb_suggestion_company_id', table_name='kb_suggestion')
    op.drop_table('kb_suggestion')
    op.drop_index('ix_promotion_company_id', table_name='promotion')
    op.drop_table('promotion')
    with op.batch_alter_table('kb_entry', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('updated_by')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('card')
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_column('logistics_issue')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('stock')
        batch_op.drop_column('category')

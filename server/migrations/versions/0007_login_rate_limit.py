"""audit_log (address, at) index for the per-address login limit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 13:20:00

Issue 9: server.auth.check_address counts an address's failed logins over the last minutes
before every login; without this index the count reads the whole audit log.
"""

from __future__ import annotations

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_address_at', 'audit_log', ['address', 'at'])


def downgrade() -> None:
    op.drop_index('ix_audit_address_at', table_name='audit_log')

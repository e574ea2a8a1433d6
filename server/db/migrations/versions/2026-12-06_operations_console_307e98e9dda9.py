"""operations console: the operator's audit log, disabled families, request ids on the outbox

Expand only (``server.db.migrate``): a new table and two nullable columns, so the previous release
keeps running on this schema during a rolling upgrade.

Revision ID: 307e98e9dda9
Revises: e3b5a7c9d1f4
Create Date: 2026-12-06 09:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = '307e98e9dda9'
down_revision: str | None = 'e3b5a7c9d1f4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'operator_actions',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=40), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('target', sa.String(length=200), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_actions')),
    )
    op.create_index(op.f('ix_operator_actions_at'), 'operator_actions', ['at'], unique=False)
    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', server.db.base.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('request_id')
    with op.batch_alter_table('families', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
    op.drop_index(op.f('ix_operator_actions_at'), table_name='operator_actions')
    op.drop_table('operator_actions')

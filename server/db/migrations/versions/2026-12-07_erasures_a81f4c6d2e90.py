"""erasures

A parent's request to erase one child or the whole family, waiting out its cooling-off (issue 18).
A new table: the previous release never reads it.

Revision ID: a81f4c6d2e90
Revises: c4d82e61f3a9
Create Date: 2026-12-07 03:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = 'a81f4c6d2e90'
down_revision: str | None = 'c4d82e61f3a9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'erasures',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('family_id', sa.String(length=40), nullable=False),
        sa.Column('child_id', sa.String(length=40), nullable=True),
        sa.Column('requested_by', sa.String(length=40), nullable=False),
        sa.Column('requested_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('due_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['child_id'], ['users.id'], name=op.f('fk_erasures_child_id_users'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['family_id'], ['families.id'], name=op.f('fk_erasures_family_id_families'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['requested_by'], ['users.id'], name=op.f('fk_erasures_requested_by_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_erasures')),
    )
    op.create_index(op.f('ix_erasures_due_at'), 'erasures', ['due_at'], unique=False)
    op.create_index(op.f('ix_erasures_family_id'), 'erasures', ['family_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_erasures_family_id'), table_name='erasures')
    op.drop_index(op.f('ix_erasures_due_at'), table_name='erasures')
    op.drop_table('erasures')

"""parent missions

Parent missions (issue 19): a goal a parent sets for a child, checked against the child's book, with
a game-money reward. A new table only: the previous release never reads it.

Revision ID: f1a2b3c4d5e6
Revises: c9e4a7b21d35
Create Date: 2026-12-11 03:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = 'f1a2b3c4d5e6'
down_revision: str | None = 'c9e4a7b21d35'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'missions',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('family_id', sa.String(length=40), nullable=False),
        sa.Column('child_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('target', sa.Integer(), nullable=False),
        sa.Column('reward', sa.BigInteger(), nullable=False),
        sa.Column('created_by', sa.String(length=40), nullable=False),
        sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('completed_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('cancelled_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('cancelled_by', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ['family_id'], ['families.id'], name=op.f('fk_missions_family_id_families'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['child_id'], ['users.id'], name=op.f('fk_missions_child_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_missions')),
    )
    op.create_index(op.f('ix_missions_family_id'), 'missions', ['family_id'], unique=False)
    op.create_index(
        'ix_missions_child_open', 'missions', ['child_id', 'completed_at', 'cancelled_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_missions_child_open', table_name='missions')
    op.drop_index(op.f('ix_missions_family_id'), table_name='missions')
    op.drop_table('missions')

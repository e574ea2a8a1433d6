"""corporate actions and their applications per child

Dividends and splits the server learned of (one row per symbol, kind and ex-date) and, per child,
the application that posted it: its (action, child) key makes an action apply once per child across
restarts and racing server processes. Written by hand (revision id agreed in advance).

Revision ID: 6f4e0b8a2c53
Revises: 4d2b8f6c0e31
Create Date: 2026-11-24 15:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = '6f4e0b8a2c53'
down_revision: str | None = '4d2b8f6c0e31'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'corporate_actions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('symbol', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('ex_date', sa.Date(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('numerator', sa.Integer(), nullable=False),
        sa.Column('denominator', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('recorded_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_corporate_actions')),
    )
    op.create_index('ix_corporate_actions_ex_date', 'corporate_actions', ['ex_date'], unique=False)
    op.create_table(
        'corporate_action_applications',
        sa.Column('action_id', sa.String(length=64), nullable=False),
        sa.Column('child_id', sa.String(length=40), nullable=False),
        sa.Column('family_id', sa.String(length=40), nullable=False),
        sa.Column('shares', sa.BigInteger(), nullable=False),
        sa.Column('posted', sa.BigInteger(), nullable=False),
        sa.Column('applied_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['action_id'], ['corporate_actions.id'],
            name=op.f('fk_corporate_action_applications_action_id_corporate_actions'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['child_id'], ['users.id'],
            name=op.f('fk_corporate_action_applications_child_id_users'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['family_id'], ['families.id'],
            name=op.f('fk_corporate_action_applications_family_id_families'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('action_id', 'child_id', name=op.f('pk_corporate_action_applications')),
    )
    op.create_index(
        op.f('ix_corporate_action_applications_family_id'),
        'corporate_action_applications',
        ['family_id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f('ix_corporate_action_applications_family_id'), table_name='corporate_action_applications'
    )
    op.drop_table('corporate_action_applications')
    op.drop_index('ix_corporate_actions_ex_date', table_name='corporate_actions')
    op.drop_table('corporate_actions')

"""phone numbers

SMS to parents (issue 18): a parent's phone number, sealed at rest and verified by a code, and the
SMS choice per event beside e-mail and push. A new table and a column with a server default: the
previous release never reads them and its inserts into ``notification_prefs`` still succeed.

Revision ID: c9e4a7b21d35
Revises: b3c8d2e61f47
Create Date: 2026-12-10 03:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base
from server.db.sealed import Sealed

revision: str = 'c9e4a7b21d35'
down_revision: str | None = 'b3c8d2e61f47'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'phone_numbers',
        sa.Column('user_id', sa.String(length=40), nullable=False),
        sa.Column('family_id', sa.String(length=40), nullable=False),
        sa.Column('number', Sealed('phone_numbers.number', 20), nullable=False),
        sa.Column('verified_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('code_hash', sa.String(length=64), nullable=True),
        sa.Column('code_expires_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('code_tries', sa.Integer(), nullable=False),
        sa.Column('sent_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['family_id'], ['families.id'], name=op.f('fk_phone_numbers_family_id_families'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_phone_numbers_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_phone_numbers')),
    )
    op.create_index(op.f('ix_phone_numbers_family_id'), 'phone_numbers', ['family_id'], unique=False)
    op.add_column(
        'notification_prefs', sa.Column('sms', sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column('notification_prefs', 'sms')
    op.drop_index(op.f('ix_phone_numbers_family_id'), table_name='phone_numbers')
    op.drop_table('phone_numbers')

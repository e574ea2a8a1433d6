"""payouts, bank accounts, notification preferences and push targets

Payouts record every attempt to pay a request through a rail (manual, Toss, KakaoPay) with the
rail's reference; a parent's bank account number is stored only as AES-256-GCM ciphertext and a
mask; notification preferences say which channels (e-mail, push) a user wants per event; push
targets hold FCM registration tokens per device. Written by hand (revision ids agreed in advance).

Revision ID: 4d2b8f6c0e31
Revises: 3c1a7e5b9d20
Create Date: 2026-11-24 14:17:16.975752+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = '4d2b8f6c0e31'
down_revision: str | None = '3c1a7e5b9d20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bank_accounts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('family_id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('bank', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=60), nullable=False),
    sa.Column('number_ct', sa.LargeBinary(), nullable=False),
    sa.Column('number_masked', sa.String(length=40), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_bank_accounts_family_id_families'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bank_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_accounts')),
    sa.UniqueConstraint('user_id', name=op.f('uq_bank_accounts_user_id'))
    )
    with op.batch_alter_table('bank_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_accounts_family_id'), ['family_id'], unique=False)

    op.create_table('notification_prefs',
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('family_id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('push', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_notification_prefs_family_id_families'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_prefs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'event', name=op.f('pk_notification_prefs'))
    )
    with op.batch_alter_table('notification_prefs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_prefs_family_id'), ['family_id'], unique=False)

    op.create_table('payouts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('family_id', sa.String(length=40), nullable=False),
    sa.Column('child_id', sa.String(length=40), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('rail', sa.String(length=20), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('amount_real', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['users.id'], name=op.f('fk_payouts_child_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_payouts_family_id_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_family_id'), ['family_id'], unique=False)
        batch_op.create_index('ix_payouts_request', ['request_id'], unique=False)

    op.create_table('push_targets',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('family_id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=400), nullable=False),
    sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_push_targets_family_id_families'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_targets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_targets')),
    sa.UniqueConstraint('user_id', 'client_id', name='uq_push_targets_user_client')
    )
    with op.batch_alter_table('push_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_targets_family_id'), ['family_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('push_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_targets_family_id'))

    op.drop_table('push_targets')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index('ix_payouts_request')
        batch_op.drop_index(batch_op.f('ix_payouts_family_id'))

    op.drop_table('payouts')
    with op.batch_alter_table('notification_prefs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_prefs_family_id'))

    op.drop_table('notification_prefs')
    with op.batch_alter_table('bank_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_accounts_family_id'))

    op.drop_table('bank_accounts')

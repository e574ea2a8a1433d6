"""subscriptions

The hosted service's premium plan (issue 18): a subscription per family (its Toss billing key
sealed at rest) and the charges made for it, the order id unique so a charge is never made twice.
Two new tables: the previous release never reads them.

Revision ID: f4a2c6e8b0d3
Revises: f1a2b3c4d5e6
Create Date: 2026-12-11 03:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base
from server.db.sealed import Sealed

revision: str = 'f4a2c6e8b0d3'
down_revision: str | None = 'f1a2b3c4d5e6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'subscriptions',
        sa.Column('family_id', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('plan', sa.String(length=10), nullable=True),
        sa.Column('customer_key', sa.String(length=64), nullable=False),
        sa.Column('billing_key', Sealed('subscriptions.billing_key', 200), nullable=True),
        sa.Column('card', sa.String(length=40), nullable=True),
        sa.Column('trial_started_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('period_start', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('period_end', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('cancel_at_period_end', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('retry_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('grace_until', server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('paid_once', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['family_id'], ['families.id'], name=op.f('fk_subscriptions_family_id_families'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('family_id', name=op.f('pk_subscriptions')),
        sa.UniqueConstraint('customer_key', name=op.f('uq_subscriptions_customer_key')),
    )
    op.create_index('ix_subscriptions_status', 'subscriptions', ['status'], unique=False)
    op.create_table(
        'subscription_charges',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('family_id', sa.String(length=40), nullable=False),
        sa.Column('plan', sa.String(length=10), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('period_start', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('payment_key', sa.String(length=200), nullable=True),
        sa.Column('error', sa.String(length=200), nullable=True),
        sa.Column('created_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['family_id'],
            ['families.id'],
            name=op.f('fk_subscription_charges_family_id_families'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_charges')),
    )
    op.create_index(
        op.f('ix_subscription_charges_family_id'), 'subscription_charges', ['family_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_subscription_charges_family_id'), table_name='subscription_charges')
    op.drop_table('subscription_charges')
    op.drop_index('ix_subscriptions_status', table_name='subscriptions')
    op.drop_table('subscriptions')

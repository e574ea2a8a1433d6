"""market bars

Price bars per symbol and interval for the history charts. SQLite: a WITHOUT ROWID table on its
composite key. PostgreSQL: partitioned by range of ``ts`` with a BRIN index; the yearly partitions are
created by the server when it first writes bars of a year (server.market.history.ensure_partitions),
so this migration creates none and the schema stays exactly what the models describe.

Revision ID: 3c1a7e5b9d20
Revises: 80c8bd43ec9f
Create Date: 2026-11-24 14:40:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = '3c1a7e5b9d20'
down_revision: str | None = '80c8bd43ec9f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'market_bars',
        sa.Column('symbol', sa.String(length=20), nullable=False),
        sa.Column('interval', sa.String(length=4), nullable=False),
        sa.Column('ts', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('open', sa.BigInteger(), nullable=True),
        sa.Column('high', sa.BigInteger(), nullable=True),
        sa.Column('low', sa.BigInteger(), nullable=True),
        sa.Column('close', sa.BigInteger(), nullable=False),
        sa.Column('volume', sa.BigInteger(), nullable=True),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('symbol', 'interval', 'ts', name=op.f('pk_market_bars')),
        sqlite_with_rowid=False,
        postgresql_partition_by='RANGE (ts)',
    )
    op.create_index('ix_market_bars_ts', 'market_bars', ['ts'], unique=False, postgresql_using='brin')


def downgrade() -> None:
    op.drop_index('ix_market_bars_ts', table_name='market_bars')
    op.drop_table('market_bars')

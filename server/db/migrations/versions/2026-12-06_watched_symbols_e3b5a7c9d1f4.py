"""watched symbols

The symbols the server keeps priced, as rows of their own instead of "has a quote": on a fresh server
no symbol had a quote, so none was ever refreshed and none could be priced (issue 13). Every symbol
quoted so far was watched under the old rule, so it stays watched; the rate (``USDKRW=X``) is
always watched and needs no row.

Revision ID: e3b5a7c9d1f4
Revises: b7e2c4a91d08
Create Date: 2026-12-06 04:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = 'e3b5a7c9d1f4'
down_revision: str | None = 'b7e2c4a91d08'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'watched_symbols',
        sa.Column('symbol', sa.String(length=20), nullable=False),
        sa.Column('since', server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('symbol', name=op.f('pk_watched_symbols')),
    )
    op.execute(
        "INSERT INTO watched_symbols (symbol, since) "
        "SELECT symbol, MIN(as_of) FROM quotes WHERE symbol <> 'USDKRW=X' GROUP BY symbol"
    )


def downgrade() -> None:
    op.drop_table('watched_symbols')

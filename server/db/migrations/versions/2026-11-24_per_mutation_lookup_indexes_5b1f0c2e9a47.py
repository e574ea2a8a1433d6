"""per-mutation lookup indexes: grants by reference, trades by day

The duplicate-grant check and the trades-per-day rule run on every grant and trade; without
these indexes each scanned all of the child's ledger entries or trades, so pushes slowed down
as a child's history grew.

Revision ID: 5b1f0c2e9a47
Revises: 37dc3e9763a7
Create Date: 2026-11-24 11:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '5b1f0c2e9a47'
down_revision: str | None = '37dc3e9763a7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_ledger_entries_child_ref', 'ledger_entries', ['child_id', 'ref_id'], unique=False)
    op.create_index('ix_trades_child_created', 'trades', ['child_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_trades_child_created', table_name='trades')
    op.drop_index('ix_ledger_entries_child_ref', table_name='ledger_entries')

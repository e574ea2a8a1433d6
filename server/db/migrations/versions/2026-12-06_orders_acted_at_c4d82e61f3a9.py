"""mutations: the time each was acted (the trading budget)

Every mutation keeps when the device says it was recorded, trusted only between the device's
previous mutation and the moment the server received it (``acted_at``). The trading budget counts a
child's orders per minute of that time, on every path (REST and push), so a week recorded offline
is judged at the pace it was recorded and thirty orders pushed at once are not.

Revision ID: c4d82e61f3a9
Revises: 307e98e9dda9
Create Date: 2026-12-06 04:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = 'c4d82e61f3a9'
down_revision: str | None = '307e98e9dda9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('mutations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acted_at', server.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_mutations_child_acted', ['child_id', 'acted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mutations', schema=None) as batch_op:
        batch_op.drop_index('ix_mutations_child_acted')
        batch_op.drop_column('acted_at')

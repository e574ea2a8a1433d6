"""mutations record the market facts their decision read

The newest and served quotes, open markets and parent count a handler saw, so the mutation log
can be replayed into an empty database and decide the same way (invariant I6).

Revision ID: 9a7d3c1e5f02
Revises: 6f4e0b8a2c53
Create Date: 2026-11-24 18:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9a7d3c1e5f02'
down_revision: str | None = '6f4e0b8a2c53'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('mutations') as batch_op:
        batch_op.add_column(
            sa.Column('inputs', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('mutations') as batch_op:
        batch_op.drop_column('inputs')

"""change-log stamp

A random stamp on each change-log row, the pull's cursor mark (protocol 3): a device proves its cursor
with it, so a pull need not record every cursor it serves. A nullable column only (expand): the
previous release writes rows without it, and their cursors go unmarked, checked as before.

Revision ID: a7d3e5f9c2b1
Revises: f4a2c6e8b0d3
Create Date: 2026-12-12 03:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a7d3e5f9c2b1'
down_revision: str | None = 'f4a2c6e8b0d3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('changelog', sa.Column('stamp', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('changelog', 'stamp')

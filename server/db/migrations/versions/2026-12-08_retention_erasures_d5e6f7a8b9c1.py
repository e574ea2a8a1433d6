"""retention erasures

An erasure may be pending because the family was inactive for the retention period (issue 18):
``erasures.reason`` (``parent`` for every existing row) and no requesting parent for those.

Revision ID: d5e6f7a8b9c1
Revises: a81f4c6d2e90
Create Date: 2026-12-08 03:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd5e6f7a8b9c1'
down_revision: str | None = 'a81f4c6d2e90'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

contract = (
    "loosens erasures.requested_by to nullable: the previous release only writes it (always set) and "
    "lists it; a retention erasure it lists shows no requester"
)


def upgrade() -> None:
    with op.batch_alter_table('erasures') as batch:
        batch.add_column(sa.Column('reason', sa.String(length=10), server_default='parent', nullable=False))
        batch.alter_column('requested_by', existing_type=sa.String(length=40), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM erasures WHERE requested_by IS NULL")
    with op.batch_alter_table('erasures') as batch:
        batch.alter_column('requested_by', existing_type=sa.String(length=40), nullable=False)
        batch.drop_column('reason')

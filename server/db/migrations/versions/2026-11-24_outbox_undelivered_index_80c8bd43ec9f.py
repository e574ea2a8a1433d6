"""outbox undelivered index

The notification dispatcher asks for undelivered events, oldest first, every second; without an
index on (delivered_at, id) each pass would read every event ever delivered.

Revision ID: 80c8bd43ec9f
Revises: 53ac9db51e92
Create Date: 2026-11-24 11:51:13.782043+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '80c8bd43ec9f'
down_revision: str | None = '53ac9db51e92'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_outbox_delivered_id', 'outbox', ['delivered_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_delivered_id', table_name='outbox')

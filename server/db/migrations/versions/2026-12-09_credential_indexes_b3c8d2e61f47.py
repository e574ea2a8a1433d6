"""credential indexes

Retention prunes dead refresh tokens and pairing codes (issue 18), and a token that a newer one of
the same user superseded is what it may prune: without these indexes each pass read every token
of every user once per expired token. A session refreshes every quarter hour, so a family keeps
thousands of rows a month. Only indexes: the previous release runs unchanged on this schema.

Revision ID: b3c8d2e61f47
Revises: e7f8a9b0c1d2
Create Date: 2026-12-09 03:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'b3c8d2e61f47'
down_revision: str | None = 'e7f8a9b0c1d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_refresh_tokens_user_created', 'refresh_tokens', ['user_id', 'created_at'])
    op.create_index('ix_refresh_tokens_expires_at', 'refresh_tokens', ['expires_at'])
    op.create_index('ix_pairing_codes_expires_at', 'pairing_codes', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_pairing_codes_expires_at', table_name='pairing_codes')
    op.drop_index('ix_refresh_tokens_expires_at', table_name='refresh_tokens')
    op.drop_index('ix_refresh_tokens_user_created', table_name='refresh_tokens')

"""server actions logged with their inputs

A queued order filled at the open is decided by the server, not sent by a device: it is kept with the
market facts it read (the opening quote among them), so replaying the log can decide it again (I6).

Revision ID: b7e2c4a91d08
Revises: 9a7d3c1e5f02
Create Date: 2026-11-24 20:35:20.390244+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = 'b7e2c4a91d08'
down_revision: str | None = '9a7d3c1e5f02'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('server_actions',
    sa.Column('txn_id', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.String(length=40), nullable=False),
    sa.Column('child_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('ref_id', sa.String(length=64), nullable=False),
    sa.Column('server_seq', sa.BigInteger(), nullable=True),
    sa.Column('inputs', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=False),
    sa.Column('decided_at', server.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_server_actions_family_id_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('txn_id', 'child_id', name=op.f('pk_server_actions'))
    )
    with op.batch_alter_table('server_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_server_actions_family_id'), ['family_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('server_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_server_actions_family_id'))

    op.drop_table('server_actions')

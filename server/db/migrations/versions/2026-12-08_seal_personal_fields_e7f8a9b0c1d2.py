"""seal personal fields

Names and e-mails sealed at rest with the data keys (issue 18, ``server.db.sealed``): users'
display names and e-mails (found through the new ``users.email_hash``), family names, payout account
holders, notification titles and bodies, and the names copied into notifications' data, the outbox
and the change log. Every existing row is sealed here, with the keys the server passes in
(``server.db.migrate.upgrade(cipher=…)``). On PostgreSQL the sealed columns become ``TEXT`` (a
sealed value is longer than the plain one's limit); SQLite does not enforce lengths.

Revision ID: e7f8a9b0c1d2
Revises: d5e6f7a8b9c1
Create Date: 2026-12-08 04:00:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.sealed import Sealed, SealedJSON, bind_cipher, lookup_hashes

revision: str = 'e7f8a9b0c1d2'
down_revision: str | None = 'd5e6f7a8b9c1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

contract = (
    "the previous release reads names and e-mails in plain text and finds users by users.email: once "
    "this runs, its sign-ins by e-mail fail and it shows sealed names. Not a blue-green step: stop the "
    "previous release, upgrade, start this one"
)

_TEXT = {  # table: (primary key, {column: plain length})
    'users': ('id', {'display_name': 60, 'email': 254}),
    'families': ('id', {'name': 100}),
    'bank_accounts': ('id', {'holder': 60}),
    'notifications': ('id', {'title': 200, 'body': 500}),
}
_DOCS = {'notifications': ('id', 'data'), 'outbox': ('id', 'payload'), 'changelog': ('server_seq', 'data')}


def _table(name: str, key: str, columns: list[sa.Column]) -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column(key, primary_key=True), *columns)


def upgrade() -> None:
    op.add_column('users', sa.Column('email_hash', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_users_email_hash'), 'users', ['email_hash'], unique=True)
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for table, (_, columns) in _TEXT.items():
            for column, length in columns.items():
                op.alter_column(table, column, existing_type=sa.String(length=length), type_=sa.Text())
    cipher = op.get_context().config.attributes.get('data_cipher')
    if cipher is None:
        rows = sum(bind.scalar(sa.text(f'SELECT count(*) FROM {t}')) or 0 for t in ('users', 'families'))
        if rows:
            raise RuntimeError('sealing names and e-mails needs the data keys: upgrade through yongdon')
        return
    bind_cipher(bind.engine, cipher)
    for name, (key, columns) in _TEXT.items():
        table = _table(name, key, [sa.Column(c, Sealed(f'{name}.{c}', n)) for c, n in columns.items()])
        _reseal(bind, table, key, list(columns))
    for name, (key, column) in _DOCS.items():
        table = _table(name, key, [sa.Column(column, SealedJSON(f'{name}.{column}'))])
        _reseal(bind, table, key, [column])
    users = sa.table('users', sa.column('id'), sa.column('email_hash'))
    emails = _table('users', 'id', [sa.Column('email', Sealed('users.email', 254))])
    hashed = [
        {'_id': row.id, 'email_hash': lookup_hashes(cipher, row.email, current_only=True)[0]}
        for row in bind.execute(sa.select(emails.c.id, emails.c.email).where(emails.c.email.is_not(None)))
    ]
    if hashed:
        bind.execute(
            sa.update(users).where(users.c.id == sa.bindparam('_id')).values(email_hash=sa.bindparam('email_hash')),
            hashed,
        )


def _reseal(bind: sa.Connection, table: sa.Table, key: str, columns: list[str]) -> None:
    """Read every row (plain or sealed: both open) and write it back sealed."""
    rows = [
        {'_key': row[0], **{f'_v_{c}': row[i + 1] for i, c in enumerate(columns)}}
        for row in bind.execute(sa.select(table.c[key], *(table.c[c] for c in columns)))
    ]
    if rows:
        statement = (
            sa.update(table)
            .where(table.c[key] == sa.bindparam('_key'))
            .values({c: sa.bindparam(f'_v_{c}', type_=table.c[c].type) for c in columns})
        )
        bind.execute(statement, rows)


def downgrade() -> None:
    op.drop_index(op.f('ix_users_email_hash'), table_name='users')
    op.drop_column('users', 'email_hash')

"""Schema migrations (Alembic) for both backends: upgrade to head, and where the database stands.

**Expand, then contract.** Every migration must leave the schema usable by the code of the revision
before it, so that during an upgrade the old processes keep serving while the new ones start:
add tables, nullable columns (or columns with a server default) and indexes; never drop, rename or
tighten something the previous release still reads or writes. Dropping what the code stopped using
is a later migration's job, once no process of the release that used it runs (a *contract* step,
which names the release that stopped using the object in its module's ``contract`` string).
``tests/server/test_migration_policy.py`` checks each new migration for this.

To let the previous release tell "one step ahead" from "somewhere I do not know", every upgrade
records each revision's parent in ``server_meta`` (``schema_parent:<revision>``): code that finds
the database at a revision it does not have can still see that its parent is its own head.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from .engine import make_private

if TYPE_CHECKING:
    from ..payment.crypto import FieldCipher

__all__ = [
    "MIGRATIONS_DIR",
    "SchemaAhead",
    "SchemaState",
    "alembic_config",
    "at_head",
    "head_revisions",
    "schema_state",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 0x59_6F_6E_67  # "Yong": one advisory-lock key for schema changes
_PARENT = "schema_parent:"


class SchemaState(enum.StrEnum):
    """Where the database's schema stands against this code's migrations."""

    EMPTY = "empty"  # no schema yet
    BEHIND = "behind"  # an older revision this code knows: upgrade brings it to head
    AT_HEAD = "at head"
    ONE_AHEAD = "one step ahead"  # migrated by the next release: this code still runs on it
    AHEAD = "ahead"  # a revision this code cannot place: refuse to serve


class SchemaAhead(RuntimeError):
    """The database was migrated by a release more than one step newer than this code."""


def alembic_config(database_url: str) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a '%' in a password
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def upgrade(database_url: str, revision: str = "head", *, cipher: FieldCipher | None = None) -> None:
    """Bring the database at ``database_url`` to ``revision`` (creating every table on a new one).

    A database one step ahead (the next release migrated it while this one still runs) is left as
    it is; one further ahead raises :class:`SchemaAhead`. On PostgreSQL several server processes may
    start at once: an advisory lock lets one migrate while the others wait, then find the schema at
    head. (SQLite serves one process.)

    ``cipher`` (the server's data keys) seals personal fields a migration finds in plain text
    (``seal_personal_fields``); without it such a migration refuses to run on a database with rows.
    """
    make_private(database_url)  # before SQLite creates the file with the process's umask
    config = alembic_config(database_url)
    engine = create_engine(database_url, poolclass=NullPool, hide_parameters=True)
    try:
        with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
                connection.commit()
            try:
                config.attributes["data_cipher"] = cipher
                _upgrade_on(connection, config, revision)
            finally:
                if postgres:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
                    connection.commit()
    finally:
        engine.dispose()


def _upgrade_on(connection: Connection, config: Config, revision: str) -> None:
    state = _state_on(connection, head_revisions())
    connection.commit()
    if state is SchemaState.AHEAD:
        raise SchemaAhead(
            "the database was migrated by a newer release than this one (more than one step ahead): "
            "run that release, or restore a backup made by this one"
        )
    if state is SchemaState.ONE_AHEAD:
        return
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
    connection.commit()
    _record_lineage(connection)
    connection.commit()


def _record_lineage(connection: Connection) -> None:
    """``schema_parent:<revision>`` = its parents, for every revision this code has (idempotent)."""
    rows = {
        f"{_PARENT}{rev.revision}": ",".join(_parents(rev.down_revision))
        for rev in _script().walk_revisions()
    }
    known = set(
        connection.execute(text("SELECT key FROM server_meta WHERE key LIKE 'schema_parent:%'")).scalars()
    )
    for key, value in rows.items():
        if key not in known:
            connection.execute(
                text("INSERT INTO server_meta (key, value) VALUES (:k, :v)"), {"k": key, "v": value}
            )


def _parents(down: str | Iterable[str] | None) -> list[str]:
    if down is None:
        return []
    return [down] if isinstance(down, str) else sorted(down)


def head_revisions() -> frozenset[str]:
    return frozenset(_script().get_heads())


def schema_state(engine: Engine, heads: frozenset[str] | None = None) -> SchemaState:
    """Where the database's schema stands against ``heads`` (this code's head revisions)."""
    with engine.connect() as connection:
        return _state_on(connection, heads if heads is not None else head_revisions())


def _state_on(connection: Connection, heads: frozenset[str]) -> SchemaState:
    current = frozenset(MigrationContext.configure(connection).get_current_heads())
    if not current:
        return SchemaState.EMPTY
    if current == heads:
        return SchemaState.AT_HEAD
    script = _script()
    unknown = {rev for rev in current if _lookup(script, rev) is None}
    if not unknown:
        return SchemaState.BEHIND
    parents = _recorded_parents(connection, unknown)
    # every revision we do not know must be a child of our head, and nothing else may lag behind
    one_ahead = all(parents.get(rev) and set(parents[rev]) <= heads for rev in unknown)
    return SchemaState.ONE_AHEAD if one_ahead and current - unknown <= heads else SchemaState.AHEAD


def _lookup(script: ScriptDirectory, revision: str) -> object | None:
    try:
        return script.get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for a revision it does not have
        return None


def _recorded_parents(connection: Connection, revisions: set[str]) -> dict[str, list[str]]:
    try:
        rows = connection.execute(
            text("SELECT key, value FROM server_meta WHERE key LIKE 'schema_parent:%'")
        ).all()
    except SQLAlchemyError:  # no server_meta: nothing recorded, so nothing can be placed
        connection.rollback()
        return {}
    found = {key.removeprefix(_PARENT): value.split(",") if value else [] for key, value in rows}
    return {rev: found[rev] for rev in revisions if rev in found}


def at_head(engine: Engine, heads: frozenset[str] | None = None) -> bool:
    """Whether the database's recorded revision is the code's head revision."""
    return schema_state(engine, heads) is SchemaState.AT_HEAD

"""Schema migrations (Alembic) for both backends: upgrade to head, and ask whether we are there."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

__all__ = ["MIGRATIONS_DIR", "alembic_config", "at_head", "head_revisions", "upgrade"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 0x59_6F_6E_67  # "Yong": one advisory-lock key for schema changes


def alembic_config(database_url: str) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a '%' in a password
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` to ``revision`` (creating every table on a new one).

    On PostgreSQL several server processes may start at once: an advisory lock lets one migrate while
    the others wait, then find the schema at head. (SQLite serves one process.)
    """
    config = alembic_config(database_url)
    if not database_url.startswith("postgresql"):
        command.upgrade(config, revision)
        return
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
            connection.commit()
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                connection.commit()
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
                connection.commit()
    finally:
        engine.dispose()


def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def at_head(engine: Engine, heads: frozenset[str] | None = None) -> bool:
    """Whether the database's recorded revision is the code's head revision."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return frozenset(current) == (heads if heads is not None else head_revisions())

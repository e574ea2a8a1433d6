"""Alembic environment: the models' metadata, batch mode for SQLite's limited ALTER TABLE."""

from __future__ import annotations

import re
from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from server.db import (
    Base,
    models,  # noqa: F401  (registers every table on Base.metadata)
)

config = context.config
target_metadata = Base.metadata

# PostgreSQL's yearly partitions of market_bars, made by the server when it first stores bars of a
# year (server.market.history.ensure_partitions): runtime data layout, not schema drift
_BAR_PARTITION = re.compile(r"market_bars_y\d{4}")


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Autogenerate compares everything except the bar partitions (tables and their indexes)."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not (reflected and compare_to is None and table and _BAR_PARTITION.fullmatch(table))


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(
        config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool, hide_parameters=True
    )
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_online()

"""The database handle's life cycle: disposing it leaves no connection open behind."""

from __future__ import annotations

import gc

import pytest

from server.db import Database


@pytest.mark.postgres
def test_a_connection_held_across_dispose_is_closed_when_given_back(pg_url: str) -> None:
    """A background pass that outlives its stop holds a connection while the app disposes the
    database; given back, it must be closed then, not left open for the garbage collector (psycopg's
    ResourceWarning from ``BaseConnection.__del__``, at whatever test happens to be running)."""
    db = Database(pg_url)
    with db.engine.connect() as held:
        raw = held.connection.dbapi_connection
        with db.engine.connect() as idle:
            idle_raw = idle.connection.dbapi_connection
        db.dispose()
        assert idle_raw is not None and idle_raw.closed  # an idle one closes at once
        assert raw is not None and not raw.closed  # the holder is not cut off mid-work
    assert raw.closed
    with db.read() as session:  # the handle still works afterwards, on new connections
        assert session.connection().exec_driver_sql("SELECT 1").scalar() == 1
    db.dispose()


@pytest.mark.postgres
def test_a_handle_dropped_without_dispose_closes_its_connections(pg_url: str) -> None:
    """A handle a thread kept using after the last dispose, or one nobody disposed, closes its
    pool's connections when it is collected: none is left for psycopg's ``__del__`` to find open."""
    db = Database(pg_url)
    with db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
    del db, connection
    gc.collect()
    assert raw is not None and raw.closed

"""The database handle's life cycle: disposing it leaves no connection open behind."""

from __future__ import annotations

import gc
import threading
import time

import pytest
from sqlalchemy import text

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


def test_a_failing_read_record_does_not_fail_the_others_written_with_it(tmp_path) -> None:
    """Group commit (server.db.group): works that queued behind a write are written together; one
    that fails is written again alone and only its own caller sees the error."""
    db = Database(f"sqlite:///{tmp_path / 'group.db'}")
    with db.write() as session:
        session.execute(text("CREATE TABLE served (device TEXT PRIMARY KEY)"))
    busy, release = threading.Event(), threading.Event()
    threading.Thread(target=db.grouped.run, args=(lambda _s: (busy.set(), release.wait(10)),)).start()
    assert busy.wait(10)
    errors: dict[str, BaseException] = {}

    def record(device: str) -> None:
        def work(session) -> None:
            if device == "bad":
                raise ValueError("no such device")
            session.execute(text("INSERT INTO served VALUES (:d)"), {"d": device})

        try:
            db.grouped.run(work)
        except ValueError as error:
            errors[device] = error

    callers = [threading.Thread(target=record, args=(d,)) for d in ("a", "bad", "b")]
    for caller in callers:
        caller.start()
    time.sleep(0.3)  # all three queued behind the busy one
    release.set()
    for caller in callers:
        caller.join(10)
    assert list(errors) == ["bad"]
    with db.read() as session:
        assert sorted(session.execute(text("SELECT device FROM served")).scalars()) == ["a", "b"]
    db.dispose()

"""The database handle's life cycle: disposing it leaves no connection open behind."""

from __future__ import annotations

import gc
import threading
import time

import pytest
from sqlalchemy import text

from server.db import Database, engine
from server.db.group import GroupCommit


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


@pytest.mark.postgres
def test_a_connection_postgresql_dropped_while_idle_is_replaced_not_used(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL restarted, or ended an idle session: the pooled connection is dead though the
    pool does not know it. The next request must get a working connection, not a failed read."""
    db = Database(pg_url)
    admin = Database(pg_url)
    pid_of = "SELECT pg_backend_pid()"
    with db.read() as session:
        first = session.connection().exec_driver_sql(pid_of).scalar()
    with admin.one_read() as connection:  # waits (up to 5 s) until the backend is gone
        assert connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": first}).scalar()
    monkeypatch.setattr(engine, "PING_AFTER_IDLE_S", 0.0)  # it has sat idle long enough
    with db.read() as session:
        again = session.connection().exec_driver_sql(pid_of).scalar()
    assert again != first
    db.dispose()
    admin.dispose()


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


def test_a_group_commit_has_a_bound_and_each_caller_gets_its_own_result(tmp_path) -> None:
    """Group commit of ordered work (``Database.write_together``): works queued behind a write are
    written in groups of at most ``most``, in order of arrival; each caller gets its own result, and
    one that raises changes nothing and fails alone."""
    db = Database(f"sqlite:///{tmp_path / 'together.db'}")
    db.together = GroupCommit(db, most=2)
    with db.write() as session:
        session.execute(text("CREATE TABLE log (seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)"))
    busy, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=db.together.run, args=(lambda _s: (busy.set(), release.wait(10)),))
    holder.start()
    assert busy.wait(10)
    answers: dict[str, object] = {}

    def append(name: str) -> None:
        def work(session) -> int:
            seq = session.execute(text("INSERT INTO log (name) VALUES (:n) RETURNING seq"), {"n": name})
            if name == "bad":
                raise ValueError("refused after writing")
            return int(seq.scalar_one())

        try:
            answers[name] = db.write_together("family", work)
        except ValueError as error:
            answers[name] = error

    names = ["a", "b", "bad", "c", "d"]
    callers = [threading.Thread(target=append, args=(n,)) for n in names]
    for queued, caller in enumerate(callers, 1):  # one at a time, so that they queue in this order
        caller.start()
        deadline = time.monotonic() + 10
        while db.together.queued < queued and time.monotonic() < deadline:
            time.sleep(0.001)
    assert db.together.queued == len(names)
    release.set()
    for caller in [holder, *callers]:
        caller.join(10)
    assert isinstance(answers.pop("bad"), ValueError)
    with db.read() as session:
        logged = {name: seq for name, seq in session.execute(text("SELECT name, seq FROM log"))}
    assert answers == logged and sorted(logged, key=logged.__getitem__) == ["a", "b", "c", "d"]
    assert (db.together.groups, db.together.works) == (4, 6)  # the holder, then 2 + 2 + 1
    db.dispose()

"""The engine, sessions and the one way to write.

Every write goes through :meth:`Database.write`: one transaction, serialised per family. On SQLite
a process-wide lock plus ``BEGIN IMMEDIATE`` makes one writer at a time, so commit order equals
``server_seq`` order. On PostgreSQL the transaction takes the family row ``FOR UPDATE`` first, so a
family's change-log numbers are assigned and committed in the same order (a bare sequence would let a
slower transaction commit a lower number after a reader had moved past it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database", "TemporaryFailure"]


class TemporaryFailure(Exception):
    """The database is busy or unreachable right now; nothing was changed. Retry later (503)."""


def _is_temporary(error: OperationalError) -> bool:
    message = str(error.orig).lower() if error.orig else str(error).lower()
    return any(
        needle in message
        for needle in (
            "database is locked",
            "busy",
            "could not serialize",
            "deadlock",
            "connection",
            "timeout",
        )
    )


class Database:
    """One database (SQLite file or PostgreSQL) with a read path and a serialised write path."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate_when_writing)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write_lock = threading.Lock()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot (one transaction; WAL readers never block the writer)."""
        with self._sessions() as session:
            if not self.is_sqlite:
                session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self, family_id: str | None = None) -> Iterator[Session]:
        """One write transaction, committed on success and rolled back on any exception.

        ``family_id`` names the family whose change log the transaction extends (PostgreSQL locks it).
        Busy or lost connections surface as :class:`TemporaryFailure`.
        """
        lock = self._write_lock if self.is_sqlite else _NullLock()
        with lock:
            connection = self.engine.connect().execution_options(yongdon_write=True)
            session = self._sessions(bind=connection)
            try:
                if family_id is not None and not self.is_sqlite:
                    session.execute(
                        text("SELECT id FROM families WHERE id = :id FOR UPDATE"), {"id": family_id}
                    )
                yield session
                session.commit()
            except OperationalError as error:
                session.rollback()
                if _is_temporary(error):
                    raise TemporaryFailure(str(error.orig)) from error
                raise
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
                connection.close()

    def dispose(self) -> None:
        self.engine.dispose()


class _NullLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 would otherwise open transactions itself; we issue BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # payouts are real money: durable across power loss
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate_when_writing(connection: Any) -> None:
    # A writer takes the write lock at BEGIN, so it never fails halfway on a lock upgrade.
    writing = connection.get_execution_options().get("yongdon_write")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

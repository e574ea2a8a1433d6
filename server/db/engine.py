"""The engine, sessions and the one way to write.

Every write goes through :meth:`Database.write`: one transaction, serialised per family. On SQLite
a process-wide lock plus ``BEGIN IMMEDIATE`` makes one writer at a time, so commit order equals
``server_seq`` order; concurrent pushes share one transaction and one commit there, each in a
savepoint of its own (:meth:`Database.write_together`, ``server.db.group``). On PostgreSQL the
transaction takes the family row ``FOR UPDATE`` first, so a family's change-log numbers are assigned
and committed in the same order (a bare sequence would let a slower transaction commit a lower number
after a reader had moved past it).
"""

from __future__ import annotations

import os
import stat
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from sqlalchemy import Connection, Dialect, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import InvalidatePoolError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .copy import copy_inserts
from .group import GroupCommit
from .sealed import bind_cipher

if TYPE_CHECKING:
    from ..payment.crypto import FieldCipher

__all__ = ["Database", "TemporaryFailure", "WriteObserver", "make_private"]

T = TypeVar("T")
_GOT = "yongdon_write_got"  # when the write lock (and PostgreSQL's family row) was had

# (seconds waited for the write lock, seconds it was held): server.observability's metrics
WriteObserver = Callable[[float, float], None]


class TemporaryFailure(Exception):
    """The database is busy or unreachable right now; nothing was changed. Retry later (503)."""


def temporary(error: Exception) -> Exception:
    """``error``, or a :class:`TemporaryFailure` in its place when the database was busy or lost."""
    if isinstance(error, OperationalError) and _is_temporary(error):
        failure = TemporaryFailure(type(error.orig).__name__)
        failure.__cause__ = error
        return failure
    return error


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


def make_private(url: str) -> None:
    """A SQLite database readable by the server's user only (0600), also one made before this was so.

    A missing file is created empty with 0600 first: SQLite gives its ``-wal``, ``-shm`` and
    ``-journal`` files the mode of the database file. Anything else (PostgreSQL, memory) is left alone.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for name in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))):
        if name.exists() and stat.S_IMODE(name.stat().st_mode) & 0o077:
            name.chmod(0o600)


# PostgreSQL's read transaction: one snapshot for every statement, and no writes by mistake
_SNAPSHOT = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}


SQLITE_POOL = 40

PING_AFTER_IDLE_S = 1.0
"""A pooled PostgreSQL connection idle at least this long is pinged before it is handed out."""
_RETURNED = "yongdon_returned"  # when the connection went back to the pool (time.monotonic)


class Database:
    """One database (SQLite file or PostgreSQL) with a read path and a serialised write path."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 10, cipher: FieldCipher | None = None
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        make_private(url)
        # a statement's parameters are e-mails, password and PIN hashes, names: never in an error's text
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        # JSON columns are written with msgspec's encoder: the standard library's took a tenth of a
        # batched push of 500 trades on PostgreSQL (one document per trade, change-log row and
        # outcome), and on SQLite a twentieth of a single push's Python (a dozen documents)
        kwargs["json_serializer"] = _json_text
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
            # as many kept connections as request threads (anyio's 40): SQLAlchemy's default of 5
            # closed the rest on return, and each new one paid its pragmas again (4 % of a busy
            # evening's samples). A connection's page cache grows only as it is used.
            kwargs.update(pool_size=SQLITE_POOL, max_overflow=10)
        else:
            # no pool_pre_ping: it costs a round trip on every checkout (7 % of a single push in a
            # profile of bench c3, three checkouts a push); _ping_if_idle pings idle connections only
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
        self.engine: Engine = create_engine(url, **kwargs)
        _plain_savepoints(self.engine.dialect)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate_when_writing)
        else:
            copy_inserts(self.engine)  # a batched push's rows (server.db.copy)
            _ping_if_idle(self.engine)
        self.cipher = cipher  # names and e-mails at rest (server.db.sealed); without: read as stored
        if cipher is not None:
            bind_cipher(self.engine, cipher)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write_lock = threading.Lock()
        # a handle dropped without dispose (or used again after it, by a thread that outlived its
        # stop) closes its pool's connections when it is collected, not in psycopg's __del__
        weakref.finalize(self, self.engine.dispose)
        self.write_observers: list[WriteObserver] = []
        self.grouped = GroupCommit(self, most=None)  # the reads' small records (server.db.group)
        self.together = GroupCommit(self)  # concurrent pushes, one commit (write_together)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot (one transaction; WAL readers never block the writer)."""
        with self._sessions() as session:
            if not self.is_sqlite:
                # set on the connection, sent with its BEGIN: one round trip fewer than a SET TRANSACTION
                # (and put back when the connection returns to the pool)
                session.connection(execution_options=_SNAPSHOT)
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def read_rows(self) -> Iterator[Connection]:
        """:meth:`read`'s snapshot (one transaction, read-only) as a Core connection, for reads that
        load no ORM objects: no session to begin, no ORM statement handling or row loading (half a
        pull's time went there). ``Session(bind=connection)`` reads ORM objects in the same snapshot."""
        with self.engine.connect() as connection:
            if not self.is_sqlite:
                connection.execution_options(**_SNAPSHOT)  # sent with the first statement's BEGIN
            try:
                yield connection
            finally:
                connection.rollback()

    @contextmanager
    def one_read(self) -> Iterator[Connection]:
        """A connection for ONE read statement, run in a transaction of its own: no ``BEGIN``, no
        snapshot setting, no ORM session (the per-request bearer check). A second statement would see
        a different moment: use :meth:`read` for more than one.

        Each statement saved is a round trip to PostgreSQL, and on SQLite one more release and
        re-acquisition of the GIL, which under load waits behind every other thread."""
        options: dict[str, Any] = {"yongdon_autocommit": True}
        if not self.is_sqlite:
            options["isolation_level"] = "AUTOCOMMIT"  # psycopg sends no BEGIN; reset on return
        with self.engine.connect().execution_options(**options) as connection:
            yield connection

    @contextmanager
    def write(self, family_id: str | None = None) -> Iterator[Session]:
        """One write transaction, committed on success and rolled back on any exception.

        ``family_id`` names the family whose change log the transaction extends (PostgreSQL locks it).
        Busy or lost connections surface as :class:`TemporaryFailure`.
        """
        with self._locked(family_id) as connection:
            session = self._sessions(bind=connection)
            try:
                if family_id is not None and not self.is_sqlite:
                    session.execute(
                        text("SELECT id FROM families WHERE id = :id FOR UPDATE"), {"id": family_id}
                    )
                connection.info[_GOT] = time.perf_counter()
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def write_together(self, family_id: str, work: Callable[[Session], T]) -> T:
        """``work(session)`` in a write transaction of ``family_id``'s, as :meth:`write`; returns its
        result once committed. On SQLite the calls that arrive while one writes share the next
        transaction, each in a savepoint of its own (:class:`~server.db.group.GroupCommit`): one
        commit for all of them. A work that raises changes nothing and fails its own caller only."""
        if not self.is_sqlite:  # the family row lock serialises a family's writers already
            with self.write(family_id) as session:
                return work(session)
        return self.together.run(work)

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A write transaction's connection (SQLite: ``BEGIN IMMEDIATE`` under the write lock),
        committed on success; the group commit's (see :meth:`joined_session`)."""
        with self._locked(None) as connection:
            connection.begin()
            connection.info[_GOT] = time.perf_counter()
            yield connection
            connection.commit()

    def joined_session(self, connection: Connection) -> Session:
        """A session of its own over ``connection``'s open transaction, inside a SAVEPOINT: its
        commit releases the savepoint, its rollback (or close) undoes its work alone."""
        return self._sessions(bind=connection, join_transaction_mode="create_savepoint")

    @contextmanager
    def _locked(self, family_id: str | None) -> Iterator[Connection]:
        """The write lock (SQLite) and a write connection, rolled back on any exception, closed, and
        told to the write observers; busy or lost connections surface as :class:`TemporaryFailure`."""
        lock = self._write_lock if self.is_sqlite else _NullLock()
        asked = time.perf_counter()
        with lock:
            connection = self.engine.connect().execution_options(yongdon_write=True)
            try:
                yield connection
            except BaseException as error:
                connection.rollback()
                failure = temporary(error) if isinstance(error, Exception) else error
                if failure is error:
                    raise
                raise failure from error
            finally:
                got = connection.info.pop(_GOT, asked)
                connection.close()
                for observe in self.write_observers:
                    observe(got - asked, time.perf_counter() - got)

    def dispose(self) -> None:
        """Close every connection: the idle ones now, one still held (a background pass that outlived
        its stop, a request finishing late) when it is given back.

        SQLAlchemy's dispose closes only idle connections; a held one would go back to a pool nobody
        uses and stay open until the garbage collector found it (psycopg then warns from ``__del__``).
        """
        retired = self.engine.pool
        self.engine.dispose()
        event.listen(retired, "checkin", _close_on_return)


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _ping_if_idle(engine: Engine) -> None:
    """Ping a connection that sat in the pool :data:`PING_AFTER_IDLE_S` or longer before handing it
    out, and replace it (and every connection pooled before now) when the ping fails.

    What ``pool_pre_ping`` guards against, a connection PostgreSQL dropped (a restart, a terminated
    backend, an idle timeout), happens to connections that sat idle; one used a moment ago is alive
    but for a restart in that moment, and then the first statement's failure invalidates the pool
    (SQLAlchemy's handling of a lost connection) and the request fails once, as a busy one would.
    """
    dialect = engine.dialect

    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_RETURNED)  # none: new (a reconnection clears the record's info)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # the pool reconnects and retries the checkout (as its pre-ping does on a failed ping)
            raise InvalidatePoolError(f"ping after idle failed: {type(error).__name__}") from error

    event.listen(engine.pool, "checkin", returned)
    event.listen(engine.pool, "checkout", checkout)


def _plain_savepoints(dialect: Dialect) -> None:
    """Send savepoints as the SQL they are. SQLAlchemy compiles each savepoint clause anew (it has no
    cache key): a SAVEPOINT and its RELEASE cost three times the statements themselves, and every
    push pays them (its work in a group commit is one; a mutation decided on its own is another).
    The names are SQLAlchemy's own (``sa_savepoint_<n>``), which need no quoting."""

    def savepoint(connection: Connection, name: str) -> None:
        connection.exec_driver_sql(f"SAVEPOINT {name}")

    def release(connection: Connection, name: str) -> None:
        connection.exec_driver_sql(f"RELEASE SAVEPOINT {name}")

    def rollback_to(connection: Connection, name: str) -> None:
        connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {name}")

    dialect.do_savepoint = savepoint  # type: ignore[method-assign]
    dialect.do_release_savepoint = release  # type: ignore[method-assign]
    dialect.do_rollback_to_savepoint = rollback_to  # type: ignore[method-assign]


def _close_on_return(dbapi_connection: Any, _record: Any) -> None:
    if dbapi_connection is not None:
        dbapi_connection.close()


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
    options = connection.get_execution_options()
    if options.get("yongdon_autocommit"):
        return  # Database.one_read: the statement is its own (implicit) transaction
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("yongdon_write") else "BEGIN")

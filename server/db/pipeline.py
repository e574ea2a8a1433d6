"""PostgreSQL: statements sent together, their results awaited once (psycopg's pipeline mode).

A single push writes a handful of rows into eight tables under its family's lock; sent one by one,
each statement is a round trip, and on a busy server each wait is also a release of the GIL that
the lock holder must win back behind the other request threads. In a pipeline the statements go
out together and the connection waits once, at the end of the block.

Inside the block a statement's result is not there yet: nothing may read rows or row counts until
the block ends (:func:`pipelined` runs the ``checks`` it collected then), and ``COPY`` is not
allowed. A statement the database refuses fails the block's end, as SQLAlchemy's own error (an
``IntegrityError``, an ``OperationalError``), so callers handle it as they would the statement's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

__all__ = ["pipelined"]


@contextmanager
def pipelined(connection: Connection) -> Iterator[list[Callable[[], None]]]:
    """The statements ``connection`` executes in the block, pipelined; yields a list of checks to
    run once their results are in (after the block)."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    error_type = connection.dialect.loaded_dbapi.Error
    checks: list[Callable[[], None]] = []
    try:
        with raw.pipeline():  # type: ignore[attr-defined]
            yield checks
    except error_type as error:  # raised by the pipeline's sync, outside any SQLAlchemy call
        raise DBAPIError.instance(None, None, error, error_type) from error
    for check in checks:
        check()

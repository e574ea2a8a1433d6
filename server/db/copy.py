"""PostgreSQL: a Core ``INSERT`` of many rows sent as one ``COPY … FROM STDIN`` instead.

A batched push inserts thousands of plain rows (ledger entries, change-log rows, outbox events,
outcomes). psycopg's pipelined ``executemany`` still runs one ``INSERT`` per row on the server, and
SQLAlchemy's multi-row ``VALUES`` builds and parses a new statement of a thousand rows each time;
``COPY`` streams the rows into one statement (bench c1: about half the server's and PostgreSQL's
time per row, measured table by table).

Only the transfer changes: the statement is executed through SQLAlchemy as before, so the columns'
types still prepare the values (sealed JSON, UTC times), ``after_execute`` listeners (the live
channel's change-log rows) see the rows, and a refused row (a foreign key, a CHECK) fails the
statement, and the transaction, as the ``INSERT`` would. Constraints and triggers apply to
``COPY`` as to ``INSERT``; defaults fill the columns not given (``id`` sequences).

A statement opts in with the execution option :data:`COPY_ROWS`; anything it cannot copy (not an
``INSERT`` into a plain table, a ``RETURNING``, parameters that are not the table's columns) runs as
an ordinary ``executemany``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.sql.dml import Insert

__all__ = ["COPY_ROWS", "copy_inserts"]

COPY_ROWS = "yongdon_copy_rows"
"""Execution option: send this ``executemany`` ``INSERT`` as ``COPY`` (PostgreSQL only)."""


def copy_inserts(engine: Engine) -> None:
    """Let ``engine`` (PostgreSQL, psycopg) send :data:`COPY_ROWS` inserts as ``COPY``."""
    event.listen(engine, "do_executemany", _copy)


def _copy(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    if not context.execution_options.get(COPY_ROWS) or not parameters:
        return False
    compiled = context.compiled
    insert = getattr(compiled, "statement", None)
    if (
        not isinstance(insert, Insert)
        or insert._returning
        or insert.select is not None
        or compiled.escaped_bind_names
    ):
        return False
    table = insert.table
    names = list(parameters[0])
    if not all(name in table.c and table.c[name].name == name for name in names):
        return False
    preparer = context.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(name) for name in names)
    with cursor.copy(f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN") as copy:
        for row in parameters:
            copy.write_row([row[name] for name in names])
    return True

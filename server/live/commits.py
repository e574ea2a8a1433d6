"""Turning committed change-log rows into hub events, whatever code path wrote them.

Every write that a device must pull (a sync push, a REST mutation, a delivered notification) appends
to ``changelog`` through the engine, so the engine is the one place that sees them all. Rows are
collected per connection as they are inserted, dropped with a rolled-back transaction or savepoint
(or a commit the database refused), and published only when the connection goes back to the pool
after a commit: a device poked earlier could pull before the rows are visible and miss them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.sql.dml import Insert

from ..db.models import ChangeLog
from ..notify.inbox import ENTITY as NOTIFICATION
from ..notify.inbox import PLAIN_ROWS
from .hub import FamilyEvent

__all__ = ["publish_commits"]

_LOG = ChangeLog.__table__
_PENDING = "yongdon_live_pending"  # rows of the open transaction
_MARKS = "yongdon_live_savepoints"  # len(pending) at each open savepoint
_COMMITTING = "yongdon_live_committing"  # rows of a commit under way: kept only once it succeeded
_COMMITTED = "yongdon_live_committed"  # rows committed, published at check-in


def publish_commits(engine: Engine, publish: Callable[[FamilyEvent], None]) -> None:
    """Call ``publish`` with one :class:`FamilyEvent` per family after each commit that logged changes."""

    def inserted(conn: Any, clause: Any, multiparams: Any, params: Any, options: Any, _result: Any) -> None:
        # by name: the dispatcher writes through a copy of the table whose rows it sealed itself
        if isinstance(clause, Insert) and clause.table.name == _LOG.name:
            rows = options.get(PLAIN_ROWS) or list(multiparams) or ([params] if params else [])
            conn.info.setdefault(_PENDING, []).extend(rows)

    def savepoint(conn: Any, name: str) -> None:
        conn.info.setdefault(_MARKS, []).append(len(conn.info.get(_PENDING, [])))

    def release(conn: Any, name: str, _: Any) -> None:
        marks = conn.info.get(_MARKS)
        if marks:
            marks.pop()

    def rollback_savepoint(conn: Any, name: str, _: Any) -> None:
        marks = conn.info.get(_MARKS)
        if marks:
            del conn.info.get(_PENDING, [])[marks.pop() :]

    def commit(conn: Any) -> None:  # told before the database commits: it may still refuse
        rows = conn.info.pop(_PENDING, None)
        conn.info.pop(_MARKS, None)
        if rows:
            conn.info[_COMMITTING] = rows

    def failed(context: Any) -> None:  # a commit the database refused fails here, and nothing else
        if context.connection is not None:  # can happen between the commit and the next begin
            context.connection.info.pop(_COMMITTING, None)

    def committed(info: Any) -> None:
        rows = info.pop(_COMMITTING, None)
        if rows:
            info.setdefault(_COMMITTED, []).extend(rows)

    def begin(conn: Any) -> None:
        committed(conn.info)

    def rollback(conn: Any) -> None:
        for key in (_PENDING, _MARKS, _COMMITTING, _COMMITTED):
            conn.info.pop(key, None)

    def checkin(_dbapi: Any, record: Any) -> None:
        if record is None:
            return
        record.info.pop(_PENDING, None)  # a transaction abandoned without commit or rollback event
        record.info.pop(_MARKS, None)
        committed(record.info)
        rows = record.info.pop(_COMMITTED, None)
        if rows:
            for item in events(rows):
                publish(item)

    event.listen(engine, "after_execute", inserted)
    event.listen(engine, "savepoint", savepoint)
    event.listen(engine, "release_savepoint", release)
    event.listen(engine, "rollback_savepoint", rollback_savepoint)
    event.listen(engine, "commit", commit)
    event.listen(engine, "handle_error", failed)
    event.listen(engine, "begin", begin)
    event.listen(engine, "rollback", rollback)
    event.listen(engine, "checkin", checkin)


def events(rows: list[Mapping[str, Any]]) -> list[FamilyEvent]:
    """Group change-log rows by family; a fresh inbox item (unread) is also a notification."""
    by_family: dict[str, tuple[list[str | None], list[dict[str, Any]]]] = {}
    for row in rows:
        family = row.get("family_id")
        if not isinstance(family, str):
            continue
        audiences, notifications = by_family.setdefault(family, ([], []))
        if row.get("audience") not in audiences:
            audiences.append(row.get("audience"))
        data = row.get("data")
        if row.get("entity") == NOTIFICATION and isinstance(data, dict) and data.get("read_at") is None:
            notifications.append(data)
    return [
        FamilyEvent(family, audiences, notifications)
        for family, (audiences, notifications) in by_family.items()
    ]

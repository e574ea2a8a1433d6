"""Group commit: the writes that arrive while another is being written share the next transaction.

Two users (``Database.grouped`` and ``Database.write_together``):

- The small writes that reads make (which quotes a device was served, when it was last seen). Under
  a busy evening most requests are reads, and each read that serves something new must commit its
  record before it answers (the fill rule reads it, whichever process takes the device's next push).
  One write transaction per read made every reader queue on SQLite's single write lock and pay its
  own ``BEGIN IMMEDIATE`` and commit.
- Concurrent pushes on SQLite, whose commit (``synchronous=FULL``) was a fixed cost each paid alone.

Each caller still returns only after its own work has committed, and a work that fails is rolled
back to its own savepoint without failing the others.
"""

from __future__ import annotations

import contextvars
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from . import engine

if TYPE_CHECKING:
    from .engine import Database

__all__ = ["GROUP_MOST", "GroupCommit"]

T = TypeVar("T")

GROUP_MOST = 16
"""At most this many pushes in one group commit: the last of them waits for all the others' work.
The reads' records take microseconds each and have no bound."""


@dataclass
class _Joined:
    run: Callable[[Session], Any]
    context: contextvars.Context
    done: bool = False
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    """``run(work)`` returns ``work(session)``'s result once it has committed, in a transaction it
    may share with the calls that arrived while another was writing.

    The group's works run one after the other in their order of arrival (a push extends its family's
    change log), each in a session of its own (its own identity map) over one connection, inside a
    SAVEPOINT. A work that raises is rolled back to its savepoint and its caller gets its error; the
    others are unaffected. One commit for the group, and every caller returns only after it. A failed
    commit fails every caller of the group (nothing of it was committed): a temporary one with
    :class:`TemporaryFailure` each, any other by running each work again alone.
    """

    def __init__(self, db: Database, *, most: int | None = GROUP_MOST) -> None:
        self._db, self._most = db, most
        self._ready = threading.Condition()
        self._queue: list[_Joined] = []
        self._writing = False
        self.groups = self.works = 0  # transactions committed or tried, and the works they held

    @property
    def queued(self) -> int:
        """Works waiting for the next group."""
        with self._ready:
            return len(self._queue)

    def run(self, work: Callable[[Session], T]) -> T:
        mine = _Joined(work, contextvars.copy_context())
        with self._ready:
            self._queue.append(mine)
        while not mine.done:
            with self._ready:
                while self._writing and not mine.done:
                    self._ready.wait()
                if mine.done:
                    break
                # no group under way: this caller writes the oldest queued (perhaps not its own yet)
                self._writing = True
                most = len(self._queue) if self._most is None else self._most
                batch, self._queue = self._queue[:most], self._queue[most:]
            try:
                self._write(batch)
            finally:
                with self._ready:
                    self._writing = False
                    for item in batch:
                        item.done = True
                    self._ready.notify_all()
        if mine.error is not None:
            raise mine.error
        return cast(T, mine.result)

    def _write(self, batch: list[_Joined]) -> None:
        self.groups += 1
        self.works += len(batch)
        try:
            with self._db.write_connection() as connection:
                for item in batch:
                    self._one(connection, item)
            return
        except engine.TemporaryFailure as error:
            for item in batch:  # each caller its own exception: one object raised in many threads
                item.error = engine.TemporaryFailure(*error.args)  # would gather all their tracebacks
                item.error.__cause__ = error
            return
        except Exception as error:
            if len(batch) == 1:
                batch[0].error = error
                return
        except BaseException as error:  # the leader's thread is interrupted: nothing was committed
            for item in batch:
                item.error = engine.TemporaryFailure(type(error).__name__)
            raise
        for item in batch:  # the group's commit failed for a reason of its own: each again, alone
            item.error = item.result = None
            try:
                with self._db.write_connection() as connection:
                    self._one(connection, item)
            except Exception as error:
                item.error = error

    def _one(self, connection: Connection, item: _Joined) -> None:
        with self._db.joined_session(connection) as session:
            try:
                item.result = item.context.run(item.run, session)
                session.commit()  # releases the work's savepoint
            except Exception as error:
                session.rollback()  # to the work's savepoint: the others' work stays
                _let_go(error)
                item.error = engine.temporary(error)


def _let_go(error: BaseException | None) -> None:
    """Drop the variables of the failed work's finished frames: a result it left unread (an
    ``INSERT ... RETURNING`` it raised after) keeps its SQLite statement running, and SQLite refuses
    to commit the group's transaction while one is."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if error.__traceback__ is not None:
            traceback.clear_frames(error.__traceback__)
        error = error.__cause__ or error.__context__

"""Group commit for the small writes that reads make (which quotes a device was served, when it was
last seen).

Under a busy evening most requests are reads, and each read that serves something new must commit
its record before it answers (the fill rule reads it, whichever process takes the device's next
push). One write transaction per read made every reader queue on SQLite's single write lock and pay
its own ``BEGIN IMMEDIATE`` and commit. Here the readers that arrive while a write is under way are
written together by the next one: one transaction for all of them, and each caller still returns
only after its own work has committed.

Only for work that is idempotent and commutes with the other callers' work (upserts that move a
record forward): the order within a group is not the order of arrival.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from .engine import Database

__all__ = ["GroupWrite"]


@dataclass
class _Work:
    run: Callable[[Session], None]
    done: bool = False
    error: BaseException | None = None


class GroupWrite:
    """``run(work)`` returns once ``work(session)`` has committed, in a transaction it may share."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._ready = threading.Condition()
        self._queue: list[_Work] = []
        self._writing = False

    def run(self, work: Callable[[Session], None]) -> None:
        mine = _Work(work)
        with self._ready:
            self._queue.append(mine)
            while self._writing and not mine.done:
                self._ready.wait()
            if not mine.done:  # no write under way: this caller writes everything queued so far
                self._writing = True
                batch, self._queue = self._queue, []
        if not mine.done:
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

    def _write(self, batch: list[_Work]) -> None:
        try:
            with self._db.write() as session:
                for item in batch:
                    item.run(session)
            return
        except BaseException as error:
            if len(batch) == 1 or not isinstance(error, Exception):
                for item in batch:
                    item.error = error
                return
        # one caller's failure must not fail the others': each again, alone
        for item in batch:
            try:
                with self._db.write() as session:
                    item.run(session)
            except Exception as error:
                item.error = error

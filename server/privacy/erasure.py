"""Erasing a child or a whole family: asked for by a parent, run by a background job after the
cooling-off, unless a parent cancelled it.

When it runs, every row of :data:`~.holdings.HOLDINGS` that belongs to the subject is deleted in one
transaction: the people, their devices (so no device can push or pull again) and their sessions (so
every token they hold is refused on its next request: the middleware finds no user, device or
session). The operator's audit log gets one entry that says an erasure happened and nothing else —
no family, no child, no name — and loses every earlier entry naming the family or the child.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sync.errors import Code

from ..background import Periodic
from ..db import Database
from ..db.models import Erasure, OperatorAction, User
from ..db.models.privacy import PARENT, RETENTION
from ..errors import DomainError
from ..ids import new_id
from ..logs import get_logger
from .activity import last_active
from .holdings import HOLDINGS, Subject

__all__ = ["Eraser", "cancel", "erase", "pending", "request", "run_due", "withdrawn"]

ERASED = "erased"  # what an audit entry that named an erased family or child names instead
AUDIT_ACTOR = "family"  # the audit log's actor for an erasure: a parent asked, no operator acted
RETENTION_ACTOR = "retention"  # … and for one the retention job scheduled (the family was inactive)


def request(
    session: Session, subject: Subject, parent_id: str, now: datetime, cooling_off: timedelta
) -> tuple[Erasure, bool]:
    """The subject's pending erasure — a new one due after ``cooling_off``, or the one already asked
    for — and whether a parent asked for it now (not before).

    A retention erasure pending for the family becomes this parent's (a parent's request is activity,
    which would call a retention erasure off), due after ``cooling_off`` as any other.
    """
    found = _find(session, subject)
    if found is not None and found.reason == RETENTION:
        found.reason, found.requested_by, found.requested_at = PARENT, parent_id, now
        found.due_at = now + cooling_off
        return found, True
    if found is not None:
        return found, False
    erasure = Erasure(
        id=new_id(),
        family_id=subject.family_id,
        child_id=subject.child_id,
        requested_by=parent_id,
        requested_at=now,
        due_at=now + cooling_off,
        reason=PARENT,
    )
    session.add(erasure)
    session.flush()
    return erasure, True


def cancel(session: Session, subject: Subject) -> None:
    """Call the subject's pending erasure off (``NOT_FOUND`` when none is pending)."""
    found = _find(session, subject)
    if found is None:
        raise DomainError(Code.NOT_FOUND, "no erasure is pending")
    session.delete(found)


def pending(session: Session, family_id: str) -> list[Erasure]:
    """The family's pending erasures, soonest first (not a retention erasure the family's activity
    since the notice has called off: the retention job deletes it at its next pass)."""
    query = select(Erasure).where(Erasure.family_id == family_id).order_by(Erasure.due_at, Erasure.id)
    return [e for e in session.scalars(query) if not withdrawn(session, e)]


def withdrawn(session: Session, erasure: Erasure) -> bool:
    """A retention erasure whose family was active after the notice: it will not run."""
    return erasure.reason == RETENTION and last_active(session, erasure.family_id) > erasure.requested_at


def _find(session: Session, subject: Subject) -> Erasure | None:
    query = select(Erasure).where(Erasure.family_id == subject.family_id)
    if subject.child_id is None:
        query = query.where(Erasure.child_id.is_(None))
    else:
        query = query.where(Erasure.child_id == subject.child_id)
    return session.scalars(query).first()


def erase(session: Session, subject: Subject, now: datetime, actor: str = AUDIT_ACTOR) -> None:
    """Delete every row of ``subject`` (see the module's docstring), in the caller's transaction.

    ``actor`` is who the audit entry names: ``family`` (a parent asked) or ``retention``.
    """
    whole = subject.child_id is None
    for holding in HOLDINGS:
        if whole or holding.erase_child:
            session.execute(delete(holding.sa_table).where(holding.rows_of(subject)))
    named = [subject.family_id] if whole else [subject.child_id]
    session.execute(update(OperatorAction).where(OperatorAction.target.in_(named)).values(target=ERASED))
    action = "erase-family" if whole else "erase-child"
    session.add(OperatorAction(at=now, actor=actor, action=action, target="", outcome="ok"))


def run_due(db: Database, now: datetime) -> int:
    """Run every erasure whose cooling-off (or retention grace) is over; the number run.

    A retention erasure whose family was active again after the notice is called off instead.
    """
    with db.read() as session:
        due = [
            Subject(e.family_id, e.child_id)
            for e in session.scalars(select(Erasure).where(Erasure.due_at <= now).order_by(Erasure.due_at))
        ]
    done = 0
    for subject in due:
        with db.write(subject.family_id) as session:
            still = _find(session, subject)  # a parent may have cancelled it since
            if still is None or still.due_at > now:
                continue
            if withdrawn(session, still):
                session.delete(still)  # someone came back after the notice: the family stays
                continue
            if subject.child_id is not None and session.get(User, subject.child_id) is None:
                session.delete(still)
                continue
            erase(session, subject, now, RETENTION_ACTOR if still.reason == RETENTION else AUDIT_ACTOR)
        done += 1
    return done


class Eraser(Periodic):
    """The background job that runs due erasures (on the server's clock, so a test can move it)."""

    thread_name = "yongdon-eraser"

    def __init__(self, db: Database, clock: Callable[[], datetime], interval: float) -> None:
        super().__init__()
        self.db, self.clock, self.interval = db, clock, interval

    def run_once(self) -> int:
        done = run_due(self.db, self.clock())
        if done:
            get_logger("yongdon.jobs").info("erasures run", job=self.thread_name, count=done)
        return done

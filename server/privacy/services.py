"""A parent's data rights over the family: export it, erase a child or all of it, call an erasure off.

Who may: a parent of the family, stepped up (password in the last 5 minutes), decided by the
gateway's table (``server.gateway.accounts``: ``erasure.request``, ``erasure.cancel``, and for the
reads ``data.export``, ``erasure.list``). A child id outside the caller's family is ``NOT_FOUND``
whatever the caller's role (checked first, as everywhere), then a child is ``FORBIDDEN`` and a
parent without step-up ``STEP_UP_REQUIRED``. Changes run through the caller's
:class:`~server.gateway.Runner` (its clock, its family's write transaction).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sync.errors import Code

from ..db import Database
from ..db.models import Erasure, User
from ..errors import DomainError
from ..gateway import Runner, family_of
from ..gateway.accounts import AccountChange, check
from ..notify.alerts import security_alert
from ..principal import Principal
from . import erasure
from .export import export_document, ledger_csv, zipped
from .holdings import Subject
from .schemas import ErasureOut, Erasures, ExportFormat

__all__ = ["Download", "cancel_erasure", "erasures", "export", "request_erasure"]

Download = tuple[bytes, str, str]
"""The file's content, its media type and its name."""


def _subject(
    session: Session, principal: Principal, name: AccountChange, child_id: str | None, now: datetime
) -> Subject:
    check(session, principal, name, child_id, now)  # 404, then 403, then step-up
    assert principal.family_id is not None
    return Subject(principal.family_id, child_id)


def export(
    db: Database, principal: Principal, child_id: str | None, fmt: ExportFormat, now: datetime
) -> Download:
    """The family's data (or one child's) as JSON, the ledger as CSV, or both in a zip."""
    with db.read() as session:
        subject = _subject(session, principal, "data.export", child_id, now)
        stem = f"yongdon-{'family' if child_id is None else 'child'}-{now:%Y%m%d}"
        if fmt == "csv":
            return (
                ledger_csv(session, subject).encode("utf-8"),
                "text/csv; charset=utf-8",
                f"{stem}-ledger.csv",
            )
        document = json.dumps(export_document(session, subject, now), ensure_ascii=False, indent=1).encode()
        if fmt == "json":
            return document, "application/json", f"{stem}.json"
        return zipped(document, ledger_csv(session, subject)), "application/zip", f"{stem}.zip"


def _out(row: Erasure) -> ErasureOut:
    return ErasureOut(
        erasure_id=row.id,
        child_id=row.child_id,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        due_at=row.due_at,
        reason=row.reason,
    )


def request_erasure(
    runner: Runner, child_id: str | None, confirm: bool, cooling_off: timedelta
) -> ErasureOut:
    """Ask to erase a child (or the family) after ``cooling_off``; the same answer when already asked."""
    with runner.change("erasure.request", child_id) as call:
        if not confirm:
            raise DomainError(
                Code.INVALID_ARGS, "confirm the erasure", extra={"errors": [{"field": "confirm"}]}
            )
        subject = Subject(family_of(runner.principal), child_id)
        row, asked = erasure.request(call.session, subject, runner.principal.user_id, call.now, cooling_off)
        if asked:
            _tell_parents(call.session, runner.principal, child_id, "erasure", call.now, row.due_at)
        return _out(row)


def cancel_erasure(runner: Runner, child_id: str | None) -> None:
    """Call off the pending erasure of a child (or the family); ``NOT_FOUND`` when none is pending."""
    with runner.change("erasure.cancel", child_id) as call:
        erasure.cancel(call.session, Subject(family_of(runner.principal), child_id))
        _tell_parents(call.session, runner.principal, child_id, "erasure_cancelled", call.now)


def _tell_parents(
    session: Session,
    principal: Principal,
    child_id: str | None,
    kind: str,
    now: datetime,
    due: datetime | None = None,
) -> None:
    """Every parent hears that an erasure was asked for or called off (a security alert, so also the
    parent who did it): one parent alone must not be able to erase a child unseen by the other.

    The alert names neither the child nor its id, only "a child" or "the family": it outlives the
    child's erasure in the parents' inboxes, and an erased child must leave no trace.
    """
    parent = session.get(User, principal.user_id)
    if parent is None:
        return
    kind = f"{kind}_{'family' if child_id is None else 'child'}"
    security_alert(session, parent, kind, now, due=due.isoformat() if due else "")


def erasures(db: Database, principal: Principal, now: datetime) -> Erasures:
    """The family's pending erasures (a parent's; no step-up needed to see them)."""
    with db.read() as session:
        check(session, principal, "erasure.list", None, now)
        assert principal.family_id is not None
        return Erasures(erasures=[_out(row) for row in erasure.pending(session, principal.family_id)])

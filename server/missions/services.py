"""Parent missions on the server: set, listed and called off (completion: ``.completion``).

**Why the app reads missions over REST** (``GET /api/family/children/{id}/missions``) rather than
the pull: the pull's rows are the books a replay must reproduce (``replication.replay.state_of``
compares them), and a mission is a parent's note about the books, not the books; and a new entity on
the wire would reach older apps too. The app fetches the list on refresh and computes progress
offline with the same ``sync.missions`` over its replica.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.errors import Code
from sync.missions import Mission, Progress, invalid_fields

from ..db import Database
from ..db.models import MissionRow
from ..errors import DomainError
from ..game.scope import visible_child
from ..ids import new_id
from ..principal import Principal
from .completion import evaluate, forget_quiet
from .facts import Facts, mission_of
from .schemas import MissionBody, MissionOut

if TYPE_CHECKING:  # the gateway calls this package after each pass: no import cycle at run time
    from ..gateway import Runner

__all__ = ["cancel", "create", "list_missions"]


def _out(mission: Mission, done: Progress) -> MissionOut:
    status = "completed" if mission.completed_at else "cancelled" if mission.cancelled_at else "open"
    return MissionOut(
        mission_id=mission.mission_id,
        child_id=mission.child_id,
        kind=mission.kind.value,  # type: ignore[arg-type]
        target=mission.target,
        reward=mission.reward,
        created_at=mission.created_at,
        created_by=mission.created_by,
        completed_at=mission.completed_at,
        cancelled_at=mission.cancelled_at,
        status=status,  # type: ignore[arg-type]
        progress=done.progress,
        done=done.done,
    )


def _views(session: Session, child_id: str, rows: Sequence[MissionRow], now: datetime) -> list[MissionOut]:
    missions = [mission_of(r) for r in rows]
    facts = Facts(session, child_id, missions)
    return [_out(m, facts.progress(m, now)) for m in missions]


def list_missions(db: Database, principal: Principal, child_id: str, now: datetime) -> list[MissionOut]:
    """The child's missions, newest first, with progress (the child itself or a parent of its family)."""
    with db.read() as session:
        visible_child(session, principal, child_id)
        rows = session.scalars(
            select(MissionRow)
            .where(MissionRow.child_id == child_id)
            .order_by(MissionRow.created_at.desc(), MissionRow.id.desc())
            .limit(100)
        ).all()
        return _views(session, child_id, rows, now)


def _one(db: Database, child_id: str, mission_id: str, now: datetime) -> MissionOut:
    with db.read() as session:
        row = session.get(MissionRow, mission_id)
        assert row is not None and row.child_id == child_id
        return _views(session, child_id, [row], now)[0]


def create(runner: Runner, child_id: str, body: MissionBody, key: str | None) -> MissionOut:
    """A parent (stepped up) sets a mission for a child of its family. A retry with the same
    ``Idempotency-Key`` answers the mission it set."""
    mission_id = runner.mutation_id(key) if key else new_id()
    with runner.change("mission.create", child_id) as call:  # who may, first: then what
        assert call.family_id is not None and call.principal is not None
        bad = invalid_fields(body.kind, body.target, body.reward)
        if bad:
            raise DomainError(Code.INVALID_ARGS, "the mission is not valid", extra={"fields": bad})
        family_id, now = call.family_id, call.now
        existing = call.session.get(MissionRow, mission_id)
        if existing is not None:
            if (existing.family_id, existing.child_id) != (family_id, child_id):
                raise DomainError(Code.ID_TAKEN, "this Idempotency-Key was used for another request")
        else:
            call.session.add(
                MissionRow(
                    id=mission_id,
                    family_id=family_id,
                    child_id=child_id,
                    kind=body.kind,
                    target=body.target,
                    reward=body.reward,
                    created_by=call.principal.user_id,
                    created_at=now,
                )
            )
    forget_quiet(runner.db, family_id)  # committed: every pass of the family checks again
    evaluate(runner.db, family_id, [child_id], now)  # a mission already met completes at once
    return _one(runner.db, child_id, mission_id, now)


def cancel(runner: Runner, child_id: str, mission_id: str) -> MissionOut:
    """A parent (stepped up) calls off an open mission; calling it off again answers the same.
    A completed one was rewarded: ``ALREADY_DECIDED``."""
    with runner.change("mission.cancel", child_id) as call:
        row = call.session.get(MissionRow, mission_id, with_for_update=True)
        if row is None or row.family_id != call.family_id or row.child_id != child_id:
            raise DomainError(Code.NOT_FOUND, "no such mission")
        if row.completed_at is not None:
            raise DomainError(Code.ALREADY_DECIDED, "the mission was completed and rewarded")
        if row.cancelled_at is None:
            assert call.principal is not None
            row.cancelled_at, row.cancelled_by = call.now, call.principal.user_id
        now = call.now
    return _one(runner.db, child_id, mission_id, now)

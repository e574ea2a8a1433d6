"""Completing parent missions and paying their reward, exactly once.

**When.** The server evaluates a child's open missions after each committed pass of the gateway
that touched the child's book (``server.gateway.door``), when a mission is set (one already met
completes at once), and on its own clock (:class:`MissionJob`): a ``hold_days`` mission is reached by
time passing, and fills at the open change books outside the gateway. ``sync.missions`` decides.

**Exactly once.** Completion happens in the family's write transaction (the family row locked on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) after the mission row is read again there: a second
evaluator finds it no longer open. Behind that, the reward is the server action ``mission:<id>``
(a primary key of ``server_actions``) and a grant whose id is the same (``sync.missions.grant_id_of``):
a duplicate cannot be written.

**The reward** is a grant of game money (``family.grant`` in the ledger, the mission as its reason),
posted as a server action with the mission as its recorded input, so a replay of the log decides
it again (:func:`replayed_reward`). It never touches real money.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from sync.errors import Rejected
from sync.missions import Mission, grant_id_of, reason_of, reward

from ..background import Periodic
from ..db import Database
from ..db.models import MissionRow
from ..game.book import SqlBook
from ..game.writer import Posting, post_server_action
from ..logs import get_logger
from ..market.clock import FixedMarketClock
from .facts import OPEN, Facts, mission_of

__all__ = [
    "INPUT",
    "MISSION_REWARD",
    "MissionJob",
    "after_pass",
    "evaluate",
    "evaluate_open",
    "forget_quiet",
    "replayed_reward",
]

MISSION_REWARD = "family.grant"
"""The reward's ledger kind (a grant, as a parent's) and so its server action's kind: the only server
action of that kind, which is how a replay tells it apart."""
INPUT = "mission"  # the recorded input of the reward: the mission as it was completed


def reward_posting(family_id: str, mission: Mission) -> Posting:
    """How a reward is booked: one ledger transaction per mission, derived from its id. Its actor is
    the server (no parent acted: every parent hears of it), its reason the mission."""
    return Posting(
        family_id=family_id,
        child_id=mission.child_id,
        txn_id=grant_id_of(mission.mission_id),
        actor_id="server",
        kind=MISSION_REWARD,
        ref_id=grant_id_of(mission.mission_id),
        reason=reason_of(mission),
    )


def _complete(session: Session, family_id: str, row: MissionRow, now: datetime) -> None:
    mission = mission_of(row)
    book = SqlBook(
        session,
        family_id=family_id,
        child_id=row.child_id,
        client_id=None,
        now=now,
        market_clock=FixedMarketClock(),
    )
    row.completed_at = now
    try:
        effects = reward(book, mission, now)
    except Rejected:  # the reward is already in the book (it cannot be, but never twice)
        return
    recorded = msgspec.to_builtins(msgspec.structs.replace(mission, completed_at=None))
    post_server_action(session, reward_posting(family_id, mission), effects, now, {INPUT: recorded})


def _open_rows(
    session: Session, family_id: str, children: list[str], *, lock: bool = False
) -> list[MissionRow]:
    query = (
        select(MissionRow)
        .where(MissionRow.family_id == family_id, MissionRow.child_id.in_(children), *OPEN)
        .order_by(MissionRow.created_at, MissionRow.id)
    )
    return list(session.scalars(query.with_for_update() if lock else query).all())


# whether the family, and these children of it, have an open mission: one statement built once, run
# without a transaction of its own
_ANY_OPEN = select(
    exists().where(MissionRow.family_id == bindparam("family"), *OPEN),
    exists().where(
        MissionRow.family_id == bindparam("family"),
        MissionRow.child_id.in_(bindparam("children", expanding=True)),
        *OPEN,
    ),
)

QUIET_FOR = timedelta(seconds=5)
"""How long a family found with no open mission skips the check after its passes (most families
have none open, and the check was a tenth of a single push's cost). A mission set through this
process ends it at once (:func:`forget_quiet`); one set through another process serving the same
database is seen within this much of the server's clock, and the job sees every open one."""


class _Quiet:
    """The families of one database that this process found with no open mission, and when.

    A mark is taken only if no family was forgotten since the check began: a check that read the
    database before a new mission committed must not hide that mission for ``QUIET_FOR``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: dict[str, datetime] = {}
        self.forgotten = 0  # how many forgets so far: a check notes it before it reads

    def holds(self, family_id: str, now: datetime) -> bool:
        since = self._since.get(family_id)
        return since is not None and since <= now < since + QUIET_FOR  # a clock moved back: not held

    def mark(self, family_id: str, now: datetime, forgotten_before: int) -> None:
        with self._lock:
            if self.forgotten == forgotten_before:
                self._since[family_id] = now

    def forget(self, family_id: str) -> None:
        with self._lock:
            self.forgotten += 1
            self._since.pop(family_id, None)


_QUIET: weakref.WeakKeyDictionary[Database, _Quiet] = weakref.WeakKeyDictionary()
_QUIET_LOCK = threading.Lock()


def _quiet(db: Database) -> _Quiet:
    with _QUIET_LOCK:
        return _QUIET.setdefault(db, _Quiet())


def forget_quiet(db: Database, family_id: str) -> None:
    """A mission was set for this family (committed): its next pass checks again."""
    _quiet(db).forget(family_id)


def _met(session: Session, family_id: str, children: list[str], now: datetime) -> bool:
    rows = _open_rows(session, family_id, children)
    for child_id in children:
        mine = [mission_of(r) for r in rows if r.child_id == child_id]
        if mine and any(Facts(session, child_id, mine).progress(m, now).done for m in mine):
            return True
    return False


def evaluate(db: Database, family_id: str, child_ids: Iterable[str], now: datetime) -> list[str]:
    """Complete and reward the open missions of these children that are met now; their ids."""
    children = sorted(set(child_ids))
    if not children:
        return []
    # most passes meet no mission (none open, or none met yet): decided in a read transaction, so
    # the write lock is taken only to complete one, and the check is repeated under it
    quiet = _quiet(db)
    if quiet.holds(family_id, now):
        return []
    forgotten = quiet.forgotten
    with db.one_read() as connection:
        family_open, open_here = connection.execute(
            _ANY_OPEN, {"family": family_id, "children": children}
        ).one()
    if not family_open:
        quiet.mark(family_id, now, forgotten)
    if not open_here:
        return []
    with db.read() as session:
        if not _met(session, family_id, children, now):
            return []
    done: list[str] = []
    with db.write(family_id) as session:
        rows = _open_rows(session, family_id, children, lock=True)
        for child_id in children:
            mine = [r for r in rows if r.child_id == child_id]
            if not mine:
                continue
            facts = Facts(session, child_id, [mission_of(r) for r in mine])
            for row in mine:
                if facts.progress(mission_of(row), now).done:
                    _complete(session, family_id, row, now)
                    done.append(row.id)
    return done


def evaluate_open(db: Database, now: datetime) -> list[str]:
    """Every family's open missions, evaluated on the server's clock (held days pass without a
    change; a fill at the open changes a book outside the gateway)."""
    with db.read() as session:
        pairs = session.execute(
            select(MissionRow.family_id, MissionRow.child_id).where(*OPEN).distinct()
        ).all()
    by_family: dict[str, list[str]] = {}
    for family_id, child_id in pairs:
        by_family.setdefault(family_id, []).append(child_id)
    done: list[str] = []
    for family_id, children in sorted(by_family.items()):
        done += evaluate(db, family_id, children, now)
    return done


def after_pass(db: Database, family_id: str, child_ids: Iterable[str], now: datetime) -> None:
    """After a committed gateway pass: the changed books' missions. The pass is committed whatever
    happens here; a failure is logged and the job's next pass completes the mission."""
    try:
        evaluate(db, family_id, child_ids, now)
    except Exception:  # noqa: BLE001 - the caller's change stands; the job retries
        get_logger("yongdon.missions").exception("mission check failed; the job retries")


def replayed_reward(
    book: SqlBook, family_id: str, inputs: dict[str, Any], at: datetime
) -> tuple[Any, Posting]:
    """A recorded reward decided again (``replication.replay``): its effects and posting."""
    mission = msgspec.convert(inputs[INPUT], Mission, strict=False)
    return reward(book, mission, at), reward_posting(family_id, mission)


class MissionJob(Periodic):
    """Evaluates every open mission on the server's clock, every ``interval`` seconds."""

    thread_name = "yongdon-missions"

    def __init__(self, db: Database, clock: Callable[[], datetime], interval: float) -> None:
        super().__init__()
        self.db, self.clock, self.interval = db, clock, interval

    def run_once(self) -> list[str]:
        done = evaluate_open(self.db, self.clock())
        if done:
            get_logger("yongdon.jobs").info("missions completed", job=self.thread_name, count=len(done))
        return done

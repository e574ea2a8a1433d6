"""Parent missions on the server: set, list, call off, and completed (and rewarded) exactly once.

**Where the check runs.** ``sync.missions.progress`` decides; this module feeds it the child's
positions and trades. The server evaluates a child's open missions after each committed pass of the
gateway that touched the child's book (``server.gateway.door``), when a mission is set (one already
met completes at once), and on its own clock (:class:`MissionJob`): a ``hold_days`` mission is
reached by time passing, and fills at the open change books outside the gateway.

**Exactly once.** Completion happens in the family's write transaction (the family row locked on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) after the mission row is read again there: a second
evaluator finds it no longer open. Behind that, the reward is the server action ``mission:<id>``
(a primary key of ``server_actions``) and a grant whose id is the same (``sync.missions.grant_id_of``):
a duplicate cannot be written.

**The reward** is a grant of game money (``family.grant`` in the ledger, the mission as its reason),
posted as a server action with the mission as its recorded input, so a replay of the log decides
it again (:func:`replayed_reward`). It never touches real money.

**Why the app reads missions over REST** (``GET /api/family/children/{id}/missions``) rather than
the pull: the pull's rows are the books a replay must reproduce (``replication.replay.state_of``
compares them), and a mission is a parent's note about the books, not the books; the app fetches
the list on refresh and computes progress offline with the same ``sync.missions`` over its replica.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.errors import Code, Rejected
from sync.missions import Kind, Mission, Progress, grant_id_of, invalid_fields, progress_of, reason_of, reward
from sync.records import Position, Trade
from sync.search import SymbolIndex

from ..background import Periodic
from ..db import Database
from ..db.models import MissionRow, PositionRow, TradeRow
from ..errors import DomainError
from ..game.book import SqlBook
from ..game.scope import visible_child
from ..game.writer import Posting, post_server_action
from ..ids import new_id
from ..logs import get_logger
from ..market.clock import FixedMarketClock
from ..market.directory import directory
from ..principal import Principal
from .schemas import MissionBody, MissionOut

if TYPE_CHECKING:  # the gateway calls this module after each pass: no import cycle at run time
    from ..gateway import Runner

__all__ = [
    "MISSION_REWARD",
    "MissionJob",
    "cancel",
    "create",
    "evaluate",
    "evaluate_open",
    "list_missions",
    "replayed_reward",
]

MISSION_REWARD = "family.grant"
"""The reward's ledger kind (a grant, as a parent's) and so its server action's kind: the only server
action of that kind, which is how a replay tells it apart."""
INPUT = "mission"  # the recorded input of the reward: the mission as it was completed
_OPEN = (MissionRow.completed_at.is_(None), MissionRow.cancelled_at.is_(None))


def _sector_of(index: SymbolIndex) -> Callable[[str], str]:
    def sector_of(symbol: str) -> str:
        entry = index.get(symbol)
        return entry.sector if entry else ""

    return sector_of


def mission_of(row: MissionRow) -> Mission:
    return Mission(
        mission_id=row.id,
        child_id=row.child_id,
        kind=Kind(row.kind),
        target=row.target,
        reward=row.reward,
        created_at=row.created_at,
        created_by=row.created_by,
        completed_at=row.completed_at,
        cancelled_at=row.cancelled_at,
    )


class _Facts:
    """A child's positions and the trades its missions read, loaded once per evaluation."""

    def __init__(self, session: Session, child_id: str, missions: Sequence[Mission]) -> None:
        self.positions = [
            Position(symbol=p.symbol, quantity=p.quantity, cost=p.cost)
            for p in session.scalars(
                select(PositionRow).where(PositionRow.child_id == child_id, PositionRow.quantity > 0)
            )
        ]
        trades: dict[str, Trade] = {}
        journals = [m.created_at for m in missions if m.kind is Kind.JOURNALS]
        if journals:  # the orders placed since the oldest journal mission
            query = select(TradeRow).where(
                TradeRow.child_id == child_id, TradeRow.created_at >= min(journals)
            )
            trades.update(_trades(session.scalars(query)))
        if any(m.kind is Kind.HOLD_DAYS for m in missions) and self.positions:  # when each was opened
            held = [p.symbol for p in self.positions]
            query = select(TradeRow).where(
                TradeRow.child_id == child_id, TradeRow.symbol.in_(held), TradeRow.status == "filled"
            )
            trades.update(_trades(session.scalars(query)))
        self.trades = list(trades.values())

    def progress(self, mission: Mission, now: datetime) -> Progress:
        return progress_of(
            mission,
            positions=self.positions,
            trades=self.trades,
            sector_of=_sector_of(directory()),
            now=now,
        )


def _trades(rows: Iterable[TradeRow]) -> dict[str, Trade]:
    return {row.trade_id: msgspec.convert(row.data, Trade, strict=False) for row in rows}


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
    facts = _Facts(session, child_id, missions)
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


def evaluate(db: Database, family_id: str, child_ids: Iterable[str], now: datetime) -> list[str]:
    """Complete and reward the open missions of these children that are met now; their ids."""
    children = sorted(set(child_ids))
    if not children:
        return []
    with db.read() as session:  # most passes find no open mission: no write transaction for them
        waiting = session.scalar(
            select(MissionRow.id).where(MissionRow.child_id.in_(children), *_OPEN).limit(1)
        )
    if waiting is None:
        return []
    done: list[str] = []
    with db.write(family_id) as session:
        rows = session.scalars(
            select(MissionRow)
            .where(MissionRow.family_id == family_id, MissionRow.child_id.in_(children), *_OPEN)
            .order_by(MissionRow.created_at, MissionRow.id)
            .with_for_update()
        ).all()
        for child_id in children:
            mine = [r for r in rows if r.child_id == child_id]
            if not mine:
                continue
            facts = _Facts(session, child_id, [mission_of(r) for r in mine])
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
            select(MissionRow.family_id, MissionRow.child_id).where(*_OPEN).distinct()
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

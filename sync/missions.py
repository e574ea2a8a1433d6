"""Parent missions: goals a parent sets for a child, checked against the child's book.

A mission is a kind, a target number and a reward in game won. Whether it is done is a pure question
of the child's positions and trades at a moment, answered here for both sides: the server decides
completion (and pays the reward once) with it, the device shows the same progress offline.

- ``sectors``: hold stocks of ``target`` different sectors (the directory's) at once. Only positions
  held now count: a sector sold out no longer does.
- ``hold_days``: hold one stock for ``target`` whole days (24 hours each) without its position going
  to zero. Days count from the mission's creation (a goal is something to do from now on) or from
  the moment the position was last opened, whichever is later: selling out breaks the streak.
- ``journals``: write ``target`` trade-journal sentences (``sync.journal``) on orders placed after
  the mission was set (orders the rules rejected are not kept and do not count).

Progress is capped at the target. The reward is a grant of game money (never real money) posted by
the server as its own action (:func:`reward`), whose grant id is derived from the mission's id, so
it exists once in the child's book.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import msgspec

from .book import Book, Effects
from .errors import Code, Rejected
from .journal import journal_of
from .ledger import move
from .records import Position, Trade, TradeStatus

__all__ = [
    "BOUNDS",
    "REWARD_MAX",
    "REWARD_MIN",
    "EVENT",
    "Kind",
    "Mission",
    "Progress",
    "grant_id_of",
    "invalid_fields",
    "progress",
    "progress_of",
    "reason_of",
    "reward",
    "title",
]

DAY = timedelta(days=1)
REWARD_MIN = 1
REWARD_MAX = 10_000_000  # ten times the default starting money: a goal, not a second allowance
EVENT = "MissionCompleted"


class Kind(enum.StrEnum):
    SECTORS = "sectors"
    HOLD_DAYS = "hold_days"
    JOURNALS = "journals"


BOUNDS: dict[Kind, tuple[int, int]] = {
    Kind.SECTORS: (2, 10),  # one sector is no spreading out
    Kind.HOLD_DAYS: (1, 365),
    Kind.JOURNALS: (1, 100),
}
"""The targets a parent may set, per kind (inclusive)."""


class Mission(msgspec.Struct, frozen=True, kw_only=True):
    """A mission as both sides keep it (the server's row, the app's copy from the REST list)."""

    mission_id: str
    child_id: str
    kind: Kind
    target: int
    reward: int
    created_at: datetime
    created_by: str = ""
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.completed_at is None and self.cancelled_at is None


class Progress(msgspec.Struct, frozen=True):
    progress: int
    target: int
    done: bool


def invalid_fields(kind: str, target: int, reward_won: int) -> list[str]:
    """The fields of a new mission outside their bounds (empty when it may be set)."""
    bad: list[str] = []
    try:
        low, high = BOUNDS[Kind(kind)]
    except ValueError:
        return ["kind"]
    if not low <= target <= high:
        bad.append("target")
    if not REWARD_MIN <= reward_won <= REWARD_MAX:
        bad.append("reward")
    return bad


def _held_now(positions: Iterable[Position]) -> list[str]:
    return sorted(p.symbol for p in positions if p.quantity > 0)


def _sectors(positions: Iterable[Position], sector_of: Callable[[str], str]) -> int:
    """Different sectors among the stocks held now; a stock the directory gives none adds none."""
    return len({s for s in (sector_of(symbol) for symbol in _held_now(positions)) if s})


def _opened_at(trades: Iterable[Trade]) -> dict[str, datetime]:
    """When each position was last opened from zero, from the filled trades in fill order; a
    position that went back to zero has no entry."""
    held: dict[str, int] = {}
    since: dict[str, datetime] = {}
    filled = [t for t in trades if t.status is TradeStatus.FILLED and t.filled_at is not None]
    for t in sorted(filled, key=lambda t: (t.filled_at, t.trade_id)):
        assert t.filled_at is not None
        before = held.get(t.symbol, 0)
        after = before + t.quantity if t.side == "buy" else before - t.quantity
        held[t.symbol] = after
        if before <= 0 < after:
            since[t.symbol] = t.filled_at
        elif after <= 0:
            since.pop(t.symbol, None)
    return since


def _hold_days(
    positions: Iterable[Position], trades: Iterable[Trade], created_at: datetime, now: datetime
) -> int:
    """Whole days the longest-held stock held now has been held since the mission began."""
    since = _opened_at(trades)
    best = 0
    for symbol in _held_now(positions):
        # a position with no fill behind it (shares from a corporate action) counts from creation
        start = max(created_at, since.get(symbol, created_at))
        best = max(best, (now - start) // DAY if now > start else 0)
    return best


def _journals(trades: Iterable[Trade], created_at: datetime) -> int:
    return sum(
        1
        for t in trades
        if t.created_at > created_at and t.status is not TradeStatus.REJECTED and journal_of(t.journal)
    )


def progress(
    kind: Kind,
    target: int,
    created_at: datetime,
    *,
    positions: Iterable[Position],
    trades: Iterable[Trade],
    sector_of: Callable[[str], str],
    now: datetime,
) -> Progress:
    """How far the child is on a mission of ``kind`` and ``target`` set at ``created_at``, at ``now``."""
    if kind is Kind.SECTORS:
        count = _sectors(positions, sector_of)
    elif kind is Kind.HOLD_DAYS:
        count = _hold_days(positions, trades, created_at, now)
    else:
        count = _journals(trades, created_at)
    return Progress(progress=min(count, target), target=target, done=count >= target)


def progress_of(
    mission: Mission,
    *,
    positions: Iterable[Position],
    trades: Iterable[Trade],
    sector_of: Callable[[str], str],
    now: datetime,
) -> Progress:
    """A mission's progress: a completed one stays done (its reward was paid), a cancelled one is
    frozen at its cancellation."""
    if mission.completed_at is not None:
        return Progress(progress=mission.target, target=mission.target, done=True)
    at = mission.cancelled_at or now
    return progress(
        mission.kind,
        mission.target,
        mission.created_at,
        positions=positions,
        trades=trades,
        sector_of=sector_of,
        now=at,
    )


def grant_id_of(mission_id: str) -> str:
    """The reward's grant id: one per mission, so the reward exists once in the child's book."""
    return f"mission:{mission_id}"


_TITLES = {
    Kind.SECTORS: ("{n}가지 업종에 나눠 투자하기", "Invest in {n} different sectors"),
    Kind.HOLD_DAYS: ("한 종목을 {n}일 보유하기", "Hold one stock for {n} days"),
    Kind.JOURNALS: ("투자 일기 {n}번 쓰기", "Write {n} trade journal notes"),
}


def title(kind: Kind, target: int, locale: str = "ko") -> str:
    """The mission in words ("세 가지 업종에 나눠 투자하기" reads "3가지 업종에 나눠 투자하기")."""
    ko, en = _TITLES[kind]
    return (en if locale == "en" else ko).format(n=target)


def reason_of(mission: Mission, locale: str = "ko") -> str:
    """The reward's reason in the ledger: the mission it pays for."""
    title_ = title(mission.kind, mission.target, locale)
    return f"Mission complete: {title_}" if locale == "en" else f"미션 완료: {title_}"


def reward(book: Book, mission: Mission, now: datetime) -> Effects:
    """The reward of a completed mission: a grant of game money with the mission as its reason, and
    the ``MissionCompleted`` event. ``ID_TAKEN`` if this mission's reward is already in the book."""
    grant_id = grant_id_of(mission.mission_id)
    if book.grant_exists(grant_id):
        raise Rejected(Code.ID_TAKEN, {"field": "grant_id"})
    stats = book.stats()
    effects = Effects(at=now, entries=move("grants", "cash", mission.reward))
    effects.records.append(msgspec.structs.replace(stats, invested=stats.invested + mission.reward))
    effects.grants.append(grant_id)
    facts: dict[str, object] = {
        "mission_id": mission.mission_id,
        "kind": mission.kind.value,
        "target": mission.target,
        "amount": mission.reward,
        "title_ko": title(mission.kind, mission.target, "ko"),
        "title_en": title(mission.kind, mission.target, "en"),
    }
    effects.events.append((EVENT, facts))
    effects.detail = {"amount": mission.reward, "mission_id": mission.mission_id}
    return effects

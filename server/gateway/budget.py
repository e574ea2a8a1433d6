"""The trading budget: how many orders a child may place in a minute, whichever way they arrive.

**The limit.** A child may place at most 10 orders in any minute (``LIMITS["trading"]``, the same
figure as the per-request limit of the REST trading routes). It holds on every path: orders bought
one by one over REST and orders pushed thirty at a time by a device draw on one budget, because
every order passes the gateway and is counted there, per mutation, in the write transaction that
decides it.

**Which minute.** The minute in which the child placed the order, not the one in which it reached
the server: a device that was offline for a week sends a week of orders at once, and they must be
judged at the pace they were placed. A device stamps each mutation with its own clock
(``created_at``). The server trusts a push's stamps for their spacing, never for more time than has
passed (:func:`acted_times`):

- the stamps are made to go forward (a stamp before the one ahead of it counts as that one);
- the newest may be no later than the moment the server received the push: stamps from a clock
  that runs ahead are moved back, all by the same amount, so that it is that moment;
- they may not reach back before the device's previous mutation (or its enrolment): stamps that do
  are moved forward, all by the same amount, so that the newest is the moment the push arrived
  (a clock that runs behind keeps its spacing), and any that still reach back count as that
  previous mutation.

A missing or unreadable stamp, and every REST call, counts as the moment the server received it.
So a week of orders recorded offline keeps its pace whatever the device's clock said, while thirty
orders placed in a minute count in that minute however they are stamped: no stamps can spread a
push over more time than passed since the device's previous mutation. What a device could still
claim is that time; the house rule ``trades_per_day`` caps a day's orders whatever the stamps say.

**The refusal.** An order over the budget is a processed mutation, ``rejected: RATE_LIMITED`` with
``retry_after`` (seconds): it never stops a push or wedges a queue, and a device shows it like any
rejection. Over REST it answers 429 with ``Retry-After``. Only orders the budget let through are
counted; an order refused before it was decided (not allowed, bad or taken arguments, over budget)
costs nothing.

**The rule, exactly.** Among one child's counted orders, sorted by the time they were placed, any
11 span at least 60 seconds. It depends on those times only, never on which push arrived first.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sync.errors import Code

from ..db.models import MutationRow
from ..ratelimit import LIMITS

__all__ = ["TradingBudget", "acted_times"]

_ORDER = "trade.place/v1"
# orders refused before a decision: they were never placed, so they take no room in the budget
_NOT_PLACED = (
    Code.RATE_LIMITED.value,
    Code.FORBIDDEN.value,
    Code.NOT_FOUND.value,
    Code.INVALID_ARGS.value,
    Code.ID_TAKEN.value,
)


def _stamp(created_at: str | None) -> datetime | None:
    if not created_at:
        return None
    try:
        stamp = datetime.fromisoformat(created_at)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def acted_times(stamps: list[str | None], *, floor: datetime, received: datetime) -> list[datetime]:
    """When each of a push's mutations was made, from the device's stamps (in seq order)."""
    parsed: list[datetime | None] = []
    last: datetime | None = None
    for stamp in map(_stamp, stamps):
        if stamp is not None and last is not None:
            stamp = max(stamp, last)
        parsed.append(stamp)
        last = stamp or last
    known = [s for s in parsed if s is not None]
    shift = timedelta(0)
    if known and (known[-1] > received or known[0] < floor):
        shift = received - known[-1]
    return [received if s is None else min(received, max(floor, s + shift)) for s in parsed]


@dataclass
class TradingBudget:
    """The budget of every child a transaction places orders for (loaded once per child)."""

    count: int = LIMITS["trading"][0].count
    window: timedelta = timedelta(seconds=LIMITS["trading"][0].window)
    _placed: dict[str, list[datetime]] = field(default_factory=dict)

    def admit(self, session: Session, child_id: str, at: datetime, received: datetime) -> int | None:
        """Count an order placed at ``at``; ``None`` when it fits, else the seconds to wait."""
        placed = self._load(session, child_id, at, received)
        trial = sorted([*placed, at])
        here = bisect.bisect_right(trial, at) - 1
        short = timedelta(0)
        for first in range(max(0, here - self.count), min(here, len(trial) - 1 - self.count) + 1):
            span = trial[first + self.count] - trial[first]
            short = max(short, self.window - span)
        if short > timedelta(0):
            return max(1, math.ceil(short.total_seconds()))
        bisect.insort(placed, at)
        return None

    def _load(self, session: Session, child_id: str, at: datetime, received: datetime) -> list[datetime]:
        # a device's orders come in time order, so the first one of the transaction is its earliest
        if child_id not in self._placed:
            rows = session.scalars(
                select(MutationRow.acted_at).where(
                    MutationRow.child_id == child_id,
                    MutationRow.acted_at >= at - self.window,
                    MutationRow.acted_at <= received + self.window,
                    MutationRow.name == _ORDER,
                    or_(MutationRow.code.is_(None), MutationRow.code.not_in(_NOT_PLACED)),
                )
            )
            self._placed[child_id] = sorted(t for t in rows if t is not None)
        return self._placed[child_id]

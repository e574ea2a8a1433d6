"""Queued orders meet the next session's opening price (a server action, no device involved).

An order placed while its market was closed (or under the ``next_open`` policy, or a limit not yet
reached) is stored ``queued`` with money or shares reserved. Once the first session that opens
after the order was placed has opened, :func:`fill_due_orders` fills it at that session's opening
price with the collar check of the fill rules (``sync.trading.fill_queued``), or rejects it and
releases the reservation. An order a parent approved while its market was closed meets the first
session after the approval (``queued_at``), not after its placing. The effects go through the same
writer as every mutation: ledger entries, balances, the trade record in the change log (the child
sees it on the next pull) and a ``TradeExecuted``/``TradeRejected`` event in the outbox.

The opening price is the first quote the server recorded for the symbol at or after the open; with
none yet the order waits for the next pass (the quote refresher records one once the market opens,
even at an unchanged price: see :func:`.watch.is_news`).

Exactly once, across restarts and several server processes: each order is filled in its own
family write transaction (the family row is locked ``FOR UPDATE`` on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite), and its status is read again under that lock, so a second filler finds
it no longer queued and leaves it. The ledger transaction id is derived from the trade id.

Each fill or rejection is logged as a :class:`ServerAction` with the facts it read (the opening quote,
the FX rate), in its place among the family's mutations, so replaying the log decides it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import not_, or_, select
from sqlalchemy.orm import Session

from sync.errors import Rejected
from sync.market import Quote, market_of
from sync.rules import Market
from sync.trading import fill_queued

from ..db import Database, TemporaryFailure
from ..db.models import QuoteRow, TradeRow
from ..game.book import SqlBook
from ..game.writer import Posting, post_server_action
from .calendar import Session as MarketSession
from .quotes import to_quote

__all__ = [
    "FILL_OPEN",
    "OPENING",
    "SERVER_ACTOR",
    "OpeningReport",
    "SessionClock",
    "fill_due_orders",
    "fill_posting",
    "opening_quote",
]

SERVER_ACTOR = "server"  # the ledger's actor for what the server does on its own
FILL_OPEN = "trade.fill_open"  # the ledger kind, and the server action's
OPENING = "opening"  # the recorded input: the opening quote the order met
BATCH = 200

_log = logging.getLogger("yongdon.market")


class SessionClock(Protocol):
    """What the filler needs of a market clock: the calendars' sessions."""

    def is_open(self, market: Market, now: datetime) -> bool: ...

    def next_session(self, market: Market, after: datetime) -> MarketSession | None: ...

    def last_open(self, market: Market, t: datetime) -> datetime | None: ...


@dataclass
class OpeningReport:
    """What one pass did, by trade id."""

    filled: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # its session opened, no opening price yet
    failed: list[str] = field(default_factory=list)  # an unexpected error; retried next pass


def opening_quote(session: Session, symbol: str, opened: datetime) -> Quote | None:
    """The first quote of ``symbol`` observed at or after ``opened`` (the session's opening price)."""
    row = session.scalars(
        select(QuoteRow)
        .where(QuoteRow.symbol == symbol, QuoteRow.as_of >= opened)
        .order_by(QuoteRow.as_of, QuoteRow.seq)
        .limit(1)
    ).first()
    return to_quote(row) if row else None


@dataclass(frozen=True)
class _Due:
    trade_id: str
    family_id: str
    child_id: str
    symbol: str
    opened: datetime


def _due(db: Database, calendars: SessionClock, now: datetime) -> list[_Due]:
    """Queued orders whose next session (after they were placed) has opened by ``now``, oldest first.

    That is an order placed before the market's latest open at or before ``now``; the session it
    meets is the first one after it was placed (a server that was down meets an older open late).
    """
    due: list[_Due] = []
    for market in Market:
        last_open = calendars.last_open(market, now)
        if last_open is None:
            continue
        krx = or_(TradeRow.symbol.like("%.KS"), TradeRow.symbol.like("%.KQ"))
        with db.read() as session:
            rows = session.execute(
                select(
                    TradeRow.trade_id,
                    TradeRow.family_id,
                    TradeRow.child_id,
                    TradeRow.symbol,
                    TradeRow.created_at,
                    TradeRow.data,
                )
                .where(
                    TradeRow.status == "queued",
                    TradeRow.created_at < last_open,
                    krx if market is Market.KRX else not_(krx),
                )
                .order_by(TradeRow.created_at, TradeRow.trade_id)
                .limit(BATCH)
            ).all()
        for trade_id, family_id, child_id, symbol, created_at, data in rows:
            if market_of(symbol) is not market:  # the SQL suffix test and market_of must agree
                continue
            upcoming = calendars.next_session(market, _queued_since(created_at, data))
            if upcoming is not None and upcoming.open <= now:
                due.append(_Due(trade_id, family_id, child_id, symbol, upcoming.open))
    return sorted(due, key=lambda d: d.opened)


def _queued_since(created_at: datetime, data: dict[str, Any]) -> datetime:
    """When the order began to wait for the open: its placing, or a parent's approval that came
    while the market was closed (``queued_at``; it waited for the parent before, not for the open).
    Never earlier than ``created_at``, so the query's ``created_at < last_open`` stays a prefilter."""
    queued_at = data.get("queued_at") if isinstance(data, dict) else None
    if not isinstance(queued_at, str):
        return created_at
    return max(datetime.fromisoformat(queued_at), created_at)


def _fill_one(db: Database, order: _Due, calendars: SessionClock, now: datetime) -> str:
    """Fill or reject one order in its family's write transaction: "filled", "rejected", "waiting"
    or "gone" (another filler, or a cancel, got there first)."""
    with db.write(order.family_id) as session:
        status = session.scalar(
            select(TradeRow.status)
            .where(TradeRow.trade_id == order.trade_id, TradeRow.family_id == order.family_id)
            .with_for_update()
        )
        if status != "queued":
            return "gone"
        opening = opening_quote(session, order.symbol, order.opened)
        if opening is None:
            return "waiting"
        book = SqlBook(
            session,
            family_id=order.family_id,
            child_id=order.child_id,
            client_id=None,
            now=now,
            market_clock=calendars,
        )
        try:
            effects = fill_queued(book, order.trade_id, opening, now)
        except Rejected:  # not queued in the child's book after all: nothing to do
            return "gone"
        posting = fill_posting(order.family_id, order.child_id, order.trade_id)
        post_server_action(session, posting, effects, now, {**book.inputs(), OPENING: opening.quote_id})
        return "rejected" if "code" in effects.detail else "filled"


def fill_posting(family_id: str, child_id: str, trade_id: str) -> Posting:
    """How a fill at the open is posted: one ledger transaction per order, derived from its id."""
    return Posting(
        family_id=family_id,
        child_id=child_id,
        txn_id=f"open:{trade_id}",
        actor_id=SERVER_ACTOR,
        kind=FILL_OPEN,
        ref_id=trade_id,
    )


def fill_due_orders(db: Database, calendars: SessionClock, now: datetime) -> OpeningReport:
    """One pass: every queued order whose next session has opened meets its opening price."""
    report = OpeningReport()
    for order in _due(db, calendars, now):
        try:
            outcome = _fill_one(db, order, calendars, now)
        except TemporaryFailure:
            _log.warning("database busy; queued order %s waits for the next pass", order.trade_id)
            continue
        except Exception:  # noqa: BLE001 - one broken order (a bug) must not hold back the others
            _log.exception("queued order %s could not be filled; it stays queued", order.trade_id)
            report.failed.append(order.trade_id)
            continue
        bucket = {"filled": report.filled, "rejected": report.rejected, "waiting": report.waiting}.get(
            outcome
        )
        if bucket is not None:
            bucket.append(order.trade_id)
    return report

"""Watched symbols: the ones the server keeps priced, stored in ``watched_symbols``.

A symbol is watched from the first time someone names it (:mod:`.pricer`) and for as long as the
server runs: the refresher keeps its quotes fresh and every device's pull carries them. Symbols
children hold are watched too, and the rate (``USDKRW=X``) always is: US fills and dividends convert
at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.market import Quote, market_of

from ..db.models import PositionRow, WatchedSymbol
from .calendar import MarketCalendars, market_calendars
from .providers.base import FX_SYMBOL, ProviderQuote
from .quotes import latest_quotes, one_quote_writer, record_quote

__all__ = ["is_news", "record_answers", "watch", "watched_among", "watched_symbols"]


def watched_symbols(session: Session) -> list[str]:
    """Every symbol the server keeps priced: the watched ones, the held ones and the rate."""
    rows = session.execute(union(select(WatchedSymbol.symbol), select(PositionRow.symbol)))
    return sorted({FX_SYMBOL, *(symbol for (symbol,) in rows)})


def watched_among(session: Session, symbols: Iterable[str]) -> set[str]:
    wanted = sorted(set(symbols))
    if not wanted:
        return set()
    return set(session.scalars(select(WatchedSymbol.symbol).where(WatchedSymbol.symbol.in_(wanted))))


def watch(session: Session, symbols: Iterable[str], now: datetime) -> None:
    """Watch ``symbols`` from ``now`` (a symbol already watched keeps its date)."""
    values = [{"symbol": s, "since": now} for s in sorted(set(symbols)) if s != FX_SYMBOL]
    if not values:
        return
    one_quote_writer(session)  # before the insert (see one_quote_writer)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(WatchedSymbol).values(values).on_conflict_do_nothing(index_elements=["symbol"])
    )


def is_news(current: Quote | None, answer: ProviderQuote, calendars: MarketCalendars | None = None) -> bool:
    """Whether ``answer`` is worth a new quote row: the symbol's first price, a moved price, or the
    first observation of a session that opened after the stored quote.

    Unchanged prices otherwise get no row (every device would only download it again). But a queued
    order fills at the first quote observed at or after its session's open
    (:func:`.opening.opening_quote`): a quiet stock that opens where it closed would leave the order
    waiting until its price happened to move, and then fill at that later price, not the opening one.
    So each session gets its opening row, at most one more per symbol and session. An answer from
    before the open (the ``snapshot`` provider's stored quote when Yahoo is down) is no observation of
    the session and records nothing: the order waits for a real one. The rate has no session here.
    ``calendars`` are the ones the chain trades on (``ProviderChain.calendars``: a replay's sessions
    are the replayed year's); today's when not given.
    """
    if current is None or current.price != answer.price:
        return True
    if answer.symbol == FX_SYMBOL:
        return False
    opened = (calendars or market_calendars()).last_open(market_of(answer.symbol), answer.as_of)
    return opened is not None and current.as_of < opened


def record_answers(
    session: Session,
    answers: Iterable[ProviderQuote],
    now: datetime,
    calendars: MarketCalendars | None = None,
) -> list[Quote]:
    """Record each provider answer that :func:`is_news` (a moved price, or a session's first), with
    its source.

    Compared again here, inside the write: another writer may have recorded the same price since the
    provider was asked. A symbol's first quote makes it watched, so whatever got a price is kept fresh.
    """
    answers = list(answers)
    one_quote_writer(session)  # so that the comparison below sees every other recorder's commit
    current = latest_quotes(session, [a.symbol for a in answers])
    watch(session, [a.symbol for a in answers if a.symbol not in current], now)
    return [
        record_quote(session, a.symbol, a.price, a.as_of, source=a.source)
        for a in answers
        if is_news(current.get(a.symbol), a, calendars)
    ]

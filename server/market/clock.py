"""Whether a market is open, behind a small interface.

The app's clock is the calendars its price chain trades on (:mod:`server.market.calendar`: holidays,
early closes, late opens): today's in live mode, the replayed years' on the replay clock in the
history replay (``ProviderChain.calendars``). Tests put a :class:`FixedMarketClock` in
``app.state.market_clock`` to open and close markets by hand.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from litestar.datastructures import State

from sync.rules import Market

__all__ = ["FixedMarketClock", "MarketClock", "WeekdayMarketClock", "provide_market_clock"]


@runtime_checkable
class MarketClock(Protocol):
    def is_open(self, market: Market, now: datetime) -> bool: ...


_SESSIONS = {
    Market.KRX: (ZoneInfo("Asia/Seoul"), time(9, 0), time(15, 30)),
    Market.US: (ZoneInfo("America/New_York"), time(9, 30), time(16, 0)),
}


class WeekdayMarketClock:
    """Regular sessions on weekdays in the exchange's own time zone, without holidays (read-only views
    that only label a market open or closed use it to avoid building the calendars)."""

    def is_open(self, market: Market, now: datetime) -> bool:
        zone, start, end = _SESSIONS[market]
        local = now.astimezone(zone)
        return local.weekday() < 5 and start <= local.time() < end


class FixedMarketClock:
    """The in-memory twin for tests: exactly the markets in ``open`` are open."""

    def __init__(self, open_markets: set[Market] | None = None) -> None:
        self.open_markets = set(Market) if open_markets is None else set(open_markets)

    def is_open(self, market: Market, now: datetime) -> bool:
        return market in self.open_markets


def provide_market_clock(state: State) -> MarketClock:
    """DI provider: the app's market clock (tests put a :class:`FixedMarketClock` in ``app.state``),
    else the sessions of the market the app's chain is in (a history replay's are the replayed
    year's)."""
    clock = state.get("market_clock")
    if clock is not None:
        return clock  # type: ignore[no-any-return]
    from .refresher import provide_market_chain  # the chain follows the stored market setting

    return provide_market_chain(state).calendars

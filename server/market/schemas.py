"""Wire shapes of the market routes (prices are integers: won, or micro-dollars for USD)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

from .history import RangeName

__all__ = [
    "BarOut",
    "FxOut",
    "HistoryOut",
    "MarketStatusOut",
    "MatchOut",
    "NewsItemOut",
    "NewsOut",
    "PriceOut",
    "ProviderHealthOut",
    "SearchOut",
    "SessionOut",
    "StatusOut",
    "StockOut",
]


class PriceOut(msgspec.Struct, kw_only=True):
    """The newest quote of a symbol; the device may cite ``quote_id`` and ``price`` in an order."""

    quote_id: str
    symbol: str
    price: int
    currency: str
    as_of: datetime
    source: str  # the provider that made it: yahoo, snapshot, replay:<date>, sim
    market_state: Literal["open", "closed"]


class MatchOut(msgspec.Struct, kw_only=True):
    symbol: str
    code: str
    market: str
    name_ko: str
    name_en: str
    sector: str
    matched_by: str  # ticker, code, name_ko, initials, name_en, alias, typo …


class SearchOut(msgspec.Struct, kw_only=True):
    keyword: str
    results: list[MatchOut]


class StockOut(msgspec.Struct, kw_only=True):
    symbol: str
    code: str
    market: str
    currency: str
    name_ko: str
    name_en: str
    sector: str
    aliases: list[str]
    description: str | None


class SessionOut(msgspec.Struct, kw_only=True):
    open: datetime
    close: datetime


class MarketStatusOut(msgspec.Struct, kw_only=True):
    market: str
    timezone: str
    open: bool
    session: SessionOut | None  # today's session while the market is open
    next_open: datetime | None
    next_close: datetime | None


class ProviderHealthOut(msgspec.Struct, kw_only=True):
    name: str | None
    healthy: bool
    last_error: str | None
    retry_at: datetime | None
    failures: int
    detail: dict[str, str]


class StatusOut(msgspec.Struct, kw_only=True):
    as_of: datetime
    markets: list[MarketStatusOut]
    provider: ProviderHealthOut | None


class FxOut(msgspec.Struct, kw_only=True):
    pair: Literal["USDKRW"]
    quote_id: str
    rate: int  # micro-won per dollar
    rate_text: str  # won per dollar to two places, for display
    as_of: datetime
    date: date
    source: str


class BarOut(msgspec.Struct, kw_only=True):
    """One bar; close-only sources (skfolio) leave open, high, low and volume empty."""

    t: date
    o: int | None
    h: int | None
    l: int | None  # noqa: E741 - the chart's own name for "low"
    c: int
    v: int | None


class EndedOut(msgspec.Struct, kw_only=True):
    """The stock trades no more: delisted (``delisting``), or in history replay our bundled prices of it
    end (``data_end``); ``last_session`` is its last day of trading (of data)."""

    kind: Literal["delisting", "data_end"]
    last_session: date


class HistoryOut(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    symbol: str
    range: RangeName
    interval: Literal["1d", "1wk"]
    currency: str
    source: str | None  # yahoo, snapshot, replay, sim, or several joined with "+"
    from_: date | None
    to: date | None
    bars: list[BarOut]
    ended: EndedOut | None = None  # trading ended: the page says so and offers no order


class NewsItemOut(msgspec.Struct, kw_only=True):
    """One headline: the title as published, its publisher (a disclosure's filer), when, and a link
    the app opens outside itself."""

    kind: Literal["news", "disclosure"]
    title: str
    source: str
    published_at: datetime
    link: str


class NewsOut(msgspec.Struct, kw_only=True):
    """A stock's headlines, newest first. ``state`` is ``offline`` when no news source answered (a
    replay server, or no network): ``items`` are then the last ones fetched, from ``as_of``, if any."""

    symbol: str
    state: Literal["live", "offline"]
    as_of: datetime | None
    sources: list[str]
    items: list[NewsItemOut]

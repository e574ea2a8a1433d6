"""The one interface every price provider implements, and the values it returns.

Prices are integers: won for KRW symbols, micro-dollars for USD symbols, micro-won per dollar for
``USDKRW=X``. Every quote and bar names the provider that made it (``source``), because a child must
always be able to see whether a price is live, stored, replayed history or simulated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol, runtime_checkable

from sync.market import currency_of

__all__ = [
    "FX_SYMBOL",
    "Action",
    "Bar",
    "Headline",
    "Health",
    "MarketDataProvider",
    "NewsSource",
    "ProviderError",
    "ProviderQuote",
    "day_start",
    "to_minor",
]

FX_SYMBOL = "USDKRW=X"


class ProviderError(Exception):
    """A provider could not answer (network, rate limit, no data); the chain asks the next one."""


@dataclass(frozen=True)
class ProviderQuote:
    symbol: str
    price: int
    as_of: datetime
    source: str  # "yahoo", "snapshot", "replay:2008-03-14", "sim"

    @property
    def currency(self) -> str:
        return "KRW" if self.symbol == FX_SYMBOL else currency_of(self.symbol)


@dataclass(frozen=True)
class Bar:
    """One bar; a daily bar's ``ts`` is 00:00 UTC of its exchange-local session date."""

    ts: datetime
    close: int
    open: int | None = None  # close-only sources (skfolio) leave open/high/low/volume empty
    high: int | None = None
    low: int | None = None
    volume: int | None = None
    source: str = ""


@dataclass(frozen=True)
class Action:
    """A dividend (``amount`` per share, minor units) or a split (``ratio`` new shares per old)."""

    day: date
    kind: str  # "dividend" | "split"
    amount: int = 0
    ratio: float = 0.0


@dataclass(frozen=True)
class Headline:
    """One news story or corporate disclosure about a stock, as a child may see it: the title as
    published, who published it, when, and a link the app opens outside itself (nothing else of the
    story: no summary, no pictures)."""

    title: str
    source: str  # the publisher ("Reuters"), or the filer of a disclosure
    published_at: datetime
    link: str  # https only
    kind: str = "news"  # "news" | "disclosure"


@dataclass
class Health:
    healthy: bool = True
    last_error: str | None = None
    retry_at: datetime | None = None
    failures: int = 0
    detail: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class MarketDataProvider(Protocol):
    name: str

    def quotes(self, symbols: Sequence[str], now: datetime) -> dict[str, ProviderQuote]:
        """The current price of each symbol it knows (unknown symbols are left out)."""
        ...

    def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
        """Bars with ``start <= session date <= end``, oldest first; ``[]`` when it has none."""
        ...

    def actions(self, symbol: str) -> list[Action]: ...

    def fx(self, pair: str, now: datetime) -> ProviderQuote | None: ...

    def health(self, now: datetime) -> Health: ...

    def today(self, now: datetime) -> date:
        """The session date this provider is "at" (the replay date for history replay)."""
        ...


@runtime_checkable
class NewsSource(Protocol):
    """Headlines about a stock from one network source (Yahoo's news, OpenDART's disclosures)."""

    name: str

    def headlines(self, symbol: str, now: datetime, limit: int = 10) -> list[Headline]:
        """Newest first; ``[]`` when the source has nothing on ``symbol``; raises
        :class:`ProviderError` when it cannot answer now."""
        ...


def to_minor(symbol: str, value: float) -> int:
    """A provider's float price in our integer units (won, or micro-dollars / micro-won for FX)."""
    if symbol == FX_SYMBOL or currency_of(symbol) == "USD":
        return round(value * 1_000_000)
    return round(value)


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)

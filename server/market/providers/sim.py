"""``sim``: a seeded random walk for symbols without real data (Korean stocks on a never-online server).

Each symbol's walk is a pure function of its ticker: the same server shows the same prices after a
restart, and two servers agree. Calibrated per symbol: it reverts to a base price (the demo's round
price, the last stored quote, or one drawn from the ticker's seed) with a daily volatility drawn from
the seed, so a simulated 삼성전자 stays near a believable price instead of drifting to zero. KRW prices
are rounded to the KRX tick. Every quote is labelled ``sim``. It never makes up an exchange rate.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

from sync.market import currency_of

from .base import FX_SYMBOL, Action, Bar, Health, ProviderQuote, day_start

__all__ = ["SimProvider", "krx_tick"]

ANCHOR = date(1990, 1, 1)  # a Monday; day n of every walk is the n-th weekday after it
CHUNK = 256
MAX_DAYS = 5 * 366  # a made-up past longer than this would pass for knowledge
REVERSION = 0.02  # per day, on the log price: a shock halves in about 35 sessions


def krx_tick(price: int) -> int:
    """The KRX price unit for a price (호가 단위, since 2023)."""
    for limit, tick in ((2_000, 1), (5_000, 5), (20_000, 10), (50_000, 50), (200_000, 100), (500_000, 500)):
        if price < limit:
            return tick
    return 1_000


def _seed(symbol: str) -> int:
    return int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "big")


def _weekday_index(day: date) -> int:
    weeks, rest = divmod((day - ANCHOR).days, 7)
    return max(weeks * 5 + min(rest, 4), 0)


class SimProvider:
    name = "sim"

    def __init__(
        self,
        base_prices: Mapping[str, int] | None = None,
        *,
        skip: Callable[[str], bool] = lambda symbol: False,
        today: Callable[[datetime], date] | None = None,
    ) -> None:
        self.base_prices = dict(base_prices or {})
        # symbols with real data elsewhere: a replayed company not yet listed stays unpriced
        self.skip = skip
        self._today = today
        self._walks: dict[str, list[float]] = {}

    def today(self, now: datetime) -> date:
        return self._today(now) if self._today else now.date()

    def _base(self, symbol: str) -> int:
        if symbol in self.base_prices:
            return self.base_prices[symbol]
        rng = random.Random(_seed(symbol) ^ 0xBA5E)  # noqa: S311  (a game's prices, not a secret)
        if currency_of(symbol) == "KRW":
            return round(10 ** rng.uniform(3.7, 5.6))
        return round(10 ** rng.uniform(1.2, 2.7) * 100) * 10_000  # whole cents, in micro-dollars

    def _log_offset(self, symbol: str, index: int) -> float:
        walk = self._walks.setdefault(symbol, [0.0])
        sigma = random.Random(_seed(symbol)).uniform(0.010, 0.028)  # noqa: S311
        while len(walk) <= index:
            # fixed chunks with their own seeds: day n is the same whatever order days were asked in
            rng = random.Random(_seed(symbol) * 7_919 + (len(walk) - 1) // CHUNK)  # noqa: S311
            for _ in range(CHUNK):
                walk.append(walk[-1] * (1 - REVERSION) + rng.gauss(0.0, sigma))
        return walk[index]

    def price_on(self, symbol: str, day: date) -> int:
        raw = self._base(symbol) * math.exp(self._log_offset(symbol, _weekday_index(day)))
        if currency_of(symbol) == "KRW":
            tick = krx_tick(round(raw))
            return max(round(raw / tick) * tick, 1)
        cent = 10_000  # micro-dollars
        return max(round(raw / cent) * cent, cent)

    def quotes(self, symbols: Sequence[str], now: datetime) -> dict[str, ProviderQuote]:
        day = self.today(now)
        return {
            symbol: ProviderQuote(symbol, self.price_on(symbol, day), now, self.name)
            for symbol in symbols
            if not self.skip(symbol) and symbol != FX_SYMBOL
        }

    def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
        if interval != "1d" or self.skip(symbol):
            return []
        bars, day = [], max(start, end - timedelta(days=MAX_DAYS))
        while day <= end:
            if day.weekday() < 5:
                bars.append(Bar(ts=day_start(day), close=self.price_on(symbol, day), source=self.name))
            day += timedelta(days=1)
        return bars

    def actions(self, symbol: str) -> list[Action]:
        return []

    def fx(self, pair: str, now: datetime) -> ProviderQuote | None:
        return None  # the bundled ECB rates (server.market.fx) are real; a simulated rate never beats them

    def health(self, now: datetime) -> Health:
        return Health()

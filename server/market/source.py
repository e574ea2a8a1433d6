"""Where prices come from, behind one small interface (the market-data issue adds real providers).

A :class:`QuoteSource` answers the current price of a symbol; :func:`refresh_quotes` records what
it says as new immutable quotes, with the source named on each one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from sync.market import Quote

from ..db import Database
from .quotes import record_quote

__all__ = ["DEMO_PRICES", "QuoteSource", "StaticQuoteSource", "refresh_quotes"]


class QuoteSource(Protocol):
    name: str

    def price(self, symbol: str, now: datetime) -> tuple[int, datetime] | None:
        """The price (won, or micro-dollars) and when it was observed; ``None`` when unknown."""
        ...


class StaticQuoteSource:
    """Fixed prices: the in-memory twin for tests, and the demo's starting prices."""

    def __init__(self, prices: Mapping[str, int], name: str = "static") -> None:
        self.prices, self.name = dict(prices), name

    def price(self, symbol: str, now: datetime) -> tuple[int, datetime] | None:
        value = self.prices.get(symbol)
        return None if value is None else (value, now)


def refresh_quotes(db: Database, source: QuoteSource, symbols: Iterable[str], now: datetime) -> list[Quote]:
    """Ask ``source`` for each symbol and record the answers as new quotes."""
    recorded: list[Quote] = []
    with db.write() as session:
        for symbol in symbols:
            observed = source.price(symbol, now)
            if observed is not None:
                recorded.append(record_quote(session, symbol, observed[0], observed[1], source=source.name))
    return recorded


# Round illustrative prices: the levels the simulated walks (providers/sim.py) revert to for symbols
# without real data, e.g. Korean stocks on a server that was never online. Tests quote them directly.
DEMO_PRICES: dict[str, int] = {
    "005930.KS": 70_000,  # 삼성전자
    "000660.KS": 180_000,  # SK하이닉스
    "035420.KS": 200_000,  # NAVER
    "035720.KS": 40_000,  # 카카오
    "AAPL": 230_000_000,
    "NVDA": 140_000_000,
    "USDKRW=X": 1_400_000_000,
}

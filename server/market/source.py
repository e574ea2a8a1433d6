"""The smallest price interface: a :class:`QuoteSource` answers the current price of a symbol.

The refresher asks the provider chain (``server.market.providers``); a plain source still serves
the FX fallback and tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

__all__ = ["DEMO_PRICES", "QuoteSource", "StaticQuoteSource"]


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

"""``snapshot``: what this server stored itself — its newest quotes and the bars in ``market_bars``.

The fallback when the live provider fails: prices stay where they last were (with their original
``as_of``), labelled ``snapshot`` so the family sees they are not live.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from ...db import Database
from ..quotes import latest_quotes
from .base import FX_SYMBOL, Action, Bar, Health, ProviderQuote

__all__ = ["SnapshotProvider"]


class SnapshotProvider:
    name = "snapshot"

    def __init__(self, db: Database) -> None:
        self.db = db

    def today(self, now: datetime) -> date:
        return now.date()

    def quotes(self, symbols: Sequence[str], now: datetime) -> dict[str, ProviderQuote]:
        with self.db.read() as session:
            stored = latest_quotes(session, symbols)
        return {s: ProviderQuote(s, q.price, q.as_of, self.name) for s, q in stored.items()}

    def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
        from ..history import stored_bars  # history imports the providers package: import late

        with self.db.read() as session:
            return stored_bars(session, symbol, interval, start, end)

    def actions(self, symbol: str) -> list[Action]:
        return []

    def fx(self, pair: str, now: datetime) -> ProviderQuote | None:
        return self.quotes([FX_SYMBOL], now).get(FX_SYMBOL)

    def health(self, now: datetime) -> Health:
        return Health()

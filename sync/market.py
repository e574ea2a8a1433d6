"""Quotes and symbols as the rules see them (the providers live on the server)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from .rules import Market

__all__ = ["Quote", "currency_of", "market_of"]


class Quote(msgspec.Struct, frozen=True):
    """An immutable server-issued price observation.

    ``price`` is won for KRW symbols and micro-dollars for USD symbols; ``as_of`` is the
    server's clock. ``seq`` is the server change-log position at which it was published.
    """

    quote_id: str
    symbol: str
    price: int
    currency: str
    as_of: datetime
    source: str = "test"
    seq: int = 0


def market_of(symbol: str) -> Market:
    """KRX for ``.KS``/``.KQ`` tickers, US otherwise."""
    return Market.KRX if symbol.endswith((".KS", ".KQ")) else Market.US


def currency_of(symbol: str) -> str:
    return "KRW" if market_of(symbol) is Market.KRX else "USD"

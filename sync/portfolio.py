"""Portfolio math: valuation, unrealised and headline profit, time-weighted return."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from .allowance import convertible_profit
from .book import Book
from .market import Quote, currency_of
from .money import MICRO
from .pricing import gross_value
from .records import Position

__all__ = ["Holding", "Summary", "market_value", "summarise", "time_weighted_return"]


class Holding(msgspec.Struct, frozen=True):
    symbol: str
    quantity: int
    avg_cost: int  # won per whole share, rounded down
    cost: int
    price: int | None
    currency: str
    value: int
    unrealized: int


class Summary(msgspec.Struct, frozen=True):
    cash: int
    reserved: int
    positions: list[Holding]
    total_value: int
    invested: int
    profit: int
    profit_pct: float
    convertible_profit: int
    realised: int


def market_value(position: Position, quote: Quote | None, fx: Quote | None) -> int | None:
    """What the shares would fetch now (no fees), or ``None`` without a price."""
    if quote is None:
        return None
    if currency_of(position.symbol) == "KRW":
        return gross_value(quote.price, position.quantity, None, buying=False)
    if fx is None:
        return None
    return gross_value(quote.price, position.quantity, fx.price, buying=False)


def summarise(book: Book, quote_for: Callable[[str], Quote | None] | None = None) -> Summary:
    """The headline view of one child's game: value, money put in, profit, convertible profit.

    A position without any price is valued at its cost (so a missing quote never shows a loss).
    """
    quote_for = quote_for or book.latest_quote
    fx = book.fx_quote()
    holdings: list[Holding] = []
    for position in sorted(book.positions(), key=lambda p: p.symbol):
        quote = quote_for(position.symbol)
        value = market_value(position, quote, fx)
        shown = position.cost if value is None else value
        holdings.append(
            Holding(
                symbol=position.symbol,
                quantity=position.quantity,
                avg_cost=position.cost * MICRO // position.quantity,
                cost=position.cost,
                price=quote.price if quote else None,
                currency=currency_of(position.symbol),
                value=shown,
                unrealized=shown - position.cost,
            )
        )
    cash, reserved = book.balance("cash"), book.balance("reserved")
    total = cash + reserved + sum(h.value for h in holdings)
    stats = book.stats()
    put_in = stats.invested - stats.converted
    profit = total - put_in
    return Summary(
        cash=cash,
        reserved=reserved,
        positions=holdings,
        total_value=total,
        invested=put_in,
        profit=profit,
        profit_pct=round(profit * 100 / put_in, 2) if put_in else 0.0,
        convertible_profit=convertible_profit(stats, book.requests()),
        realised=stats.realised,
    )


def time_weighted_return(values: Sequence[int], flows: Sequence[int]) -> float:
    """Time-weighted return over consecutive valuations, as a fraction.

    ``values[i]`` is the portfolio value at the end of period ``i``; ``flows[i]`` the money put in
    (grants, positive) or taken out (conversions, negative) at the start of period ``i`` (``i ≥ 1``).
    Each period's return is ``values[i] / (values[i-1] + flows[i])``; they are chained.
    """
    if len(values) != len(flows):
        raise ValueError("values and flows must have the same length")
    growth = 1.0
    for i in range(1, len(values)):
        base = values[i - 1] + flows[i]
        if base > 0:
            growth *= values[i] / base
    return growth - 1.0

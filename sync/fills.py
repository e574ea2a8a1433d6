"""The fill rules: at which price, if any, an order fills when it reaches the server.

The same function predicts on the device (against the quotes it has) and decides on the server
(against the server's quotes and the quotes it has served to that device). Device clocks are never
consulted: ``now`` is the server's receive time.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from .errors import Code, Rejected
from .market import Quote
from .money import BPS, div_ceil, div_floor
from .rules import FillPolicy, HouseRules

__all__ = ["Fill", "Queue", "collar_ok", "decide_fill", "limit_ok", "quote_detail"]


class Fill(msgspec.Struct, frozen=True):
    """Fill now at ``quote``'s price. ``adjusted`` when that is not the price the child saw."""

    quote: Quote
    adjusted: bool


class Queue(msgspec.Struct, frozen=True):
    """Hold the order (and reserve money or shares) until the next session opens."""

    reference_price: int
    reason: str


def collar_ok(side: str, cited: int, price: int, collar_bps: int) -> bool:
    """A buy fills only at ≤ cited × (1 + collar); a sell only at ≥ cited × (1 − collar)."""
    if side == "buy":
        return price <= div_floor(cited * (BPS + collar_bps), BPS)
    return price >= div_ceil(cited * (BPS - collar_bps), BPS)


def quote_detail(quote: Quote | None) -> dict[str, object]:
    """The latest quote, for a one-tap retry in the UI."""
    if quote is None:
        return {}
    return {"latest_quote_id": quote.quote_id, "latest_price": quote.price, "as_of": quote.as_of.isoformat()}


def limit_ok(side: str, price: int, limit: int | None) -> bool:
    if limit is None:
        return True
    return price <= limit if side == "buy" else price >= limit


def decide_fill(
    *,
    side: str,
    symbol: str,
    cited: Quote | None,
    cited_price: int | None,
    limit_price: int | None,
    latest: Quote | None,
    newest_served: Quote | None,
    market_open: bool,
    now: datetime,
    rules: HouseRules,
) -> Fill | Queue:
    """Apply ``rules.fill_policy`` (see domain.md, "Fills"). Raises ``Rejected``."""
    if cited_price is not None and cited is None:
        raise Rejected(Code.QUOTE_UNKNOWN, quote_detail(latest))
    if cited is not None:
        if cited.symbol != symbol:
            raise Rejected(Code.QUOTE_UNKNOWN, quote_detail(latest))
        if cited_price is not None and cited.price != cited_price:
            raise Rejected(Code.PRICE_MISMATCH, {"cited_price": cited.price, **quote_detail(latest)})
    if latest is None:
        raise Rejected(Code.SYMBOL_UNKNOWN, {"symbol": symbol})
    reference = cited.price if cited is not None else latest.price

    if rules.fill_policy is FillPolicy.PRACTICE:
        if not limit_ok(side, latest.price, limit_price):
            raise Rejected(Code.PRICE_MOVED, quote_detail(latest))
        return Fill(latest, adjusted=cited is None or cited.quote_id != latest.quote_id)

    if rules.fill_policy is FillPolicy.NEXT_OPEN or not market_open:
        return Queue(
            reference_price=limit_price or reference,
            reason="market_closed" if not market_open else "next_open_policy",
        )

    # fill_policy == quote, market open. The child gets the price it saw only if that was the newest
    # it could have seen: as new as the newest quote served to its device, or, when the device was
    # served none of this symbol (it never pulled it, and learnt the id some other way), the newest
    # the server has. Otherwise an old, better quote could be cherry-picked.
    fresh = cited is not None and (now - cited.as_of).total_seconds() <= rules.max_quote_age_s
    floor = newest_served if newest_served is not None else latest
    newest = cited is not None and cited.seq >= floor.seq
    if cited is not None and fresh and newest and limit_ok(side, cited.price, limit_price):
        return Fill(cited, adjusted=False)
    if limit_price is not None:  # the limit is the child's own protection: no collar, wait for the price
        if limit_ok(side, latest.price, limit_price):
            return Fill(latest, adjusted=cited is None or latest.quote_id != cited.quote_id)
        return Queue(reference_price=limit_price, reason="limit_not_reached")
    if not collar_ok(side, reference, latest.price, rules.collar_bps):
        raise Rejected(Code.PRICE_MOVED, {"cited_price": reference, **quote_detail(latest)})
    return Fill(latest, adjusted=cited is None or latest.quote_id != cited.quote_id)

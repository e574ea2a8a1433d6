"""What a fill costs or raises in won: price × quantity × FX, fees and tax.

Buys round up (the child pays), sells round down (the child receives). Prices are won for KRW
symbols and micro-dollars for USD symbols; quantities are micro-shares; FX is micro-won per dollar.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from .money import BPS, MICRO, bps_of_up, div_ceil, div_floor

__all__ = ["FillCost", "buy_cost", "quantity_for_amount", "sell_proceeds", "sell_quantity_for_amount"]


class FillCost(msgspec.Struct, frozen=True):
    """The won side of one fill."""

    gross: int  # value of the shares in won
    fee: int
    tax: int
    total: int  # buy: what leaves cash; sell: what arrives in cash


def _fraction(price: int, fx: int | None, spread_bps: int, buying: bool) -> tuple[int, int]:
    """Won per micro-share as an exact fraction (numerator, denominator)."""
    if fx is None:  # KRW price: won per share
        return price, MICRO
    factor = BPS + spread_bps if buying else BPS - spread_bps
    # micro-usd × micro-won/usd × spread / (1e6 usd-micro × 1e6 fx-micro × BPS), per micro-share
    return price * fx * factor, MICRO * MICRO * MICRO * BPS


def gross_value(price: int, quantity: int, fx: int | None, *, spread_bps: int = 0, buying: bool) -> int:
    num, den = _fraction(price, fx, spread_bps, buying)
    return div_ceil(num * quantity, den) if buying else div_floor(num * quantity, den)


def buy_cost(price: int, quantity: int, fx: int | None, *, fee_bps: int, spread_bps: int = 0) -> FillCost:
    gross = gross_value(price, quantity, fx, spread_bps=spread_bps, buying=True)
    fee = bps_of_up(gross, fee_bps)
    return FillCost(gross=gross, fee=fee, tax=0, total=gross + fee)


def sell_proceeds(
    price: int, quantity: int, fx: int | None, *, fee_bps: int, tax_bps: int, spread_bps: int = 0
) -> FillCost:
    gross = gross_value(price, quantity, fx, spread_bps=spread_bps, buying=False)
    fee = bps_of_up(gross, fee_bps)
    tax = bps_of_up(gross, tax_bps)
    return FillCost(gross=gross, fee=fee, tax=tax, total=max(0, gross - fee - tax))


def _search(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """Largest q in [lo, hi] with ok(q) true, given ok is monotone (true then false)."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def quantity_for_amount(
    amount: int, price: int, fx: int | None, *, fee_bps: int, spread_bps: int = 0, step: int = 1
) -> int:
    """The most micro-shares (a multiple of ``step``) whose total buy cost is at most ``amount``."""
    if amount <= 0 or price <= 0:
        return 0
    num, den = _fraction(price, fx, spread_bps, True)
    upper = div_floor(amount * den, num) // step  # ignoring fees: an upper bound
    best = _search(
        0,
        upper,
        lambda k: buy_cost(price, k * step, fx, fee_bps=fee_bps, spread_bps=spread_bps).total <= amount,
    )
    return best * step


def sell_quantity_for_amount(
    amount: int, price: int, fx: int | None, held: int, *, spread_bps: int = 0, step: int = 1
) -> int:
    """The fewest micro-shares (a multiple of ``step``) whose gross value reaches ``amount``,
    never more than ``held``."""
    if amount <= 0 or price <= 0:
        return 0
    top = held // step
    if gross_value(price, top * step, fx, spread_bps=spread_bps, buying=False) < amount:
        return top * step
    # largest k whose value is still short of the amount, plus one
    short = _search(
        0, top, lambda k: gross_value(price, k * step, fx, spread_bps=spread_bps, buying=False) < amount
    )
    return min(top, short + 1) * step

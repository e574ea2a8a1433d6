"""Integer money and quantity types, and every rounding the domain uses.

Money is never a float. Each conversion names its rounding: what the child pays or owes is
rounded **up**, what the child receives is rounded **down**, so the house never loses a fraction.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import NewType

__all__ = [
    "BPS",
    "MICRO",
    "GameWon",
    "MicroShares",
    "MicroUsd",
    "MicroWonPerUsd",
    "RealWon",
    "bps_of_down",
    "bps_of_up",
    "div_ceil",
    "div_floor",
    "SHOWN_SHARE_DECIMALS",
    "format_shown_shares",
    "parse_micro_shares",
    "shown_micro_shares",
]

GameWon = NewType("GameWon", int)
RealWon = NewType("RealWon", int)
MicroUsd = NewType("MicroUsd", int)
MicroShares = NewType("MicroShares", int)
MicroWonPerUsd = NewType("MicroWonPerUsd", int)

MICRO = 1_000_000
"""One share, one dollar or one won-per-dollar is this many micro units."""

BPS = 10_000
"""Basis points in one whole."""

SHOWN_SHARE_DECIMALS = 4
"""Decimals of a share count shown to a person. Quantities are exact to the micro-share, but six
decimals read as noise to a child, and an estimate and its fill then differ in digits nobody can
act on; only what is shown is rounded."""
_SHOWN_UNIT: int = MICRO // 10**SHOWN_SHARE_DECIMALS  # micro-shares in the last shown decimal


def div_floor(num: int, den: int) -> int:
    """Exact integer division rounded toward negative infinity."""
    if den <= 0:
        raise ValueError("denominator must be positive")
    return num // den


def div_ceil(num: int, den: int) -> int:
    """Exact integer division rounded toward positive infinity."""
    if den <= 0:
        raise ValueError("denominator must be positive")
    return -((-num) // den)


def bps_of_up(amount: int, bps: int) -> int:
    """``amount × bps / 10,000`` rounded up: a fee or tax the child pays."""
    return div_ceil(amount * bps, BPS)


def bps_of_down(amount: int, bps: int) -> int:
    """``amount × bps / 10,000`` rounded down: something the child receives."""
    return div_floor(amount * bps, BPS)


def parse_micro_shares(text: str) -> int | None:
    """A share count as text ("3", "1.5", "1,234.567891", what the formatter wrote) → exact
    micro-shares; None for anything else, or for more than six decimals (nothing is rounded here)."""
    try:
        shares = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None
    if not shares.is_finite():
        return None
    micro = shares * MICRO
    return int(micro) if micro == micro.to_integral_value() else None


def shown_micro_shares(quantity: int) -> int:
    """The micro-shares a share count is shown as: ``quantity`` rounded half up to
    :data:`SHOWN_SHARE_DECIMALS` decimals (``48601899`` → ``48601900``), except that a nonzero
    quantity too small for them is kept exact, so something held never reads as 0 shares.

    Display only: what is stored, sent and typed stays exact."""
    shown = (abs(quantity) + _SHOWN_UNIT // 2) // _SHOWN_UNIT * _SHOWN_UNIT
    if shown == 0:
        return quantity
    return -shown if quantity < 0 else shown


def format_shown_shares(quantity: int) -> str:
    """A share count as a person reads it: :func:`shown_micro_shares`, thousands grouped
    (``1234567891`` → ``"1,234.5679"``)."""
    shown = shown_micro_shares(quantity)
    whole, frac = divmod(abs(shown), MICRO)
    sign = "-" if shown < 0 else ""
    if frac == 0:
        return f"{sign}{whole:,}"
    return f"{sign}{whole:,}.{frac:06d}".rstrip("0")

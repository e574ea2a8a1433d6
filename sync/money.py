"""Integer money and quantity types, and every rounding the domain uses.

Money is never a float. Each conversion names its rounding: what the child pays or owes is
rounded **up**, what the child receives is rounded **down**, so the house never loses a fraction.
"""

from __future__ import annotations

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
    "format_micro_shares",
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


def format_micro_shares(quantity: int) -> str:
    """Render micro-shares as a plain decimal share count (``1500000`` → ``"1.5"``)."""
    whole, frac = divmod(abs(quantity), MICRO)
    sign = "-" if quantity < 0 else ""
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:06d}".rstrip("0")

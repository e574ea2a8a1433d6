"""The market a child is compared with: which index, its line beside the child's value, and who did better.

A child holding Korean stocks is compared with KOSPI (``^KS11``), one holding US stocks with the
S&P 500 (``^GSPC``), one holding both with a blend weighted by what each market's holdings are worth.
The index line answers "what if my money had simply followed the whole market": it starts at the
child's first value and receives the same money put in and taken out at the same moments, so only the
picks differ. Who did better compares time-weighted returns (flows do not count), in percentage points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from .portfolio import Holding, time_weighted_return

__all__ = [
    "KOSPI",
    "SP500",
    "BenchmarkLine",
    "benchmark_line",
    "benchmark_weights",
    "blended_growth",
    "follow_index",
]

KOSPI = "^KS11"
SP500 = "^GSPC"
_INDEX_OF_CURRENCY = {"KRW": KOSPI, "USD": SP500}


class BenchmarkLine(msgspec.Struct, frozen=True):
    """The index line in game won beside the child's values, the index's own return over the range and
    how many percentage points the child's time-weighted return beat it by (negative: behind it)."""

    values: list[int]
    index_pct: float
    beat_pct: float


def benchmark_weights(holdings: Sequence[Holding]) -> dict[str, int]:
    """Each index's weight: the game won the child holds in its market (a child holding nothing is
    compared with KOSPI, the family's home market)."""
    weights: dict[str, int] = {}
    for holding in holdings:
        if holding.value > 0:
            index = _INDEX_OF_CURRENCY[holding.currency]
            weights[index] = weights.get(index, 0) + holding.value
    return weights or {KOSPI: 1}


def blended_growth(levels: Mapping[str, Sequence[int]], weights: Mapping[str, int]) -> list[float]:
    """The blend's growth factor at each point since the first (``1.0`` there).

    ``levels[index][i]`` is the index level at point ``i``. Each period's return is the weighted mean
    of the indices' returns (the blend is rebalanced to ``weights`` at every point); periods chain.
    """
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("benchmark weights must add up to more than zero")
    lengths = {len(levels[index]) for index in weights}
    if len(lengths) != 1:
        raise ValueError("every index needs a level at every point")
    (n,) = lengths
    growth = [1.0] * n
    for i in range(1, n):
        step = sum(weight * levels[idx][i] / levels[idx][i - 1] for idx, weight in weights.items())
        growth[i] = growth[i - 1] * step / total
    return growth


def follow_index(values: Sequence[int], flows: Sequence[int], growth: Sequence[float]) -> list[int]:
    """What the child's money would be worth had it followed the index: the child's first value, each
    later flow (``flows`` as in :func:`~sync.portfolio.time_weighted_return`) added at its point, grown
    by the index between points; whole won (rounded half to even, never drifting: each point is
    computed from the exact previous amount)."""
    if not len(values) == len(flows) == len(growth):
        raise ValueError("values, flows and growth must have the same length")
    if not values:
        return []
    exact = float(values[0])
    line = [values[0]]
    for i in range(1, len(values)):
        exact = (exact + flows[i]) * growth[i] / growth[i - 1]
        line.append(round(exact))
    return line


def benchmark_line(
    values: Sequence[int],
    flows: Sequence[int],
    levels: Mapping[str, Sequence[int]],
    weights: Mapping[str, int],
) -> BenchmarkLine:
    """The index line beside ``values`` and the two returns compared (both in % to two decimals)."""
    growth = blended_growth(levels, weights)
    index_pct = round((growth[-1] - 1.0) * 100, 2)
    child_pct = round(time_weighted_return(values, flows) * 100, 2)
    return BenchmarkLine(
        values=follow_index(values, flows, growth),
        index_pct=index_pct,
        beat_pct=round(child_pct - index_pct, 2),
    )

"""The market beside a child's value: index levels at the moments of the value series, and the line.

The levels come from the provider chain (Yahoo when live, what this server stored, the bundled real
history) and never from the simulation: an index nobody has real figures for is reported missing, so
the child sees "no market line" instead of an invented one. The moments are mapped to the date the
family is at (the replay date in replay mode), so a child trading in 2012 is compared with 2012's index.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sync.benchmark import benchmark_line, benchmark_weights
from sync.portfolio import Holding

from ..db import Database
from ..market.history import store_bars
from ..market.providers import ProviderChain

__all__ = ["INDEX_WAIT", "Benchmark", "benchmark_for", "index_levels"]

INDEX_WAIT = 1.5  # seconds a chart waits on Yahoo for an index before the stored or bundled history
LOOKBACK = timedelta(days=10)  # the first moment may fall on a weekend or after a holiday week


@dataclass(frozen=True)
class Benchmark:
    indices: list[str]  # the indices compared with, heaviest first
    values: list[int] = field(default_factory=list)  # the line, one value per series point; [] if missing
    index_pct: float | None = None
    beat_pct: float | None = None
    missing: list[str] = field(default_factory=list)  # indices with no real history over the range
    source: str | None = None


def index_levels(
    db: Database, chain: ProviderChain, symbol: str, days: Sequence[date]
) -> tuple[list[int], str] | None:
    """The index's close at or before each of ``days`` and where the closes came from; ``None`` when a
    day has no real close (the provider, the stored bars and the bundled history all lack it)."""
    real = ProviderChain([p for p in chain.bounded(INDEX_WAIT).providers if p.name != "sim"])
    # stored bars may come from anywhere (a replay-mode backfill keeps simulated ones): real ones only
    bars = [b for b in real.history(symbol, min(days) - LOOKBACK, max(days)) if b.source != "sim"]
    if chain.live:  # keep what Yahoo said: the snapshot answers from it when Yahoo is down later
        store_bars(db, symbol, "1d", [b for b in bars if b.source == "yahoo"])
    bar_days = [b.ts.date() for b in bars]
    levels = []
    for day in days:
        at = bisect.bisect_right(bar_days, day)
        if at == 0:
            return None
        levels.append(bars[at - 1].close)
    return levels, "+".join(sorted({b.source for b in bars}))


def benchmark_for(
    db: Database,
    chain: ProviderChain,
    moments: Sequence[datetime],
    values: Sequence[int],
    flows: Sequence[int],
    holdings: Sequence[Holding],
) -> Benchmark:
    """The line a child's value series is compared with (weights from what the child holds now)."""
    weights = benchmark_weights(holdings)
    indices = sorted(weights, key=lambda index: (-weights[index], index))
    if len(values) < 2:
        return Benchmark(indices)
    days = [chain.today(moment) for moment in moments]
    levels: dict[str, list[int]] = {}
    sources: set[str] = set()
    for index in indices:
        found = index_levels(db, chain, index, days)
        if found is not None:
            levels[index], source = found
            sources.add(source)
    missing = [index for index in indices if index not in levels]
    if missing:
        return Benchmark(indices, missing=missing)
    line = benchmark_line(values, flows, levels, weights)
    return Benchmark(
        indices, line.values, line.index_pct, line.beat_pct, source="+".join(sorted(sources)) or None
    )

"""The family leaderboard: siblings ranked by how far their picks beat the market.

Each child's score is its benchmark-relative return (:mod:`sync.benchmark`: the child's time-weighted
return minus the index's over the same range, in percentage points). Both are rates, so the money a
child started with, and any grant since, change nothing: a child given ten times as much does not
rank higher for it. Children whose comparison is missing (no index figures, nothing held yet) are
listed after the ranked ones, unranked.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

__all__ = ["Entry", "Standing", "rank"]


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    child_id: str
    name: str
    beat_pct: float | None  # percentage points above the market (None: no comparison)
    twr_pct: float


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    rank: int | None  # 1 is first; equal scores share a rank (1, 1, 3); None: not compared
    child_id: str
    name: str
    beat_pct: float | None
    twr_pct: float


def rank(entries: Sequence[Entry]) -> list[Standing]:
    """Best first by ``beat_pct`` (ties share a rank and are listed by name), then the unranked by name."""
    scored = sorted(
        (e for e in entries if e.beat_pct is not None), key=lambda e: (-(e.beat_pct or 0.0), e.name)
    )
    out: list[Standing] = []
    for i, entry in enumerate(scored):
        tied = i > 0 and scored[i - 1].beat_pct == entry.beat_pct
        place = out[-1].rank if tied else i + 1
        out.append(
            Standing(
                rank=place,
                child_id=entry.child_id,
                name=entry.name,
                beat_pct=entry.beat_pct,
                twr_pct=entry.twr_pct,
            )
        )
    for entry in sorted((e for e in entries if e.beat_pct is None), key=lambda e: e.name):
        out.append(
            Standing(
                rank=None, child_id=entry.child_id, name=entry.name, beat_pct=None, twr_pct=entry.twr_pct
            )
        )
    return out

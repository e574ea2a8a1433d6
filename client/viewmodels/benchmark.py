"""The market beside the child's value, in one sentence a 10-year-old understands.

The server sends the market line and who did better (``/performance``: ``beat_pct``, ``benchmark_pct``,
``benchmark_indices``, ``benchmark_missing``); this turns them into words: "시장 전체보다 3.00% 더
벌었어요", what the same money in the market would have made, and which index that is. An index the
server has no real figures for is said to be missing, never drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import Tools

__all__ = ["BenchmarkWords", "benchmark_words", "index_name"]


@dataclass(frozen=True)
class BenchmarkWords:
    sentence: str | None  # who did better; None when there is nothing to compare
    detail: str | None  # what the same money in the market would have made
    legend: str | None  # what the grey line is
    missing: str | None  # why there is no line
    line: list[int]  # the market line, one value per point of the child's series ([] when missing)
    tone: str  # up (the child did better) | down | flat


def index_name(tools: Tools, indices: list[str]) -> str:
    """KOSPI, the S&P 500, or the blend of the two the child is compared with."""
    tr = tools.tr
    names = [tr(f"bench.name.{index}") for index in indices]
    if len(names) >= 2:
        return tr("bench.blend", first=names[0], second=names[1])
    return names[0] if names else ""


def benchmark_words(tools: Tools, answer: Mapping[str, Any] | None) -> BenchmarkWords:
    tr, pct = tools.tr, tools.fmt.pct
    answer = answer or {}
    indices = list(answer.get("benchmark_indices") or [])
    missing = list(answer.get("benchmark_missing") or [])
    beat, index_pct = answer.get("beat_pct"), answer.get("benchmark_pct")
    if missing:
        text = tr("bench.missing", index=index_name(tools, missing))
        return BenchmarkWords(None, None, None, text, [], "flat")
    if not indices or beat is None or index_pct is None:
        return BenchmarkWords(None, None, None, None, [], "flat")
    name = index_name(tools, indices)
    mine = float(answer.get("twr_pct") or 0.0)
    beat = float(beat)
    if beat == 0:
        sentence, tone = tr("bench.even"), "flat"
    else:
        ahead = beat > 0
        lost = mine < 0
        key = ("bench.beat_" if ahead else "bench.behind_") + ("down" if lost else "up")
        sentence, tone = tr(key, pct=pct(abs(beat), signed=False)), "up" if ahead else "down"
    line = [int(p["value"]) for p in answer.get("benchmark") or []]
    return BenchmarkWords(
        sentence=sentence,
        detail=tr("bench.index_line", index=name, pct=pct(float(index_pct))),
        legend=tr("bench.legend", index=name) if line else None,
        missing=None,
        line=line,
        tone=tone,
    )

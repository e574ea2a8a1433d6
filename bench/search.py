"""Symbol search latency over the whole bundled directory, beside a naive baseline.

The index (``sync.search.SymbolIndex``) against a linear scan that tests ``query in name`` for every
entry (case-folded names, ticker and aliases; no ranking beyond that, no consonants, no typos): the
baseline is what a first attempt costs, the index is what the server and the client run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sync.search import SymbolEntry, SymbolIndex, entries_from_json

from .report import percentile

__all__ = ["QUERIES", "SearchTimes", "measure"]

SYMBOLS = Path(__file__).resolve().parents[1] / "assets" / "market" / "symbols.json"

# What children type: names, nicknames, consonants, codes, tickers, English, typos, misses.
QUERIES = (
    "삼성", "삼전", "ㅅㅅㅈㅈ", "삼ㅅ", "삼성전자", "005930", "005930.KS", "하이닉스", "하닉",
    "카카오", "ㅋㅋㅇ", "ㅇㅍ", "애플", "apple", "AAPL", "nvda", "엔비디아", "엔비디야", "nvidai",
    "마이크로소프트", "마소", "tesla", "테슬러", "구글", "현대", "LG", "네이버", "불닭", "a", "ㅎ",
    "0", "bank of america", "samsung electronics", "international", "삼성전가", "zzzzzz", "게임",
)  # fmt: skip


class _Naive:
    """A linear scan with ``in`` over precomputed case-folded strings, best-known first."""

    def __init__(self, entries: list[SymbolEntry]) -> None:
        self.rows = [
            (
                e,
                [
                    e.symbol.casefold(),
                    e.name_ko.casefold(),
                    e.name_en.casefold(),
                    *map(str.casefold, e.aliases),
                ],
            )
            for e in entries
        ]

    def search(self, query: str, limit: int = 10) -> list[SymbolEntry]:
        q = query.strip().casefold()
        if not q:
            return []
        return [e for e, keys in self.rows if any(q in k for k in keys)][:limit]


@dataclass(frozen=True)
class SearchTimes:
    entries: int
    queries: int
    build_ms: float
    index_ms: list[float]
    naive_ms: list[float]

    def p(self, which: str, pct: float) -> float:
        return percentile(self.index_ms if which == "index" else self.naive_ms, pct)


def _times(search: Callable[[str], object], rounds: int) -> list[float]:
    out: list[float] = []
    for _ in range(rounds):
        for query in QUERIES:
            start = time.perf_counter()
            search(query)
            out.append((time.perf_counter() - start) * 1000)
    return out


def measure(rounds: int) -> SearchTimes:
    """``rounds`` passes over :data:`QUERIES` with each searcher (after one warm-up pass)."""
    entries = entries_from_json(SYMBOLS.read_text(encoding="utf-8"))
    start = time.perf_counter()
    index = SymbolIndex(entries)
    build_ms = (time.perf_counter() - start) * 1000
    naive = _Naive(entries)
    _times(index.search, 1)
    _times(naive.search, 1)
    return SearchTimes(
        len(entries), len(QUERIES), build_ms, _times(index.search, rounds), _times(naive.search, rounds)
    )

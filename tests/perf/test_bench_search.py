"""The search figures of ``python -m bench`` measure every query with both searchers (not their speed)."""

from __future__ import annotations

from bench.search import QUERIES, measure


def test_search_figures_time_every_query_with_both_searchers() -> None:
    times = measure(rounds=2)
    assert times.entries >= 300
    assert len(times.index_ms) == len(times.naive_ms) == 2 * len(QUERIES)
    assert 0 < times.p("index", 50) <= times.p("index", 99)
    assert 0 < times.p("naive", 50) <= times.p("naive", 99)

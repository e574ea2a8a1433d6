"""Golden benchmark values: the index line, the index's return and who did better, worked out by hand."""

from __future__ import annotations

import pytest

from sync.benchmark import KOSPI, SP500, benchmark_line, benchmark_weights, blended_growth, follow_index
from sync.portfolio import Holding


def holding(symbol: str, currency: str, value: int) -> Holding:
    return Holding(symbol, 1, value, value, None, currency, value, 0)


def test_a_child_who_made_10_percent_beat_an_index_that_made_5_by_5_points() -> None:
    # 100,000 → 110,000 (+10%); the S&P 500 4,000 → 4,200 (+5%): the index line 100,000 → 105,000
    line = benchmark_line([100_000, 110_000], [0, 0], {SP500: [4_000, 4_200]}, {SP500: 1})
    assert line.values == [100_000, 105_000]
    assert line.index_pct == 5.0
    assert line.beat_pct == 5.0


def test_money_put_in_joins_the_index_line_at_the_same_moment() -> None:
    # the child: 100,000; +50,000 granted (value 150,000, the index flat at 100); then 160,000 while
    # the index rises 100 → 110 (+10%). The index line: 100,000 → 150,000 → 165,000.
    # The child's TWR: 150,000/150,000 × 160,000/150,000 − 1 = +6.67%; 6.67 − 10.00 = −3.33 points.
    line = benchmark_line([100_000, 150_000, 160_000], [0, 50_000, 0], {KOSPI: [100, 100, 110]}, {KOSPI: 1})
    assert line.values == [100_000, 150_000, 165_000]
    assert line.index_pct == 10.0
    assert line.beat_pct == -3.33


def test_money_taken_out_leaves_the_index_line_too() -> None:
    # 200,000 with the index at 2,000; the index rises to 2,200 (+10%): 220,000. A conversion takes
    # 20,000 out (flow −20,000) while the index falls to 1,980 (−10%): (220,000 − 20,000) × 0.9 = 180,000
    line = benchmark_line(
        [200_000, 200_000, 170_000], [0, 0, -20_000], {KOSPI: [2_000, 2_200, 1_980]}, {KOSPI: 1}
    )
    assert line.values == [200_000, 220_000, 180_000]
    assert line.index_pct == -1.0  # 1,980 / 2,000
    # the child: 200,000/200,000 × 170,000/180,000 − 1 = −5.56%; −5.56 − (−1.00) = −4.56
    assert line.beat_pct == -4.56


def test_a_child_with_both_markets_is_compared_with_a_blend_by_value() -> None:
    # 60,000 in Korean stocks, 40,000 in US ones: KOSPI +5%, S&P 500 −5% → 0.6 × 5 − 0.4 × 5 = +1%
    weights = benchmark_weights(
        [holding("005930.KS", "KRW", 60_000), holding("AAPL", "USD", 30_000), holding("MSFT", "USD", 10_000)]
    )
    assert weights == {KOSPI: 60_000, SP500: 40_000}
    line = benchmark_line([100_000, 103_000], [0, 0], {KOSPI: [2_000, 2_100], SP500: [4_000, 3_800]}, weights)
    assert line.values == [100_000, 101_000]
    assert line.index_pct == 1.0
    assert line.beat_pct == 2.0  # +3% against +1%


def test_the_blend_is_rebalanced_at_every_point() -> None:
    # half and half: step 1 KOSPI +10%, S&P 0% → +5%; step 2 KOSPI 0%, S&P +10% → +5%: 1.05² = 1.1025
    growth = blended_growth({KOSPI: [100, 110, 110], SP500: [200, 200, 220]}, {KOSPI: 1, SP500: 1})
    assert growth == pytest.approx([1.0, 1.05, 1.1025])


def test_a_child_holding_nothing_is_compared_with_kospi() -> None:
    assert benchmark_weights([]) == {KOSPI: 1}
    assert benchmark_weights([holding("AAPL", "USD", 0)]) == {KOSPI: 1}


def test_the_index_line_is_whole_won_without_drift() -> None:
    # 1,000 won growing 1/3 % three times: 1003.33 → 1006.68 → 1010.03; rounded each time from the exact
    line = follow_index([1_000, 0, 0, 0], [0, 0, 0, 0], [1.0, 1.003333, 1.006677, 1.010033])
    assert line == [1_000, 1_003, 1_007, 1_010]


def test_an_index_missing_a_point_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError):
        blended_growth({KOSPI: [100, 110], SP500: [200]}, {KOSPI: 1, SP500: 1})

"""Rounding pins of the money module: what the child pays rounds up, what it receives rounds down."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.allowance import real_amount
from sync.money import (
    bps_of_down,
    bps_of_up,
    div_ceil,
    div_floor,
    format_shown_shares,
    parse_micro_shares,
    shown_micro_shares,
)
from sync.rules import HouseRules


@pytest.mark.parametrize(
    ("num", "den", "floor", "ceil"),
    [(7, 2, 3, 4), (-7, 2, -4, -3), (6, 3, 2, 2), (0, 5, 0, 0), (1, 1_000_000, 0, 1), (-1, 10, -1, 0)],
)
def test_division_rounds_the_named_way(num: int, den: int, floor: int, ceil: int) -> None:
    assert div_floor(num, den) == floor
    assert div_ceil(num, den) == ceil


@pytest.mark.parametrize("den", [0, -3])
def test_division_refuses_a_non_positive_denominator(den: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        div_floor(1, den)
    with pytest.raises(ValueError, match="positive"):
        div_ceil(1, den)


@given(st.integers(-(10**18), 10**18), st.integers(1, 10**12))
def test_floor_and_ceil_bracket_the_exact_quotient(num: int, den: int) -> None:
    lo, hi = div_floor(num, den), div_ceil(num, den)
    assert lo * den <= num <= hi * den
    assert hi - lo == (0 if num % den == 0 else 1)


def test_a_fee_the_child_pays_rounds_up_and_a_share_it_receives_rounds_down() -> None:
    # 10,001 × 15 bps = 15.0015 won
    assert bps_of_up(10_001, 15) == 16
    assert bps_of_down(10_001, 15) == 15
    # exact amounts are not rounded at all: 100,000 × 15 bps = 150
    assert bps_of_up(100_000, 15) == 150
    assert bps_of_down(100_000, 15) == 150
    # a fee on a tiny amount is still at least one won, never zero
    assert bps_of_up(1, 1) == 1
    assert bps_of_down(1, 1) == 0


@pytest.mark.parametrize(
    ("game", "num", "den", "real"),
    [
        (12_345, 1, 10, 1_234),  # 1,234.5 → 1,234: the child receives, rounded down
        (10_000, 1, 10, 1_000),
        (19, 1, 10, 1),
        (9, 1, 10, 0),
        (10, 3, 7, 4),  # 30/7 = 4.28…
        (100, 1, 1, 100),
    ],
)
def test_real_amount_is_floor_of_game_times_rate(game: int, num: int, den: int, real: int) -> None:
    rules = HouseRules(conversion_num=num, conversion_den=den)
    assert real_amount(game, rules) == real


@pytest.mark.parametrize(
    ("micro", "text"),
    [
        (48_601_899, "48.6019"),  # the journey's fill: six decimals read as four
        (48_399_726, "48.3997"),
        (1_408_450, "1.4085"),  # half up
        (1_408_449, "1.4084"),
        (2_999_960, "3"),  # rounds to a whole share: no trailing ".0000"
        (1_500_000, "1.5"),
        (1_234_567_891, "1,234.5679"),  # grouped like money
        (0, "0"),
        (49, "0.000049"),  # too small for four decimals: exact, never "0" of something held
        (50, "0.0001"),
        (-48_601_899, "-48.6019"),
    ],
)
def test_a_share_count_is_shown_with_at_most_four_decimals(micro: int, text: str) -> None:
    assert format_shown_shares(micro) == text


@given(st.integers(-(10**15), 10**15))
def test_the_shown_count_is_within_half_a_ten_thousandth_and_never_hides_a_holding(micro: int) -> None:
    shown = shown_micro_shares(micro)
    assert abs(shown - micro) <= 50
    assert (shown == 0) == (micro == 0) and (shown < 0) == (micro < 0)
    assert shown % 100 == 0 or shown == micro  # four decimals, or exact when smaller than them
    assert parse_micro_shares(format_shown_shares(micro)) == shown  # what is shown can be typed back


def test_parsing_shares_never_rounds() -> None:
    assert parse_micro_shares("1,234.5") == 1_234_500_000
    assert parse_micro_shares("1.0000001") is None  # a seventh decimal is refused, not dropped
    assert parse_micro_shares("abc") is None and parse_micro_shares("inf") is None

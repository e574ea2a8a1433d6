"""Fill arithmetic: the child pays rounded up, receives rounded down; amount orders buy the most shares."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import HouseRules, Trade
from sync.money import MICRO
from sync.pricing import FillCost, buy_cost, quantity_for_amount, sell_proceeds, sell_quantity_for_amount

from .factory import AAPL, FX, SAMSUNG, new_book, place, publish, shares, usd, won_per_usd

# ₩70,000 a share × 1.500001 shares = ₩105,000.07 exactly
KRW_PRICE, ODD_QTY = 70_000, 1_500_001
# $150.25 × 1 share × ₩1,330.50 per dollar = ₩199,907.625 exactly
USD_PRICE, FX_RATE = usd("150.25"), won_per_usd("1330.5")


def test_krw_buy_rounds_up_and_sell_rounds_down() -> None:
    assert buy_cost(KRW_PRICE, ODD_QTY, None, fee_bps=0) == FillCost(
        gross=105_001, fee=0, tax=0, total=105_001
    )
    assert sell_proceeds(KRW_PRICE, ODD_QTY, None, fee_bps=0, tax_bps=0) == FillCost(
        gross=105_000, fee=0, tax=0, total=105_000
    )


def test_fee_and_tax_round_up_and_come_off_the_proceeds() -> None:
    # buy: gross 105,001; fee 105,001 × 0.15 % = 157.5015 → 158; total 105,159
    assert buy_cost(KRW_PRICE, ODD_QTY, None, fee_bps=15) == FillCost(
        gross=105_001, fee=158, tax=0, total=105_159
    )
    # sell: gross 105,000; fee 157.5 → 158; tax 105,000 × 0.20 % = 210; total 105,000 − 158 − 210
    assert sell_proceeds(KRW_PRICE, ODD_QTY, None, fee_bps=15, tax_bps=20) == FillCost(
        gross=105_000, fee=158, tax=210, total=104_632
    )


def test_sell_proceeds_never_go_below_zero() -> None:
    # a ₩1 sale: fee and tax each round up to ₩1; the child gets nothing rather than owing
    cost = sell_proceeds(1, MICRO, None, fee_bps=15, tax_bps=20)
    assert (cost.gross, cost.fee, cost.tax, cost.total) == (1, 1, 1, 0)


def test_usd_fill_converts_at_fx_rounded_against_the_child() -> None:
    # ₩199,907.625: buy pays 199,908, sell receives 199,907
    assert buy_cost(USD_PRICE, MICRO, FX_RATE, fee_bps=0).total == 199_908
    assert sell_proceeds(USD_PRICE, MICRO, FX_RATE, fee_bps=0, tax_bps=0).total == 199_907


def test_fx_spread_is_added_on_a_buy_and_taken_off_a_sell() -> None:
    # 1 % spread: buy 199,907.625 × 1.01 = 201,906.70125 → 201,907
    #             sell 199,907.625 × 0.99 = 197,908.54875 → 197,908
    assert buy_cost(USD_PRICE, MICRO, FX_RATE, fee_bps=0, spread_bps=100).total == 201_907
    assert sell_proceeds(USD_PRICE, MICRO, FX_RATE, fee_bps=0, tax_bps=0, spread_bps=100).total == 197_908


def test_quantity_for_amount_pins() -> None:
    # ₩100,000 at ₩70,000: 1.428571 shares cost ceil(99,999.97) = 100,000; one micro-share more is 100,001
    assert quantity_for_amount(100_000, KRW_PRICE, None, fee_bps=0) == 1_428_571
    # whole shares only: one
    assert quantity_for_amount(100_000, KRW_PRICE, None, fee_bps=0, step=MICRO) == MICRO
    # with a 0.15 % fee the gross may be at most 99,850 (fee ceil(149.775) = 150):
    # 0.07 × q ≤ 99,850 → q = 1,426,428 (gross ceil(99,849.96) = 99,850, total 100,000)
    assert quantity_for_amount(100_000, KRW_PRICE, None, fee_bps=15) == 1_426_428
    assert buy_cost(KRW_PRICE, 1_426_428, None, fee_bps=15).total == 100_000
    assert buy_cost(KRW_PRICE, 1_426_429, None, fee_bps=15).total == 100_001


@pytest.mark.parametrize(("amount", "price"), [(0, 70_000), (-5, 70_000), (100_000, 0)])
def test_quantity_for_nothing_is_nothing(amount: int, price: int) -> None:
    assert quantity_for_amount(amount, price, None, fee_bps=0) == 0
    assert sell_quantity_for_amount(amount, price, None, 10 * MICRO) == 0


prices = st.one_of(
    st.tuples(st.integers(1, 3_000_000), st.none()),  # KRX: whole won
    st.tuples(st.integers(1, 5_000 * MICRO), st.integers(900 * MICRO, 1_600 * MICRO)),  # US + FX
)


@settings(max_examples=300)
@given(
    amount=st.integers(1, 10**9),
    price_fx=prices,
    fee_bps=st.sampled_from([0, 1, 15, 100, 1_000]),
    spread_bps=st.sampled_from([0, 50, 100]),
    step=st.sampled_from([1, MICRO]),
)
def test_quantity_for_amount_buys_the_most_that_fits(
    amount: int, price_fx: tuple[int, int | None], fee_bps: int, spread_bps: int, step: int
) -> None:
    price, fx = price_fx

    def total(q: int) -> int:
        return buy_cost(price, q, fx, fee_bps=fee_bps, spread_bps=spread_bps).total

    q = quantity_for_amount(amount, price, fx, fee_bps=fee_bps, spread_bps=spread_bps, step=step)
    assert q >= 0 and q % step == 0
    assert total(q) <= amount < total(q + step)


def test_sell_quantity_for_amount_pins() -> None:
    # raise ₩100,000 at ₩70,000: 0.07 × q ≥ 100,000 → q = 1,428,572 (gross floor(100,000.04) = 100,000)
    assert sell_quantity_for_amount(100_000, KRW_PRICE, None, 10 * MICRO) == 1_428_572
    # whole shares: two (one share raises only 70,000)
    assert sell_quantity_for_amount(100_000, KRW_PRICE, None, 10 * MICRO, step=MICRO) == 2 * MICRO
    # holding less than the amount is worth: sell everything held, never more
    assert sell_quantity_for_amount(100_000, KRW_PRICE, None, MICRO) == MICRO
    # whole shares of a fractional holding: only the whole ones
    assert sell_quantity_for_amount(1_000_000, KRW_PRICE, None, 2_500_000, step=MICRO) == 2 * MICRO


@settings(max_examples=300)
@given(
    amount=st.integers(1, 10**9),
    price_fx=prices,
    held=st.integers(0, 10**4 * MICRO),
    spread_bps=st.sampled_from([0, 50, 100]),
    step=st.sampled_from([1, MICRO]),
)
def test_sell_quantity_for_amount_sells_the_fewest_that_raise_it(
    amount: int, price_fx: tuple[int, int | None], held: int, spread_bps: int, step: int
) -> None:
    price, fx = price_fx

    def gross(q: int) -> int:
        return sell_proceeds(price, q, fx, fee_bps=0, tax_bps=0, spread_bps=spread_bps).gross

    q = sell_quantity_for_amount(amount, price, fx, held, spread_bps=spread_bps, step=step)
    assert 0 <= q <= held and q % step == 0
    if gross(held // step * step) < amount:
        assert q == held // step * step  # not enough shares: sell all that can be sold
    else:
        assert gross(q) >= amount > gross(q - step)


def test_a_real_krw_round_trip_charges_the_child_the_rounded_amounts() -> None:
    book = new_book(HouseRules(fee_bps=15, sell_tax_bps=20))
    quote = publish(book, SAMSUNG, KRW_PRICE)
    place(book, "buy", SAMSUNG, quantity=ODD_QTY, quote=quote)
    assert book.balance("cash") == 1_000_000 - 105_159
    place(book, "sell", SAMSUNG, quantity=ODD_QTY, quote=quote)
    assert book.balance("cash") == 1_000_000 - 105_159 + 104_632
    assert book.stats().realised == 104_632 - 105_159


def test_a_us_round_trip_pays_the_spread_both_ways_and_no_korean_tax() -> None:
    book = new_book(HouseRules(sell_tax_bps=20, fx_spread_bps=100))
    publish(book, FX, FX_RATE)
    quote = publish(book, AAPL, USD_PRICE)
    place(book, "buy", AAPL, quantity=shares(1), quote=quote)
    assert book.balance("cash") == 1_000_000 - 201_907
    effects = place(book, "sell", AAPL, quantity=shares(1), quote=quote)
    assert book.balance("cash") == 1_000_000 - 201_907 + 197_908
    (trade,) = [r for r in effects.records if isinstance(r, Trade)]
    assert trade.tax == 0  # the securities transaction tax applies to KRX sales only

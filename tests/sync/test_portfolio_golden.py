"""Golden portfolio values, each worked out by hand in the comments next to it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync import HouseRules, MemoryBook, Position, Trade, TradeStatus
from sync.portfolio import summarise, time_weighted_return
from sync.trading import apply_split, pay_dividend

from .factory import AAPL, FX, MOM, SAMSUNG, T0, new_book, place, publish, run, shares, usd, won_per_usd

KAKAO = "035720.KQ"


def trade(book: MemoryBook, side: str, symbol: str, n: float | str, price: int) -> Trade:
    """Fill ``n`` shares at exactly ``price`` (a fresh quote the child saw, so no adjustment)."""
    effects = place(book, side, symbol, quantity=shares(n), quote=publish(book, symbol, price))
    (filled,) = [r for r in effects.records if isinstance(r, Trade)]
    assert filled.status is TradeStatus.FILLED and filled.fill_price == price
    return filled


def fx(book: MemoryBook, rate: str) -> None:
    publish(book, FX, won_per_usd(rate))


def test_several_buys_average_their_cost() -> None:
    book = new_book()
    trade(book, "buy", SAMSUNG, 5, 50_000)  # 250,000
    trade(book, "buy", SAMSUNG, 3, 58_000)  # 174,000
    trade(book, "buy", SAMSUNG, 2, 45_500)  #  91,000
    # 10 shares for 515,000: ₩51,500 a share
    assert book.position(SAMSUNG) == Position(SAMSUNG, shares(10), 515_000)
    (holding,) = summarise(book).positions
    assert holding.avg_cost == 51_500
    assert book.balance("cash") == 1_000_000 - 515_000


def test_partial_sells_realise_profit_against_the_average_cost() -> None:
    book = new_book()
    trade(book, "buy", SAMSUNG, 5, 50_000)
    trade(book, "buy", SAMSUNG, 3, 58_000)
    trade(book, "buy", SAMSUNG, 2, 45_500)
    # sell 4 at 60,000 = 240,000; their cost 515,000 × 4/10 = 206,000; profit 34,000
    assert trade(book, "sell", SAMSUNG, 4, 60_000).realised == 34_000
    assert book.position(SAMSUNG) == Position(SAMSUNG, shares(6), 309_000)  # still ₩51,500 a share
    # sell the other 6 at 49,000 = 294,000 against 309,000: a loss of 15,000
    assert trade(book, "sell", SAMSUNG, 6, 49_000).realised == -15_000
    assert book.stats().realised == 34_000 - 15_000
    assert book.position(SAMSUNG) == Position(SAMSUNG, 0, 0)
    assert book.balance("cash") == 1_000_000 + 19_000


def test_a_partial_sell_takes_its_cost_rounded_down_and_the_rest_stays_with_the_position() -> None:
    book = new_book()
    trade(book, "buy", SAMSUNG, 1, 33_333)
    trade(book, "buy", SAMSUNG, 1, 33_333)
    trade(book, "buy", SAMSUNG, 1, 33_334)  # 3 shares for 100,000
    # one share's cost: floor(100,000 / 3) = 33,333; 40,000 − 33,333 = 6,667
    assert trade(book, "sell", SAMSUNG, 1, 40_000).realised == 6_667
    assert book.position(SAMSUNG).cost == 66_667
    # the last two carry the remainder: 80,000 − 66,667 = 13,333; in all exactly 120,000 − 100,000
    assert trade(book, "sell", SAMSUNG, 2, 40_000).realised == 13_333
    assert book.stats().realised == 20_000


def test_a_round_trip_with_fees_and_korean_sell_tax_loses_exactly_the_costs() -> None:
    book = new_book(HouseRules(fee_bps=15, sell_tax_bps=20))
    # buy 10 at 70,000: 700,000 + fee 0.15 % 1,050 = 701,050
    bought = trade(book, "buy", SAMSUNG, 10, 70_000)
    assert (bought.gross, bought.fee, bought.total) == (700_000, 1_050, 701_050)
    assert book.position(SAMSUNG).cost == 701_050  # the fee is part of the cost
    # sell 10 at 70,000: 700,000 − fee 1,050 − tax 0.20 % 1,400 = 697,550
    sold = trade(book, "sell", SAMSUNG, 10, 70_000)
    assert (sold.gross, sold.fee, sold.tax, sold.total) == (700_000, 1_050, 1_400, 697_550)
    assert sold.realised == 697_550 - 701_050 == -3_500
    assert book.balance("cash") == 1_000_000 - 3_500


def test_a_profitable_trade_net_of_rounded_up_fees_and_tax() -> None:
    book = new_book(HouseRules(fee_bps=15, sell_tax_bps=20))
    # buy 3 at 100,001: gross 300,003; fee 450.0045 → 451; cost 300,454
    assert trade(book, "buy", KAKAO, 3, 100_001).total == 300_454
    # sell 3 at 110,000: gross 330,000; fee 495; tax 660; proceeds 328,845; profit 28,391
    sold = trade(book, "sell", KAKAO, 3, 110_000)
    assert (sold.total, sold.realised) == (328_845, 28_391)


def test_a_us_position_keeps_its_cost_in_won_so_an_fx_move_is_profit() -> None:
    book = new_book()
    fx(book, "1300")
    # 2 × $150 × ₩1,300 = 390,000 won of cost
    trade(book, "buy", AAPL, 2, usd(150))
    assert book.position(AAPL) == Position(AAPL, shares(2), 390_000)
    # the dollar rises to ₩1,400, the share price does not move: 2 × 150 × 1,400 = 420,000
    fx(book, "1400")
    (holding,) = summarise(book).positions
    assert (holding.value, holding.unrealized, holding.currency) == (420_000, 30_000, "USD")
    assert holding.avg_cost == 195_000  # won per share
    # sell one at $160 with the dollar back at ₩1,350: 216,000 against 195,000
    #   = 21,000: 10 × 1,350 = 13,500 from the price, 150 × 50 = 7,500 from FX
    fx(book, "1350")
    sold = trade(book, "sell", AAPL, 1, usd(160))
    assert (sold.total, sold.realised, sold.fx_rate) == (216_000, 21_000, won_per_usd("1350"))
    assert book.position(AAPL) == Position(AAPL, shares(1), 195_000)


def test_an_fx_fill_rounds_against_the_child() -> None:
    book = new_book()
    fx(book, "1332.15")
    # $187.43 × ₩1,332.15 = ₩249,684.8745: the child pays 249,685 and, selling, receives 249,684
    assert trade(book, "buy", AAPL, 1, usd("187.43")).total == 249_685
    assert trade(book, "sell", AAPL, 1, usd("187.43")).realised == 249_684 - 249_685


def test_a_dividend_before_a_later_buy_is_realised_profit_not_a_lower_cost() -> None:
    book = new_book()
    trade(book, "buy", SAMSUNG, 10, 70_000)  # 700,000
    # ₩361 a share on 10 shares
    book.apply(pay_dividend(book, SAMSUNG, 361, None, T0 + timedelta(days=30), "div-1"))
    assert book.stats().realised == 3_610
    assert book.balance("cash") == 300_000 + 3_610
    assert book.position(SAMSUNG).cost == 700_000
    # a later buy of 4 at 72,000 = 288,000: 14 shares for 988,000, ₩70,571.43 a share
    trade(book, "buy", SAMSUNG, 4, 72_000)
    assert book.position(SAMSUNG) == Position(SAMSUNG, shares(14), 988_000)
    assert summarise(book).positions[0].avg_cost == 70_571  # rounded down for display
    # sell all 14 at 71,000 = 994,000: +6,000, plus the dividend
    assert trade(book, "sell", SAMSUNG, 14, 71_000).realised == 6_000
    assert book.stats().realised == 9_610
    assert book.balance("cash") == 1_000_000 + 9_610


def test_a_us_dividend_converts_at_the_day_s_fx() -> None:
    book = new_book()
    fx(book, "1300")
    trade(book, "buy", AAPL, 2, usd(150))
    # $0.24 × 2 × ₩1,300 = ₩624
    book.apply(pay_dividend(book, AAPL, usd("0.24"), book.fx_quote(), T0, "div-aapl"))
    assert book.stats().realised == 624


def test_a_split_keeps_the_total_cost_and_scales_the_quantity() -> None:
    book = new_book()
    trade(book, "buy", SAMSUNG, 3, 90_000)  # 270,000
    book.apply(apply_split(book, SAMSUNG, 2, 1, T0))
    assert book.position(SAMSUNG) == Position(SAMSUNG, shares(6), 270_000)  # ₩45,000 a share
    assert book.balance(f"position:{SAMSUNG}") == shares(6)
    book.apply(apply_split(book, SAMSUNG, 3, 4, T0))  # 6 × 3/4 = 4.5 shares, ₩60,000 a share
    assert book.position(SAMSUNG) == Position(SAMSUNG, shares("4.5"), 270_000)
    assert summarise(book, lambda _: None).positions[0].avg_cost == 60_000


def test_a_split_cancels_a_queued_sell_and_releases_its_shares() -> None:
    book = new_book()
    trade(book, "buy", SAMSUNG, 3, 90_000)
    book.open_markets = set()
    effects = place(book, "sell", SAMSUNG, quantity=shares(2), quote=publish(book, SAMSUNG, 90_000))
    (queued,) = [r for r in effects.records if isinstance(r, Trade)]
    book.apply(apply_split(book, SAMSUNG, 2, 1, T0, queued=list(book.trades.values())))
    cancelled = book.trade(queued.trade_id)
    assert cancelled is not None and (cancelled.status, cancelled.note) == (TradeStatus.CANCELLED, "split")
    assert book.balance(f"reserved:{SAMSUNG}") == 0
    assert book.balance(f"position:{SAMSUNG}") == shares(6) == book.position(SAMSUNG).quantity
    place(book, "sell", SAMSUNG, quantity=shares(1), quote=publish(book, SAMSUNG, 45_000))
    with pytest.raises(ValueError, match="queued"):  # a queued sell must not be forgotten
        apply_split(book, SAMSUNG, 2, 1, T0)


def test_the_headline_is_total_value_minus_money_put_in() -> None:
    book = new_book()
    run(
        book,
        "family.grant/v1",
        {"child_id": "kid", "grant_id": "g1", "amount": 100_000, "reason": "생일"},
        actor=MOM,
    )
    trade(book, "buy", SAMSUNG, 10, 50_000)  # 500,000
    trade(book, "sell", SAMSUNG, 5, 60_000)  # 300,000 against 250,000: +50,000 realised
    run(book, "allowance.request/v1", {"request_id": "r1", "amount_game": 30_000})
    decide = {
        "child_id": "kid",
        "request_id": "r1",
        "version": 1,
        "amount_real": 3_000,
        "decision": "approve",
    }
    run(book, "allowance.decide/v1", decide, actor=MOM)
    publish(book, SAMSUNG, 55_000)

    summary = summarise(book)
    # cash: 1,000,000 + 100,000 − 500,000 + 300,000 − 30,000 converted = 870,000
    assert (summary.cash, summary.reserved) == (870_000, 0)
    # 5 shares at 55,000 = 275,000 against a cost of 250,000
    (holding,) = summary.positions
    assert (holding.value, holding.cost, holding.unrealized, holding.price) == (
        275_000,
        250_000,
        25_000,
        55_000,
    )
    # put in: 1,000,000 + 100,000 granted − 30,000 converted = 1,070,000
    # profit: 870,000 + 275,000 − 1,070,000 = 75,000 = 50,000 realised + 25,000 unrealised
    assert (summary.total_value, summary.invested, summary.profit) == (1_145_000, 1_070_000, 75_000)
    assert summary.profit_pct == 7.01  # 75,000 / 1,070,000 = 7.009…%
    assert (summary.realised, summary.convertible_profit) == (50_000, 20_000)

    # a pending request moves money from cash to reserved: the headline does not change
    run(book, "allowance.request/v1", {"request_id": "r2", "amount_game": 10_000}, now=T0 + timedelta(days=2))
    after = summarise(book)
    assert (after.cash, after.reserved, after.total_value, after.profit) == (
        860_000,
        10_000,
        1_145_000,
        75_000,
    )
    assert after.convertible_profit == 10_000


def test_a_position_without_a_price_is_shown_at_cost() -> None:
    book = new_book()
    trade(book, "buy", SAMSUNG, 2, 50_000)
    fx(book, "1300")
    trade(book, "buy", AAPL, 1, usd(100))  # 130,000
    summary = summarise(book, lambda _symbol: None)
    assert [(h.symbol, h.value, h.unrealized, h.price) for h in summary.positions] == [
        (SAMSUNG, 100_000, 0, None),
        (AAPL, 130_000, 0, None),
    ]
    assert summary.profit == 0


def test_time_weighted_return_ignores_when_money_came_in() -> None:
    # period 1: 100,000 → 110,000                       ×1.1
    # period 2: a 50,000 grant at its start, 160,000 → 165,000   ×1.03125
    # period 3: 165,000 → 150,000                        ×0.90909…
    # 1.1 × 1.03125 × (150/165) = 1.03125 → +3.125 %, although value − money put in is 0
    values = [100_000, 110_000, 165_000, 150_000]
    flows = [0, 0, 50_000, 0]
    assert time_weighted_return(values, flows) == pytest.approx(0.03125, abs=1e-12)


def test_time_weighted_return_with_money_taken_out() -> None:
    # 200 → 220 (×1.1); 110 converted out at the start of period 2: 110 → 121 (×1.1); 1.21 − 1
    assert time_weighted_return([200, 220, 121], [0, 0, -110]) == pytest.approx(0.21, abs=1e-12)
    assert time_weighted_return([100], [0]) == 0.0
    with pytest.raises(ValueError):
        time_weighted_return([100, 110], [0])

"""The fill policies of domain.md "Fills", decided through ``decide`` on a child's book."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from sync import Code, FillPolicy, HouseRules, Market, MemoryBook, Rejected, Trade, TradeStatus, policy
from sync.money import MICRO
from sync.policy import target_child
from sync.rules import PRESETS
from sync.trading import fill_queued, pay_dividend

from .factory import (
    AAPL,
    FX,
    MOM,
    OTHER_CHILD,
    SAMSUNG,
    T0,
    new_book,
    place,
    publish,
    run,
    shares,
    trade_id_of,
    usd,
    won_per_usd,
)

JUST_NOW = T0 - timedelta(minutes=1)


def trade(book: MemoryBook, trade_id: str) -> Trade:
    found = book.trade(trade_id)
    assert found is not None
    return found


def rejected(code: Code, call: Callable[..., object], *args: object, **kwargs: object) -> Rejected:
    with pytest.raises(Rejected) as info:
        call(*args, **kwargs)
    assert info.value.code is code, info.value.detail
    return info.value


def test_fresh_newest_cited_quote_fills_at_the_price_the_child_saw() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    publish(book, SAMSUNG, 71_000, at=T0, served=False)  # the server moved on, the child never saw it
    effects = place(book, "buy", SAMSUNG, quantity=shares(2), quote=seen)
    filled = trade(book, trade_id_of(effects))
    assert not effects.adjusted
    assert filled.status is TradeStatus.FILLED
    assert (filled.fill_price, filled.fill_quote_id) == (70_000, seen.quote_id)
    assert book.balance("cash") == 1_000_000 - 140_000


def test_a_quote_exactly_max_quote_age_old_is_still_fresh() -> None:
    book = new_book(HouseRules(max_quote_age_s=20 * 60))
    seen = publish(book, SAMSUNG, 70_000, at=T0 - timedelta(minutes=20))
    publish(book, SAMSUNG, 71_000, at=T0, served=False)
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    assert not effects.adjusted and effects.detail["fill_price"] == 70_000


def test_a_stale_quote_fills_at_the_latest_price_within_the_collar() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=T0 - timedelta(minutes=20, seconds=1))
    publish(book, SAMSUNG, 72_000, at=JUST_NOW, served=False)
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    assert effects.adjusted
    assert effects.detail["fill_price"] == 72_000 and effects.detail["cited_price"] == 70_000
    assert book.balance("cash") == 1_000_000 - 72_000


def test_citing_an_older_better_quote_than_one_already_served_is_adjusted() -> None:
    book = new_book()
    cheap = publish(book, SAMSUNG, 70_000, at=T0 - timedelta(minutes=3))
    publish(book, SAMSUNG, 72_000, at=JUST_NOW)  # also served to this device
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=cheap)
    assert effects.adjusted and effects.detail["fill_price"] == 72_000


def test_a_device_served_no_quote_cannot_cite_an_older_better_one() -> None:
    """It never pulled (or learnt the quote id some other way): its citation is only as good as the
    newest quote the server has; an older one fills at the newest price, adjusted."""
    book = new_book()
    cheap = publish(book, SAMSUNG, 70_000, at=T0 - timedelta(minutes=3), served=False)
    publish(book, SAMSUNG, 72_000, at=JUST_NOW, served=False)
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=cheap)
    assert effects.adjusted and effects.detail["fill_price"] == 72_000


def test_a_device_served_no_quote_citing_the_newest_fills_at_it() -> None:
    book = new_book()
    publish(book, SAMSUNG, 70_000, at=T0 - timedelta(minutes=3), served=False)
    newest = publish(book, SAMSUNG, 72_000, at=JUST_NOW, served=False)
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=newest)
    assert not effects.adjusted and effects.detail["fill_price"] == 72_000


@pytest.mark.parametrize(
    ("side", "latest", "fills"),
    [
        ("buy", 73_500, True),  # 70,000 × 1.05: the edge of the collar
        ("buy", 73_501, False),
        ("sell", 66_500, True),  # 70,000 × 0.95
        ("sell", 66_499, False),
    ],
)
def test_the_collar_bounds_an_adjusted_fill(side: str, latest: int, fills: bool) -> None:
    book = new_book()
    if side == "sell":
        place(book, "buy", SAMSUNG, quantity=shares(1), quote=publish(book, SAMSUNG, 70_000, at=JUST_NOW))
    stale = publish(book, SAMSUNG, 70_000, at=T0 - timedelta(hours=1))
    newest = publish(book, SAMSUNG, latest, at=JUST_NOW, served=False)
    if fills:
        effects = place(book, side, SAMSUNG, quantity=shares(1), quote=stale)
        assert effects.detail["fill_price"] == latest
    else:
        before = book.balances.copy()
        error = rejected(Code.PRICE_MOVED, place, book, side, SAMSUNG, quantity=shares(1), quote=stale)
        assert error.detail["latest_quote_id"] == newest.quote_id  # a one-tap retry at the new price
        assert error.detail["latest_price"] == latest
        assert book.balances == before


def test_a_forged_quote_id_is_unknown() -> None:
    book = new_book()
    real = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    forged = msgspec.structs.replace(real, quote_id="qX")  # a price the server never published
    rejected(Code.QUOTE_UNKNOWN, place, book, "buy", SAMSUNG, quantity=shares(1), quote=forged)


def test_a_price_without_a_quote_id_or_a_quote_of_another_symbol_is_unknown() -> None:
    book = new_book()
    other = publish(book, "035720.KQ", 50_000, at=JUST_NOW)
    publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    rejected(Code.QUOTE_UNKNOWN, place, book, "buy", SAMSUNG, quantity=shares(1), quote=other)
    args = {"trade_id": "t-noquote", "side": "buy", "symbol": SAMSUNG, "quantity": MICRO, "price": 70_000}
    rejected(Code.QUOTE_UNKNOWN, run, book, "trade.place/v1", args)


def test_a_cited_price_that_is_not_the_quote_s_price_is_a_mismatch() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    error = rejected(
        Code.PRICE_MISMATCH, place, book, "buy", SAMSUNG, quantity=shares(1), quote=seen, price=60_000
    )
    assert error.detail["cited_price"] == 70_000
    assert book.balance("cash") == 1_000_000


def test_an_unknown_symbol_cannot_trade() -> None:
    book = new_book()
    rejected(Code.SYMBOL_UNKNOWN, place, book, "buy", "000000.KS", quantity=shares(1))


# --- market closed: queue with a reservation, fill at the open ---------------------------------


def closed_book(rules: HouseRules | None = None) -> MemoryBook:
    book = new_book(rules)
    book.open_markets = set()
    return book


def test_market_closed_queues_a_buy_and_reserves_money_up_to_the_collar() -> None:
    book = closed_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    effects = place(book, "buy", SAMSUNG, quantity=shares(10), quote=seen)
    queued = trade(book, trade_id_of(effects))
    assert queued.status is TradeStatus.QUEUED and effects.detail == {"queued": "market_closed"}
    # the worst price the collar allows: 70,000 × 1.05 = 73,500 a share, × 10
    assert queued.reserved == 735_000
    assert (book.balance("cash"), book.balance("reserved")) == (265_000, 735_000)
    assert book.position(SAMSUNG).quantity == 0


def test_a_queued_buy_fills_at_the_open_within_the_collar() -> None:
    book = closed_book()
    tid = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(10), quote=publish(book, SAMSUNG, 70_000)))
    opening = publish(book, SAMSUNG, 72_000, at=T0 + timedelta(hours=20))
    book.apply(fill_queued(book, tid, opening, opening.as_of))
    filled = trade(book, tid)
    assert (filled.status, filled.fill_price, filled.reserved) == (TradeStatus.FILLED, 72_000, 0)
    assert (book.balance("cash"), book.balance("reserved")) == (1_000_000 - 720_000, 0)
    assert book.position(SAMSUNG).quantity == shares(10)


def test_a_queued_buy_outside_the_collar_at_the_open_is_rejected_and_released() -> None:
    book = closed_book()
    tid = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(10), quote=publish(book, SAMSUNG, 70_000)))
    opening = publish(book, SAMSUNG, 73_501, at=T0 + timedelta(hours=20))
    effects = fill_queued(book, tid, opening, opening.as_of)
    book.apply(effects)
    assert effects.detail["code"] == Code.PRICE_MOVED and effects.detail["latest_price"] == 73_501
    assert trade(book, tid).status is TradeStatus.REJECTED
    assert (book.balance("cash"), book.balance("reserved")) == (1_000_000, 0)
    assert book.position(SAMSUNG).quantity == 0


def test_a_queued_buy_by_amount_reserves_the_amount_and_buys_what_it_fetches_at_the_open() -> None:
    book = closed_book()
    tid = trade_id_of(place(book, "buy", SAMSUNG, amount=100_000, quote=publish(book, SAMSUNG, 70_000)))
    assert book.balance("reserved") == 100_000
    opening = publish(book, SAMSUNG, 71_000, at=T0 + timedelta(hours=20))
    book.apply(fill_queued(book, tid, opening, opening.as_of))
    # ₩100,000 at ₩71,000: 1.408450 shares cost ceil(99,999.95) = 100,000
    assert book.position(SAMSUNG).quantity == 1_408_450
    assert (book.balance("cash"), book.balance("reserved")) == (900_000, 0)


def test_a_queued_sell_reserves_the_shares_and_sells_them_at_the_open() -> None:
    book = new_book()
    place(book, "buy", SAMSUNG, quantity=shares(3), quote=publish(book, SAMSUNG, 70_000, at=JUST_NOW))
    book.open_markets = set()
    tid = trade_id_of(place(book, "sell", SAMSUNG, quantity=shares(2), quote=publish(book, SAMSUNG, 71_000)))
    assert book.balance(f"reserved:{SAMSUNG}") == shares(2)
    assert book.balance(f"position:{SAMSUNG}") == shares(1)
    assert book.position(SAMSUNG).quantity == shares(3)  # still owned, only held back
    rejected(Code.INSUFFICIENT_SHARES, place, book, "sell", SAMSUNG, quantity=shares(2))
    opening = publish(book, SAMSUNG, 68_000, at=T0 + timedelta(hours=20))  # ≥ 71,000 × 0.95 = 67,450
    book.apply(fill_queued(book, tid, opening, opening.as_of))
    assert book.balance(f"reserved:{SAMSUNG}") == 0
    assert book.position(SAMSUNG).quantity == shares(1)
    assert book.balance("cash") == 1_000_000 - 210_000 + 136_000
    assert book.stats().realised == 136_000 - 140_000


def test_cancelling_a_queued_order_releases_its_reservation() -> None:
    book = closed_book()
    tid = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(10), quote=publish(book, SAMSUNG, 70_000)))
    run(book, "trade.cancel/v1", {"trade_id": tid})
    assert trade(book, tid).status is TradeStatus.CANCELLED
    assert (book.balance("cash"), book.balance("reserved")) == (1_000_000, 0)
    rejected(Code.ALREADY_DECIDED, run, book, "trade.cancel/v1", {"trade_id": tid})
    rejected(Code.NOT_FOUND, run, book, "trade.cancel/v1", {"trade_id": "nope"})
    with pytest.raises(Rejected) as info:
        fill_queued(book, tid, publish(book, SAMSUNG, 70_000), T0)
    assert info.value.code is Code.NOT_FOUND


def test_a_parent_may_cancel_a_queued_order_but_another_child_may_not() -> None:
    book = closed_book()
    tid = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=publish(book, SAMSUNG, 70_000)))
    # another child acts on its own book, where this order is not
    assert target_child("trade.cancel/v1", {"trade_id": tid, "child_id": "kid"}, OTHER_CHILD) != "kid"
    assert policy.refusal(MOM, "trade.cancel/v1") is None
    run(book, "trade.cancel/v1", {"trade_id": tid, "child_id": "kid"}, actor=MOM)
    assert book.balance("reserved") == 0


def test_a_filled_trade_cannot_be_cancelled() -> None:
    book = new_book()
    tid = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=publish(book, SAMSUNG, 70_000)))
    rejected(Code.ALREADY_DECIDED, run, book, "trade.cancel/v1", {"trade_id": tid})


def test_next_open_policy_queues_every_order_even_in_session() -> None:
    book = new_book(HouseRules(fill_policy=FillPolicy.NEXT_OPEN))
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=publish(book, SAMSUNG, 70_000))
    assert effects.detail == {"queued": "next_open_policy"}
    assert trade(book, trade_id_of(effects)).status is TradeStatus.QUEUED


def test_practice_fills_at_the_latest_price_with_the_market_closed() -> None:
    book = closed_book(PRESETS["beginner"])
    old = publish(book, SAMSUNG, 70_000, at=T0 - timedelta(days=3))
    publish(book, SAMSUNG, 71_000, at=T0 - timedelta(days=1), served=False)
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=old)
    filled = trade(book, trade_id_of(effects))
    assert (filled.status, filled.fill_price, filled.practice) == (TradeStatus.FILLED, 71_000, True)
    assert effects.adjusted


# --- limit orders -------------------------------------------------------------------------------


def test_limit_orders_need_the_house_rule() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    error = rejected(
        Code.LIMIT_EXCEEDED, place, book, "buy", SAMSUNG, quantity=shares(1), quote=seen, limit_price=69_000
    )
    assert error.detail["rule"] == "limit_orders"


def test_limit_orders_trade_whole_shares_only() -> None:
    book = new_book(HouseRules(limit_orders=True))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    rejected(
        Code.INVALID_ARGS, place, book, "buy", SAMSUNG, quantity=shares("1.5"), quote=seen, limit_price=69_000
    )
    rejected(Code.INVALID_ARGS, place, book, "buy", SAMSUNG, amount=100_000, quote=seen, limit_price=69_000)


def test_a_limit_buy_above_the_price_fills_at_the_quote() -> None:
    book = new_book(HouseRules(limit_orders=True))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    effects = place(book, "buy", SAMSUNG, quantity=shares(2), quote=seen, limit_price=71_000)
    assert trade(book, trade_id_of(effects)).fill_price == 70_000


def test_a_limit_buy_below_the_price_waits_and_fills_only_at_or_under_the_limit() -> None:
    book = new_book(HouseRules(limit_orders=True))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    effects = place(book, "buy", SAMSUNG, quantity=shares(2), quote=seen, limit_price=69_000)
    tid = trade_id_of(effects)
    assert effects.detail == {"queued": "limit_not_reached"}
    assert book.balance("reserved") == 138_000  # the limit price is the worst it can pay
    too_high = publish(book, SAMSUNG, 69_500, at=T0 + timedelta(hours=20))
    probe = fill_queued(book, tid, too_high, too_high.as_of)
    assert probe.detail["code"] == Code.PRICE_MOVED
    low = publish(book, SAMSUNG, 68_000, at=T0 + timedelta(hours=20))
    book.apply(fill_queued(book, tid, low, low.as_of))
    assert trade(book, tid).fill_price == 68_000
    assert (book.balance("cash"), book.balance("reserved")) == (1_000_000 - 136_000, 0)


# --- house-rule limits and money checks ---------------------------------------------------------


def test_a_market_the_parent_switched_off_is_not_allowed() -> None:
    book = new_book(PRESETS["beginner"])  # KRX only
    publish(book, FX, won_per_usd(1300))
    seen = publish(book, AAPL, usd(150), at=JUST_NOW)
    error = rejected(Code.MARKET_NOT_ALLOWED, place, book, "buy", AAPL, quantity=shares(1), quote=seen)
    assert error.detail == {"market": Market.US.value}


def test_trades_per_day_limit() -> None:
    book = new_book(HouseRules(trades_per_day=2))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    error = rejected(Code.LIMIT_EXCEEDED, place, book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    assert error.detail == {"rule": "trades_per_day", "max": 2}
    tomorrow = T0 + timedelta(days=1)
    fresh = publish(book, SAMSUNG, 70_000, at=tomorrow)
    place(book, "buy", SAMSUNG, quantity=shares(1), quote=fresh, now=tomorrow)


def test_trades_per_day_counts_korean_days() -> None:
    # 16:00 UTC on 4 March is 01:00 on 5 March in Seoul; 02:00 UTC on 5 March is 11:00 the same Korean day
    night = datetime(2024, 3, 4, 16, 0, tzinfo=UTC)
    morning = datetime(2024, 3, 5, 2, 0, tzinfo=UTC)
    book = new_book(HouseRules(trades_per_day=1, fill_policy=FillPolicy.PRACTICE))
    place(book, "buy", SAMSUNG, quantity=shares(1), quote=publish(book, SAMSUNG, 70_000, at=night), now=night)
    seen = publish(book, SAMSUNG, 70_000, at=morning)
    rejected(Code.LIMIT_EXCEEDED, place, book, "buy", SAMSUNG, quantity=shares(1), quote=seen, now=morning)


def test_orders_below_the_minimum_are_too_small() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    rejected(Code.ORDER_TOO_SMALL, place, book, "buy", SAMSUNG, amount=999, quote=seen)
    # 0.014 shares × 70,000 = ₩980
    rejected(Code.ORDER_TOO_SMALL, place, book, "buy", SAMSUNG, quantity=shares("0.014"), quote=seen)
    place(book, "buy", SAMSUNG, amount=1_000, quote=seen)  # exactly the minimum is fine


def test_a_queued_order_below_the_minimum_is_refused_when_placed_not_at_the_open() -> None:
    book = closed_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    rejected(Code.ORDER_TOO_SMALL, place, book, "buy", SAMSUNG, amount=999, quote=seen)
    rejected(Code.ORDER_TOO_SMALL, place, book, "buy", SAMSUNG, quantity=shares("0.014"), quote=seen)
    assert book.balance("reserved") == 0


def test_a_queued_sell_below_the_minimum_is_refused_when_placed() -> None:
    book = new_book()
    place(book, "buy", SAMSUNG, quantity=shares(1), quote=publish(book, SAMSUNG, 70_000, at=JUST_NOW))
    book.open_markets = set()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    rejected(Code.ORDER_TOO_SMALL, place, book, "sell", SAMSUNG, quantity=shares("0.014"), quote=seen)
    rejected(Code.ORDER_TOO_SMALL, place, book, "sell", SAMSUNG, amount=500, quote=seen)
    assert book.balance(f"reserved:{SAMSUNG}") == 0


def test_buying_more_than_the_cash_is_insufficient_funds() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    error = rejected(Code.INSUFFICIENT_FUNDS, place, book, "buy", SAMSUNG, quantity=shares(15), quote=seen)
    assert error.detail == {"needed": 1_050_000, "cash": 1_000_000}
    book.open_markets = set()
    # queued: 14 shares at the collar's worst 73,500 need 1,029,000
    rejected(Code.INSUFFICIENT_FUNDS, place, book, "buy", SAMSUNG, quantity=shares(14), quote=seen)
    assert (book.balance("cash"), book.balance("reserved")) == (1_000_000, 0)


def test_selling_shares_not_held_is_insufficient_shares() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    rejected(Code.INSUFFICIENT_SHARES, place, book, "sell", SAMSUNG, quantity=shares(1), quote=seen)
    place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    rejected(Code.INSUFFICIENT_SHARES, place, book, "sell", SAMSUNG, quantity=shares("1.000001"), quote=seen)
    book.open_markets = set()
    rejected(Code.INSUFFICIENT_SHARES, place, book, "sell", SAMSUNG, quantity=shares(2), quote=seen)


def test_a_sell_by_amount_sells_just_enough_shares() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    place(book, "buy", SAMSUNG, quantity=shares(3), quote=seen)
    effects = place(book, "sell", SAMSUNG, amount=100_000, quote=seen)
    # fewest micro-shares raising ₩100,000 at ₩70,000: 1.428572 (floor(100,000.04) = 100,000)
    assert trade(book, trade_id_of(effects)).quantity == 1_428_572
    assert book.position(SAMSUNG).quantity == shares(3) - 1_428_572


def test_min_share_price_and_max_position_rules() -> None:
    book = new_book(HouseRules(min_share_price=5_000, max_position_pct=30))
    penny = publish(book, "035720.KQ", 4_999, at=JUST_NOW)
    error = rejected(Code.LIMIT_EXCEEDED, place, book, "buy", "035720.KQ", quantity=shares(1), quote=penny)
    assert error.detail["rule"] == "min_share_price"
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    place(book, "buy", SAMSUNG, quantity=shares(4), quote=seen)  # 280,000 of 1,000,000 = 28 %
    error = rejected(Code.LIMIT_EXCEEDED, place, book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    assert error.detail["rule"] == "max_position_pct"  # 350,000 would be 35 %


def test_only_the_child_itself_places_its_trades() -> None:
    assert policy.refusal(MOM, "trade.place/v1") is Code.FORBIDDEN
    args = {"trade_id": "t-x", "child_id": "kid"}
    assert target_child("trade.place/v1", args, OTHER_CHILD) == OTHER_CHILD.user_id


def test_a_trade_id_is_used_once() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen, trade_id="same")
    rejected(Code.ID_TAKEN, place, book, "buy", SAMSUNG, quantity=shares(1), quote=seen, trade_id="same")
    assert book.position(SAMSUNG).quantity == shares(1)


def test_quantity_and_amount_are_exclusive() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    rejected(Code.INVALID_ARGS, place, book, "buy", SAMSUNG, quantity=shares(1), amount=70_000, quote=seen)
    rejected(Code.INVALID_ARGS, place, book, "buy", SAMSUNG, quote=seen)


def test_a_us_trade_needs_an_fx_quote() -> None:
    book = new_book()
    seen = publish(book, AAPL, usd(150), at=JUST_NOW)
    error = rejected(Code.QUOTE_UNKNOWN, place, book, "buy", AAPL, quantity=shares(1), quote=seen)
    assert error.detail == {"fx": "USDKRW"}


# --- review fixes: collars for uncited queued orders, waiting limits, leftover fractions -------


def test_a_queued_order_that_cited_no_quote_keeps_a_collar_from_the_price_when_placed() -> None:
    book = closed_book()
    publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    tid = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1)))
    assert trade(book, tid).reference_price == 70_000
    gap_up = publish(book, SAMSUNG, 80_000, at=T0 + timedelta(hours=20))
    effects = fill_queued(book, tid, gap_up, gap_up.as_of)
    assert effects.detail["code"] == Code.PRICE_MOVED  # not filled 14% above what the child saw
    book.apply(effects)
    assert book.balance("cash") == 1_000_000


def test_a_limit_order_far_from_the_price_waits_instead_of_being_refused() -> None:
    book = new_book(HouseRules(limit_orders=True))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    publish(book, SAMSUNG, 80_000, at=T0, served=False)  # well outside the 5% collar of what was seen
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen, limit_price=69_000)
    assert effects.detail == {"queued": "limit_not_reached"}
    assert book.balance("reserved") == 69_000


def test_the_whole_position_can_be_sold_even_below_the_minimum_order() -> None:
    book = new_book()
    place(book, "buy", SAMSUNG, quantity=shares("0.01"), quote=publish(book, SAMSUNG, 100_000, at=JUST_NOW))
    assert book.position(SAMSUNG).quantity == shares("0.01")
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    place(book, "sell", SAMSUNG, quantity=shares("0.01"), quote=seen)  # worth ₩700: a leftover
    assert book.position(SAMSUNG).quantity == 0


def test_a_dollar_dividend_without_an_fx_quote_is_refused() -> None:
    with pytest.raises(ValueError, match="FX"):
        pay_dividend(new_book(), AAPL, usd("0.25"), None, T0, "div-1")  # never micro-dollars paid as won


# --- queued US orders meet the FX rate of the open -----------------------------------------------


def test_a_queued_us_buy_converts_at_the_fx_quote_of_the_open_and_cites_it() -> None:
    book = closed_book()
    publish(book, FX, won_per_usd("1350"), at=JUST_NOW)
    seen = publish(book, AAPL, usd(150), at=JUST_NOW)
    tid = trade_id_of(place(book, "buy", AAPL, quantity=shares(1), quote=seen))
    # held: the collar's worst price at the rate of the evening, rounded up: 157.50 × 1,350
    assert book.balance("reserved") == 212_625
    overnight = publish(book, FX, won_per_usd("1360.123456"), at=T0 + timedelta(hours=19))
    opening = publish(book, AAPL, usd("151.01"), at=T0 + timedelta(hours=20))
    book.apply(fill_queued(book, tid, opening, opening.as_of))
    filled = trade(book, tid)
    assert filled.status is TradeStatus.FILLED
    assert (filled.fx_quote_id, filled.fx_rate) == (overnight.quote_id, 1_360_123_456)
    # 151.01 × 1,360.123456 = 205,392.24… won: the child pays it rounded up
    assert filled.gross == 205_393
    assert (book.balance("cash"), book.balance("reserved")) == (1_000_000 - filled.total, 0)


def test_a_queued_us_buy_the_overnight_fx_makes_unaffordable_is_rejected_and_released() -> None:
    book = closed_book()
    publish(book, FX, won_per_usd("1350"), at=JUST_NOW)
    seen = publish(book, AAPL, usd(150), at=JUST_NOW)
    tid = trade_id_of(place(book, "buy", AAPL, quantity=shares(4), quote=seen))
    assert book.balance("reserved") == 850_500  # 4 × 157.50 × 1,350: the collar covers the price only
    publish(book, FX, won_per_usd("1700"), at=T0 + timedelta(hours=19))  # the won falls hard overnight
    opening = publish(book, AAPL, usd(150), at=T0 + timedelta(hours=20))  # same dollar price
    effects = fill_queued(book, tid, opening, opening.as_of)
    book.apply(effects)
    assert effects.detail["code"] == Code.INSUFFICIENT_FUNDS  # 1,020,000 won > all the child has
    assert trade(book, tid).status is TradeStatus.REJECTED
    assert (book.balance("cash"), book.balance("reserved")) == (1_000_000, 0)

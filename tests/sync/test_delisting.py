"""A delisted stock is settled at its last price: the shares leave for cash, queued orders of it are
cancelled with their reservations released, and the gain or loss against the cost basis is realised."""

from __future__ import annotations

import pytest

from sync.errors import Code, Rejected
from sync.ledger import check_balanced
from sync.records import Trade, TradeStatus
from sync.trading import settle_delisting

from .factory import AAPL, FX, SAMSUNG, T0, later, new_book, place, publish, shares, usd, won_per_usd


def test_a_korean_holding_is_settled_at_its_last_price_and_the_loss_is_realised() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000)
    place(book, "buy", SAMSUNG, quantity=shares(2), quote=seen)
    held = book.position(SAMSUNG)
    cash, realised = book.balance("cash"), book.stats().realised
    effects = settle_delisting(book, SAMSUNG, 61_500, None, later(days=30), "delist:005930.KS")
    check_balanced(effects.entries)
    book.apply(effects)
    assert book.position(SAMSUNG).quantity == 0 and book.position(SAMSUNG).cost == 0
    assert book.balance("cash") == cash + 123_000  # 2 × 61,500 won, no fee and no tax
    assert book.stats().realised == realised + 123_000 - held.cost
    [(name, facts)] = effects.events
    assert name == "StockDelisted"
    assert facts == {
        "symbol": SAMSUNG,
        "shares": shares(2),
        "price": 61_500,
        "amount": 123_000,
        "realised": 123_000 - held.cost,
        "ref": "delist:005930.KS",
    }


def test_queued_orders_of_a_delisted_stock_are_cancelled_and_give_their_reservation_back() -> None:
    book = new_book()
    publish(book, FX, won_per_usd("1300"))
    seen = publish(book, AAPL, usd(150))
    place(book, "buy", AAPL, quantity=shares(3), quote=seen)
    book.open_markets = set()  # the evening: orders queue
    place(book, "sell", AAPL, quantity=shares(1), quote=seen)
    place(book, "buy", AAPL, quantity=shares(1), quote=seen)
    queued = [t for t in book.trades.values() if t.status is TradeStatus.QUEUED]
    assert len(queued) == 2
    effects = settle_delisting(
        book, AAPL, usd("149.5"), book.fx_quote(), later(days=1), "delist:AAPL", queued=queued
    )
    check_balanced(effects.entries)
    book.apply(effects)
    assert book.balance("reserved") == 0 and book.position(AAPL).quantity == 0
    cancelled = [r for r in effects.records if isinstance(r, Trade)]
    assert {t.status for t in cancelled} == {TradeStatus.CANCELLED} and len(cancelled) == 2
    stock = next(f for n, f in effects.events if n == "StockDelisted")
    assert stock["shares"] == shares(3) and stock["amount"] == 583_050  # 3 × $149.50 × 1,300 won


def test_nothing_held_posts_nothing_and_a_dollar_stock_needs_a_rate() -> None:
    book = new_book()
    assert settle_delisting(book, SAMSUNG, 50_000, None, T0, "d").entries == []
    with pytest.raises(ValueError, match="FX"):
        settle_delisting(book, AAPL, usd(10), None, T0, "d")
    with pytest.raises(ValueError, match="positive"):
        settle_delisting(book, SAMSUNG, 0, None, T0, "d")


def test_an_order_for_a_stock_that_trades_no_more_is_refused_before_any_price_is_read() -> None:
    """Its last quote is still there, the market is open: without the rule the buy would fill at a
    price nobody trades at any more, and the sale of shares the settlement is about to take too."""
    book = new_book()
    seen = publish(book, SAMSUNG, 61_500)
    place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    book.ended = frozenset({SAMSUNG})
    for side in ("buy", "sell"):
        with pytest.raises(Rejected) as refused:
            place(book, side, SAMSUNG, quantity=shares(1), quote=seen)
        assert refused.value.code is Code.SYMBOL_ENDED and refused.value.detail == {"symbol": SAMSUNG}
    # the others trade on
    hynix = publish(book, "000660.KS", 120_000)
    assert place(book, "buy", "000660.KS", quantity=shares(1), quote=hynix).records

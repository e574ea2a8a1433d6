"""Child-mode view-models over the core's contract (in-memory stand-ins), with plain pytest."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from client.i18n.catalog import Translator
from client.viewmodels.allowance import AllowanceVM
from client.viewmodels.base import Tools
from client.viewmodels.home import HomeVM
from client.viewmodels.inbox import InboxVM
from client.viewmodels.market import MarketVM
from client.viewmodels.portfolio import PortfolioVM
from client.viewmodels.prefs import Prefs
from client.viewmodels.stock import StockVM
from client.viewmodels.sync_chip import chip_hint, sync_chip
from client.viewmodels.trade import TradeVM, parse_price, parse_quantity
from sync.market import Quote
from sync.money import MICRO
from sync.pricing import quantity_for_amount
from sync.records import Request, RequestStatus
from sync.rules import PRESETS, FillPolicy, HouseRules, Market

from .fakes import KID, NOW, FakeProfile, OutcomeItem, SyncState, SyncStatus, child_book, notification, quote

SAMSUNG = "005930.KS"
_ids = iter(range(10**6))


def build_order(symbol: str, side: str, *, quantity=None, amount=None, quote=None, limit_price=None):
    args: dict[str, Any] = {"trade_id": f"t{next(_ids)}", "side": side, "symbol": symbol}
    if quantity is not None:
        args["quantity"] = quantity
    if amount is not None:
        args["amount"] = amount
    if quote is not None:
        args["quote_id"], args["price"] = quote.quote_id, quote.price
    if limit_price is not None:
        args["limit_price"] = limit_price
    return "trade.place/v1", args


def build_request(amount_game: int):
    return "allowance.request/v1", {"request_id": f"r{next(_ids)}", "amount_game": amount_game}


def profile(**book_kw: Any) -> FakeProfile:
    p = FakeProfile(KID, child_book(**book_kw))
    p.add_quote(quote(SAMSUNG, 71_200))
    return p


def test_home_headline_numbers(ko) -> None:
    p = profile(cash=800_000, positions={SAMSUNG: (3 * MICRO, 200_000)}, realised=20_000)
    vm = HomeVM(p, ko)
    assert vm.total_value == "1,013,600 G₩"  # 800,000 + 3 × 71,200
    assert vm.profit == "+13,600 G₩"
    assert vm.profit_pct == "+1.36%"
    assert vm.cash == "800,000 G₩"
    assert vm.convertible == "20,000 G₩"
    assert vm.sync_text == "2분 전 맞췄어요"
    assert vm.prices_note is None  # a 2-minute-old price is fine
    p.add_quote(quote(SAMSUNG, 71_200, age=timedelta(days=2), qid="weekend"))
    p.quotes[SAMSUNG] = p.book.quotes["weekend"]
    vm.refresh()
    assert vm.prices_note == "가격은 2일 전 것이에요. 인터넷에 연결되면 새 가격을 받아요."


def test_on_a_weekend_the_last_sessions_prices_are_not_called_old(catalogs) -> None:
    """Saturday noon in Seoul: Friday's closing price is the newest there is, so the home screen
    says the market rests instead of "connect for new prices"; Thursday's is old all the same."""
    saturday = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    tools = Tools(Translator(catalogs, "ko"), clock=lambda: saturday, tz=UTC)
    p = profile(cash=800_000, positions={SAMSUNG: (3 * MICRO, 200_000)})
    for qid, as_of in (
        ("fri", datetime(2026, 11, 27, 6, 20, tzinfo=UTC)),
        ("thu", datetime(2026, 11, 26, 6, 20, tzinfo=UTC)),
    ):
        p.add_quote(Quote(qid, SAMSUNG, 71_200, "KRW", as_of, seq=2))
    p.quotes[SAMSUNG] = p.book.quotes["fri"]
    vm = HomeVM(p, tools)
    assert vm.prices_note == "시장이 쉬는 중이라 마지막 거래일(2026-11-27) 가격이에요."
    p.quotes[SAMSUNG] = p.book.quotes["thu"]
    vm.refresh()
    assert vm.prices_note == "가격은 1일 전 것이에요. 인터넷에 연결되면 새 가격을 받아요."


def test_home_chart_online_and_offline(en) -> None:
    p = profile()
    p.api.series = [
        {"t": "2026-11-01T00:00:00+00:00", "value": 1_000_000},
        {"t": NOW.isoformat(), "value": 1_010_000},
    ]
    vm = HomeVM(p, en)
    asyncio.run(vm.load_chart())
    assert [pt.value for pt in vm.chart] == [1_000_000, 1_010_000] and vm.chart_note is None
    p.api.online = False
    asyncio.run(vm.load_chart("1Y"))  # a range never loaded: nothing to show, and why
    assert vm.chart == [] and vm.chart_note == "The chart shows when you're online."
    asyncio.run(vm.load_chart("1M"))  # the one loaded before: shown, and said to be the last one
    assert [pt.value for pt in vm.chart] == [1_000_000, 1_010_000]
    assert vm.chart_note == "You're offline: this is the chart as last loaded."


def test_sync_chip_says_offline_with_waiting_changes(en, ko) -> None:
    status = SyncStatus(SyncState.OFFLINE, NOW - timedelta(minutes=5), 3, None)
    assert sync_chip(status, en) == ("Offline — 3 changes waiting", "warn")
    status = SyncStatus(SyncState.IDLE, NOW - timedelta(minutes=2), 0, None)
    assert sync_chip(status, en) == ("Synced 2 min ago", "ok")
    status = SyncStatus(SyncState.ERROR, None, 0, "RATE_LIMITED")
    assert sync_chip(status, en)[0] == "Too many tries. Take a short break."
    # signed out: a word or two on the chip (the title keeps its room), what a tap does as its hint
    status = SyncStatus(SyncState.SIGNED_OUT, None, 0, "UNAUTHENTICATED")
    assert sync_chip(status, en) == ("Locked", "error")
    assert (chip_hint(status, en), chip_hint(status, ko)) == ("Tap to unlock", "눌러서 다시 열어요")


def test_market_search_is_offline_korean_aware_and_respects_allowed_markets(ko, index) -> None:
    p = profile(rules=HouseRules(markets=("KRX",)))  # type: ignore[arg-type]
    vm = MarketVM(p, ko, index, Prefs())
    vm.search("ㅅㅅㅈㅈ")
    assert vm.results[0].symbol == SAMSUNG and vm.results[0].name == "삼성전자"
    assert vm.results[0].price == "71,200 G₩"  # a KRX price is game money
    vm.search("AAPL")  # a US stock is filtered out for a KRX-only child
    assert vm.results == [] and vm.empty_note == "찾는 주식이 없어요."
    krx, us = vm.markets
    assert krx[1] is True and us[1] is False
    assert us[2].startswith("미국 시장: 닫혀 있어요")


def test_watchlist_persists(ko, index, tmp_path) -> None:
    prefs = Prefs.load(tmp_path / "prefs.json")
    vm = MarketVM(profile(), ko, index, prefs)
    vm.toggle_watch(SAMSUNG)
    assert [r.symbol for r in vm.watchlist] == [SAMSUNG]
    assert Prefs.load(tmp_path / "prefs.json").watchlist == [SAMSUNG]


def test_stock_page_preview_now_queued_and_stale(en, index) -> None:
    p = profile()
    vm = StockVM(p, en, index, SAMSUNG)
    assert vm.preview_text == "Fills now at G₩71,200."
    assert vm.quote_age == "price from 2 min ago"
    # a quote older than max_quote_age: the server will use its own newer price within the collar
    p.add_quote(quote(SAMSUNG, 70_000, age=timedelta(hours=1), qid="old"))
    vm.refresh()
    assert vm.preview.kind == "stale"
    # US stocks at 21:00 New York time: closed, waits for the next opening price
    p.add_quote(quote("AAPL", 190_000_000))
    us = StockVM(p, en, index, "AAPL")
    assert us.preview.kind == "queued"
    assert (
        us.preview_text
        == "Market is closed. It waits for the opening price tomorrow 09:30 New York time (23:30 KST)."
    )  # a viewer in UTC still reads New York's own clock


def test_trade_ticket_predicts_with_the_shared_rules_then_waits(en) -> None:
    p = profile(cash=200_000, rules=HouseRules(fee_bps=15))
    vm = TradeVM(p, en, SAMSUNG, build=build_order)
    vm.set_text("2")
    assert vm.prediction is not None and vm.prediction.status == "filled"
    assert vm.lines == ["2 shares × G₩71,200", "Fee: G₩214", "You pay: G₩142,614"]
    vm.set_text("3")  # 213,600 + fee > 200,000
    assert vm.message == "You don't have enough game money." and not vm.can_review
    vm.set_by("amount")
    vm.set_text("100000")
    trade = vm.prediction.trade
    assert trade.quantity == quantity_for_amount(100_000, 71_200, None, fee_bps=15)  # fractional shares
    assert 99_000 < trade.total <= 100_000  # the fee included, never more than the amount
    vm.review()
    assert vm.stage == "confirm"
    asyncio.run(vm.confirm())
    assert vm.stage == "sent" and vm.sent_status == "Waiting for confirmation"
    assert p.acted[0][0] == "trade.place/v1" and p.acted[0][1]["amount"] == 100_000
    assert vm.sent_args is p.acted[0][1]  # the profile's notification did not swap the order's ids
    assert p.book.balance("cash") < 200_000  # the predicted outcome is visible locally


def test_trade_ticket_rejects_bad_numbers_and_queues_when_closed(en) -> None:
    p = profile(rules=HouseRules(fill_policy=FillPolicy.NEXT_OPEN))
    vm = TradeVM(p, en, SAMSUNG, build=build_order)
    vm.set_text("abc")
    assert vm.message == "Please type a valid number."
    assert parse_quantity("0") is None and parse_quantity("1.0000001") is None
    vm.set_text("1")
    assert vm.prediction.status == "queued"
    assert vm.lines[0].startswith("It will fill at the opening price")


def test_trade_ticket_offers_a_limit_price_only_where_the_house_rules_allow_it(en) -> None:
    classic = TradeVM(profile(), en, SAMSUNG, build=build_order)
    assert not classic.limits_allowed
    classic.set_text("2")
    classic.set_limit("70000")  # not offered, so not used
    assert classic.args is not None and classic.args.get("limit_price") is None

    p = profile(rules=PRESETS["realistic"])
    vm = TradeVM(p, en, SAMSUNG, build=build_order)
    assert vm.limits_allowed
    vm.set_text("2")
    vm.set_limit("70,000")  # below the 71,200 it costs now: it waits for the opening price
    assert vm.prediction.status == "queued"
    assert vm.lines[0] == (
        "When the market opens, it buys if the price is G₩70,000 or less. Otherwise the order is cancelled."
    )
    vm.set_limit("72000")  # at or above today's price: it fills now, at the market price
    assert vm.prediction.status == "filled" and vm.prediction.trade.fill_price == 71_200
    vm.set_limit("abc")
    assert vm.message == "Please type your price as a number." and not vm.can_review
    vm.set_text("1.5")
    vm.set_limit("70000")
    assert vm.message == "With your own price you can only order whole shares."
    vm.set_text("1")
    vm.review()
    asyncio.run(vm.confirm())
    assert p.acted[-1][1]["limit_price"] == 70_000
    assert parse_price("230.50", "USD") == 230_500_000 and parse_price("1.5", "KRW") is None


def test_portfolio_shows_average_cost_and_every_outcome_with_its_reason(ko, index) -> None:
    p = profile(cash=900_000, positions={SAMSUNG: (2 * MICRO, 140_000)})
    p.outcomes = [
        OutcomeItem(
            "m9",
            9,
            "trade.place/v1",
            {"trade_id": "tx", "side": "buy", "symbol": SAMSUNG, "quantity": MICRO},
            "rejected",
            "PRICE_MOVED",
            {},
            created_at=NOW - timedelta(hours=2),  # when she ordered (store migration 0004)
        )  # fmt: skip
    ]
    vm = PortfolioVM(p, ko, index)
    (h,) = vm.holdings
    assert (h.name, h.shares, h.avg_cost, h.value, h.profit) == (
        "삼성전자", "2주", "70,000 G₩", "142,400 G₩", "+2,400 G₩"
    )  # fmt: skip
    assert vm.trades[0].reason is not None and "5%" in vm.trades[0].reason
    assert vm.trades[0].when == "주문한 때: " + ko.fmt.when(NOW - timedelta(hours=2), NOW)  # like every order
    asyncio.run(p.act(*build_order(SAMSUNG, "buy", quantity=MICRO, quote=p.quotes[SAMSUNG])))
    vm.refresh()
    assert vm.trades[1].waiting and vm.trades[1].status == "확인을 기다리는 중"


def test_an_order_the_server_cancelled_reads_why_in_the_trade_list(en, index) -> None:
    """Not the bare note ("data_end"): the sentence the notification used."""
    from sync.records import Trade, TradeStatus

    p = profile()
    cancelled = Trade(
        trade_id="tq", child_id=KID.user_id, side="buy", symbol="GOOGL", status=TradeStatus.CANCELLED,
        policy="quote", created_at=NOW - timedelta(days=1), amount=100_000, note="data_end",
    )  # fmt: skip
    p.book.trades["tq"] = cancelled
    (row,) = PortfolioVM(p, en, index).trades
    assert row.status == "Cancelled" and row.reason == (
        "Our price history for this company ends, so it can't be bought or sold here any more. "
        "The company did not go away."
    )


def test_allowance_shows_real_amount_checks_limits_and_sends(ko) -> None:
    p = profile(realised=30_000)
    vm = AllowanceVM(p, ko, build=build_request)
    assert vm.convertible == "30,000 G₩"
    vm.set_text("15000")
    assert vm.conversion == "15,000 G₩ → 1,500원" and vm.can_submit
    vm.set_text("50000")
    assert vm.problem == "바꿀 수 있는 수익보다 많아요." and not vm.can_submit
    vm.set_text("15000")
    asyncio.run(vm.submit())
    assert vm.notice and vm.requests[0].waiting
    assert vm.requests[0].amounts == "15,000 G₩ → 1,500원"


def test_allowance_shows_the_parents_reason_and_payouts(en) -> None:
    p = profile(realised=30_000)
    base = dict(child_id="kid-1", version=1, created_at=NOW, updated_at=NOW)
    p.book.put(Request(request_id="a", amount_game=10_000, amount_real=1_000, status=RequestStatus.REJECTED,
                       reason="Let's save it for your birthday", **base))  # fmt: skip
    p.book.put(Request(request_id="b", amount_game=20_000, amount_real=2_000, status=RequestStatus.PAID,
                       paid_at=NOW, paid_method="kakaopay", **base))  # fmt: skip
    vm = AllowanceVM(p, en, build=build_request)
    reasons = [r.reason for r in vm.requests]
    assert "Parent said: Let's save it for your birthday" in reasons
    (payout,) = vm.payouts
    assert payout == "2026-11-24 ₩2,000 (KakaoPay)"


def test_inbox_explains_rejections_and_marks_them_seen(en) -> None:
    p = profile()
    p.outcomes = [OutcomeItem("m1", 1, "allowance.request/v1", {}, "rejected", "COOLDOWN", {})]
    p.notifications = [notification("n1", KID, "Filled", "You bought 1 share")]
    vm = InboxVM(p, en)
    vm.attach()
    assert [i.title for i in vm.items] == ["Your allowance request was not done", "Filled"]
    assert vm.items[0].body == "Please wait a bit before asking again." and vm.unread == 2
    asyncio.run(vm.mark_outcomes_seen())
    assert p.seen == ["m1"] and vm.unread == 1  # the view-model followed the profile
    assert asyncio.run(vm.mark_read("n1")) is True and p.api.read == ["n1"]
    p.api.online = False
    assert asyncio.run(vm.mark_read("n1")) is False  # offline: stays unread, nothing breaks


def test_view_models_follow_status_changes(en) -> None:
    p = profile()
    vm = HomeVM(p, en)
    vm.attach()
    p.status = replace(p.status, state=SyncState.OFFLINE)
    p.notify()
    assert vm.sync_text == "Offline"
    vm.detach()


def test_market_hours_trust_the_servers_calendar_until_the_moment_it_named(ko, index) -> None:
    from client.viewmodels import market_hours

    p = profile()
    # a Korean holiday on a Tuesday: the weekday rule says open, the server's calendar says closed
    p.api.status = {
        "markets": [
            {"market": "KRX", "open": False, "session": None, "next_open": "2026-11-25T09:00:00+09:00"},
            {"market": "US", "open": False, "session": None, "next_open": "2026-11-24T09:30:00-05:00"},
        ]
    }
    vm = MarketVM(p, ko, index, Prefs())
    assert vm.markets[0][1] is True  # before the server answers: the weekday rule
    try:
        asyncio.run(vm.load_status())
        krx = vm.markets[0]
        assert (
            krx[1] is False and krx[2] == "한국 시장: 닫혀 있어요 · 한국시간 내일 09:00에 열려요"
        )  # the KRX's own clock, stated, on a device left on UTC
        later = NOW + timedelta(days=1, hours=1)  # past the moment the answer named: the rule again
        assert market_hours.is_open(Market.KRX, later) is True
        p.api.online = False
        asyncio.run(vm.load_status())  # offline: nothing breaks, the remembered answer stays
        assert vm.markets[0][1] is False
    finally:
        market_hours.forget()


def test_us_orders_show_the_exchange_rate_and_cost_in_won(en) -> None:
    p = profile(cash=1_000_000)
    p.add_quote(quote("AAPL", 190_000_000))  # US$190.00
    p.add_quote(quote("USDKRW=X", 1_380_000_000))  # ₩1,380.00 per dollar
    vm = TradeVM(p, en, "AAPL", build=build_order)
    vm.set_text("1")
    # 21:00 in New York: closed, so it waits for the open; the rate is shown because it may move
    assert vm.prediction.status == "queued"
    assert "Exchange rate: 1 US$ = 1,380.00 G₩ (it may change by the open)" in vm.lines
    assert vm.price == "US$190.00 (≈ G₩262,200)"  # dollars, and what a share is in game money


def test_a_filled_us_order_is_paid_in_won_at_the_rate(en) -> None:
    p = profile(cash=1_000_000, rules=HouseRules(fill_policy=FillPolicy.PRACTICE))
    p.add_quote(quote("AAPL", 190_000_000))
    p.add_quote(quote("USDKRW=X", 1_380_000_000))
    vm = TradeVM(p, en, "AAPL", build=build_order)
    vm.set_text("1")
    assert vm.lines == [
        "1 share × US$190.00",
        "Exchange rate: 1 US$ = 1,380.00 G₩",
        "Fee: G₩0",
        "You pay: G₩262,200",
    ]


def test_a_device_left_on_utc_shows_a_korean_family_korean_time() -> None:
    """The web view often runs on a machine left on UTC: "opens tomorrow 00:00" would be wrong for a
    family in Korea, where the KRX opens at 09:00."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from client.i18n import Formatter, Translator, load_catalogs
    from client.viewmodels.base import viewer_timezone

    assert viewer_timezone("ko", UTC) == ZoneInfo("Asia/Seoul")
    assert viewer_timezone("en", UTC) is None  # the device's own zone
    assert viewer_timezone("ko", ZoneInfo("Europe/Berlin")) is None  # a family abroad keeps theirs
    tr = Translator(load_catalogs(), "ko")
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 19:00 in Seoul, after the close
    opens = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # Wednesday 09:00 in Seoul
    assert Formatter(tr, viewer_timezone("ko", UTC)).when(opens, now) == tr("time.tomorrow_at", time="09:00")


KAKAO = "035720.KS"


def test_a_queued_order_restates_quantity_price_fees_total_and_why_more_is_held(ko, en) -> None:
    """The issue's case: 2 Kakao shares at 74,800 while the market is closed hold 157,080 G₩ for a
    149,600 order — the review says so, and why, with the numbers the local book then holds."""
    p = FakeProfile(KID, child_book(cash=500_000, rules=HouseRules(fill_policy=FillPolicy.NEXT_OPEN)))
    p.add_quote(quote(KAKAO, 74_800))
    vm = TradeVM(p, ko, KAKAO, build=build_order)
    vm.set_text("2")
    assert vm.prediction.status == "queued"
    assert vm.lines[1:] == [
        "2주 × 74,800 G₩ (지금 가격)",
        "수수료(예상): 0 G₩",
        "쓰는 돈(예상): 149,600 G₩",
        "149,600 G₩짜리 주문에 157,080 G₩을 맡아 둬요.",
        "시작 가격이 지금보다 5%까지 오를 수 있어서 2주 × 78,540 G₩에 수수료를 더한 만큼 맡아 둬요. "
        "쓰고 남은 돈은 돌려받아요.",
        "시작 가격이 78,540 G₩보다 높으면 주문이 취소되고 돈을 돌려받아요.",
    ]
    vm.review()
    asyncio.run(vm.confirm())
    assert p.book.balance("reserved") == 157_080  # what the review said is what the shared rules hold

    english = TradeVM(FakeProfile(KID, child_book(cash=500_000, rules=HouseRules(
        fill_policy=FillPolicy.NEXT_OPEN, fee_bps=15))), en, KAKAO, build=build_order)  # fmt: skip
    english.profile.add_quote(quote(KAKAO, 74_800))
    english.set_text("2")
    assert english.lines[1:5] == [
        "2 shares × G₩74,800 (today's price)",
        "Fee (estimate): G₩225",
        "You pay (estimate): G₩149,825",
        "G₩157,316 is held for a G₩149,600 order.",  # 2 × 78,540 and its fee
    ]
    assert english.lines[5].startswith("The opening price may be up to 5% higher than now")


def test_a_queued_sell_and_a_queued_us_buy_restate_tax_and_the_exchange_rate(en) -> None:
    rules = HouseRules(fill_policy=FillPolicy.NEXT_OPEN, fee_bps=15, sell_tax_bps=18)
    p = FakeProfile(KID, child_book(cash=1_000_000, positions={KAKAO: (3 * MICRO, 210_000)}, rules=rules))
    p.add_quote(quote(KAKAO, 74_800))
    sell = TradeVM(p, en, KAKAO, build=build_order)
    sell.set_side("sell")
    sell.set_text("2")
    assert sell.lines[1:] == [
        "2 shares × G₩74,800 (today's price)",
        "Fee (estimate): G₩225",
        "Tax (estimate): G₩270",
        "You get (estimate): G₩149,105",
        "Held until then: 2 shares.",
        "If the opening price is below G₩71,060, the order is cancelled and you keep your shares.",
    ]

    p.add_quote(quote("AAPL", 190_000_000))  # US$190.00
    p.add_quote(quote("USDKRW=X", 1_380_000_000))
    us = TradeVM(p, en, "AAPL", build=build_order)
    us.set_text("1")
    assert us.lines[1:5] == [
        "1 share × US$190.00 (today's price)",
        "Exchange rate: 1 US$ = 1,380.00 G₩ (it may change by the open)",
        "Fee (estimate): G₩394",
        "You pay (estimate): G₩262,594",
    ]
    assert "US$199.50" in us.lines[-1]  # the collar's ceiling, in the market's own currency
    us.set_by("amount")
    us.set_text("100000")
    assert "The G₩100,000 you chose is held until then." in us.lines
    assert us.lines[1].startswith("About 0.")  # a fraction of a share at today's price and rate


def test_the_ticket_opens_on_the_side_asked_for_and_names_the_stock_in_the_current_language(
    ko, en, index
) -> None:
    p = profile(positions={SAMSUNG: (2 * MICRO, 140_000)})
    vm = TradeVM(p, en, SAMSUNG, side="sell", build=build_order, index=index)
    assert vm.title == "Sell Samsung Electronics"
    vm.set_text("1")
    assert vm.prediction.trade.side == "sell"
    assert TradeVM(p, ko, SAMSUNG, side="anything", index=index).title == "삼성전자 사기"


def test_an_order_by_amount_says_its_share_count_is_an_estimate(en, ko) -> None:
    """The journey's order: 900,000 G₩ of Microsoft under practice rules. How many shares is decided
    by the price when the order arrives, so the review says "about" (the fill may differ)."""
    for tools, line in (
        (en, "About 43.7995 shares × US$14.89 (today's price)"),
        (ko, "약 43.7995주 × US$14.89 (지금 가격)"),
    ):
        p = profile(cash=1_000_000, rules=HouseRules(fill_policy=FillPolicy.PRACTICE))
        p.add_quote(quote("MSFT", 14_890_000))
        p.add_quote(quote("USDKRW=X", 1_380_000_000))
        vm = TradeVM(p, tools, "MSFT", build=build_order)
        vm.set_by("amount")
        vm.set_text("900000")
        assert vm.prediction is not None and vm.prediction.status == "filled"
        assert vm.prediction.trade.quantity == 43_799_456  # exact in the order; four decimals shown
        assert vm.lines[0] == line
        vm.set_by("quantity")
        vm.set_text("2")  # by quantity the count is exact: no "about"
        assert vm.lines[0].startswith(("2 shares × ", "2주 × "))


def test_a_queued_sell_by_amount_says_its_share_count_is_an_estimate(en) -> None:
    p = profile(positions={SAMSUNG: (5 * MICRO, 350_000)}, rules=HouseRules(fill_policy=FillPolicy.NEXT_OPEN))
    vm = TradeVM(p, en, SAMSUNG, side="sell", build=build_order)
    vm.set_by("amount")
    vm.set_text("100000")
    assert vm.prediction.status == "queued"
    assert vm.lines[1].startswith("About 1.4045 shares × G₩71,200")  # the open's price decides


def test_typing_the_holding_as_shown_sells_exactly_what_is_held(en, index) -> None:
    """48.601899 shares are shown as 48.6019; typing that sells the 48.601899 held (the display rounds,
    the order must not: 48.6019 would be more than she has); any other number is taken as typed."""
    p = profile(positions={SAMSUNG: (48_601_899, 3_400_000)})
    stock = StockVM(p, en, index, SAMSUNG)
    assert stock.held_text == "48.6019 shares"
    vm = TradeVM(p, en, SAMSUNG, side="sell", build=build_order)
    vm.set_text("48.6019")
    assert vm.can_review and vm.args is not None and vm.args["quantity"] == 48_601_899
    assert vm.lines[0] == "48.6019 shares × G₩71,200"
    vm.set_text("48.601899")  # the exact count works too
    assert vm.args["quantity"] == 48_601_899
    vm.set_text("48.6018")  # a part of it: exactly as typed
    assert vm.args["quantity"] == 48_601_800
    buy = TradeVM(p, en, SAMSUNG, build=build_order)
    buy.set_text("48.6019")  # only a sale is read as "what I hold"
    assert buy.args is not None and buy.args["quantity"] == 48_601_900

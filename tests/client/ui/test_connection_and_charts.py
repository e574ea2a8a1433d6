"""Honest connection state and charts a child reads at a glance (issue 15), on the view-models."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import msgspec

from client.viewmodels.charts import load_series, price_source
from client.viewmodels.home import HomeVM
from client.viewmodels.stock import StockVM
from client.viewmodels.sync_chip import connection_banner
from client.viewmodels.trade import TradeVM
from sync.market import Quote

from .fakes import KID, NOW, FakeProfile, SyncState, SyncStatus, child_book, quote
from .test_viewmodels import SAMSUNG, build_order

OFFLINE = SyncStatus(SyncState.OFFLINE, NOW - timedelta(minutes=5), 0, "OFFLINE")


def kid(**kw: Any) -> FakeProfile:
    p = FakeProfile(KID, child_book(**kw))
    p.add_quote(quote(SAMSUNG, 71_200))
    return p


def test_the_banner_says_offline_that_orders_are_kept_and_how_many_wait(ko, en) -> None:
    p = kid()
    assert connection_banner(p.view().status, [], ko) is None  # online: no banner
    p.status = OFFLINE
    vm = TradeVM(p, en, SAMSUNG, build=build_order)
    vm.set_text("1")
    vm.review()
    asyncio.run(vm.confirm())
    view = p.view()
    words = connection_banner(view.status, view.pending, en)
    assert words == (
        "You're offline. Orders are kept on this device and sent when the connection is back. "
        "Orders waiting to be sent: 1"
    )
    korean = connection_banner(view.status, view.pending, ko)
    assert korean is not None and "인터넷에 연결되지 않았어요" in korean and "보낼 주문: 1개" in korean


def test_home_and_the_order_screen_show_the_same_cash_after_an_offline_order(ko) -> None:
    p = kid(cash=800_000)
    p.status = OFFLINE
    home = HomeVM(p, ko)
    home.attach()
    trade = TradeVM(p, ko, SAMSUNG, build=build_order)
    trade.attach()
    trade.set_text("2")
    trade.review()
    asyncio.run(trade.confirm())
    assert home.cash == trade.cash  # one local source: the replayed book
    assert home.cash != "800,000 G₩"  # and it moved with the order, before any sync
    assert home.banner is not None and "보낼 주문: 1개" in home.banner


def test_a_chart_that_gets_no_answer_stops_loading_and_says_offline(ko) -> None:
    p = kid()

    async def never() -> Any:
        await asyncio.sleep(60)

    loaded = asyncio.run(load_series(p, ("x", "1M"), never, lambda a: [], ko, wait_s=0.2))
    assert loaded.points == [] and loaded.note == "그래프는 인터넷에 연결되면 보여요."


def series(values: list[int]) -> list[dict[str, Any]]:
    return [
        {"t": (NOW - timedelta(days=len(values) - 1 - i)).isoformat(), "value": v}
        for i, v in enumerate(values)
    ]


def test_home_chart_has_dates_amounts_direction_and_words(ko) -> None:
    p = kid()
    p.api.series = series([1_000_000, 1_020_000, 1_010_000, 1_030_000, 1_028_800])
    vm = HomeVM(p, ko)
    asyncio.run(vm.load_chart("1W"))
    m = vm.model
    assert m is not None
    assert [t for _, t in m.x_labels] == ["11-20", "11-21", "11-22", "11-23", "11-24"]  # dates
    assert [t for _, t in m.y_labels] == [  # round amounts, one per grid line
        "1,000,000 G₩", "1,010,000 G₩", "1,020,000 G₩", "1,030,000 G₩",
    ]  # fmt: skip
    assert m.tooltips[-1] == "2026-11-24\n1,028,800 G₩"  # never 1028800.0
    assert m.tone == "up"
    assert vm.today_text == "오늘 -1,200 G₩ (-0.12%)"
    assert vm.range_text == "이 기간 +28,800 G₩ (+2.88%)"
    assert vm.twr is not None and "+1.50%" in vm.twr


def test_today_on_the_value_chart_counts_from_yesterday_not_from_the_last_trade(ko) -> None:
    """The value series has a point at every change: a buy, a sale and now, all today. "오늘" is what
    the day brought since yesterday's last value, not the step since the sale."""
    p = kid()
    today = [NOW - timedelta(hours=h) for h in (3, 1)]
    p.api.series = [
        {"t": (NOW - timedelta(days=1)).isoformat(), "value": 1_000_000},
        {"t": today[0].isoformat(), "value": 1_000_000},  # bought at the price: no change yet
        {"t": today[1].isoformat(), "value": 1_038_442},  # sold higher
        {"t": NOW.isoformat(), "value": 1_038_442},  # now (the server's last point)
    ]
    vm = HomeVM(p, ko)
    asyncio.run(vm.load_chart("1W"))
    assert vm.today_text == "오늘 +38,442 G₩ (+3.84%)"

    # the books on the device move on (a sync, a trade): the chart's "now" follows the total above it
    vm.refresh()
    now_value = vm.summary().total_value
    assert vm.chart[-1].value == now_value and vm.total_value == ko.fmt.game(now_value)
    gained = now_value - 1_000_000
    assert vm.today_text.startswith(f"오늘 {ko.fmt.game(gained, signed=True)}")


def test_stock_chart_range_change_and_its_source_in_words(ko, en) -> None:
    p = kid()
    p.api.bars = [
        {"t": (NOW - timedelta(days=2)).isoformat(), "c": 70_000},
        {"t": (NOW - timedelta(days=1)).isoformat(), "c": 72_000},
        {"t": NOW.isoformat(), "c": 71_200},
    ]
    vm = StockVM(p, ko, _index(), SAMSUNG)
    asyncio.run(vm.load_chart("3M"))
    assert vm.range_ == "3M"
    assert vm.today_text == "오늘 -800 G₩ (-1.11%)"
    assert vm.model is not None and vm.model.tone == "up"  # 70,000 → 71,200 over the range
    assert vm.model.tooltips[0] == "2026-11-22\n70,000 G₩"


def test_the_price_source_is_said_in_words(ko, en) -> None:
    assert price_source("replay:2012-03-05", NOW, ko) == "실제 2012-03-05 가격으로 연습 중"
    assert price_source("replay:2012-03-05", NOW, en) == "Practising with real prices of 2012-03-05"
    assert price_source("sim", NOW, ko).startswith("모의 가격")
    assert price_source("sim", NOW, en).startswith("Simulated price")
    assert price_source("yahoo", NOW, en) == "Real market price (as of 2026-11-24)"
    p = kid()
    replayed: Quote = msgspec.structs.replace(quote("AAPL", 12_480_000), source="replay:2012-03-05")
    p.add_quote(replayed)
    vm = StockVM(p, ko, _index(), "AAPL")
    assert vm.source == "실제 2012-03-05 가격으로 연습 중"  # on the page before any chart loads


def _index() -> Any:
    from pathlib import Path

    from client.viewmodels.market import load_index

    return load_index(Path(__file__).resolve().parents[3] / "assets" / "market" / "symbols.json")


def test_a_house_rule_explains_the_stocks_it_hides(ko, en, index) -> None:
    from client.viewmodels.market import MarketVM
    from client.viewmodels.prefs import Prefs
    from sync.rules import HouseRules, Market

    vm = MarketVM(kid(rules=HouseRules(markets=(Market.KRX,))), ko, index, Prefs())
    vm.search("애플")
    assert vm.results == []
    hidden = "부모님이 꺼 둔 시장의 주식은 보이지 않아요: 미국 시장. 사고 싶으면 부모님께 물어봐요."
    assert vm.rule_note == hidden
    vm.search("삼성전자")  # nothing hidden: no note
    assert vm.results and vm.rule_note is None
    both = MarketVM(kid(), en, index, Prefs())
    both.search("Apple")
    assert both.results and both.rule_note is None

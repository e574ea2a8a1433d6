"""Issue 15's screens, in process (Flet's real Session/Page, fake connection): the portfolio's value
chart, tappable holdings, dated orders, a confirmation before cancelling, the parent's rules form."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, timedelta
from typing import Any

import flet as ft

from client.viewmodels.portfolio import PortfolioVM
from sync.money import MICRO
from sync.records import Trade

from .fakes import NOW, FakeRuntime
from .harness import start
from .test_viewmodels import SAMSUNG, build_order, profile
from .test_views import app_main, unlocked


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def month_of_values() -> list[dict[str, Any]]:
    return [
        {"t": (NOW - timedelta(days=29 - d)).isoformat(), "value": 1_000_000 + 1_000 * d} for d in range(30)
    ]


def test_the_portfolio_shows_the_value_chart_and_the_time_weighted_return_in_words() -> None:
    async def go() -> None:
        p = profile(positions={SAMSUNG: (3 * MICRO, 200_000)})
        p.api.series = month_of_values()
        h = await unlocked(FakeRuntime(p), "/child/portfolio", locale="ko")
        await asyncio.sleep(0.05)  # the chart loads once the screen is on the page
        assert h.has_id("portfolio-chart")
        assert h.text_of("portfolio-range-change") == "이 기간 +29,000 G₩ (+2.90%)"
        twr = h.text_of("portfolio-twr")
        assert twr.startswith("시간가중 수익률 +1.50%") and "고른 주식이 얼마나 잘했는지" in twr
        # the same words as home's: one chart for both screens
        home = await unlocked(FakeRuntime(p), "/child", locale="ko")
        await asyncio.sleep(0.05)
        assert home.text_of("home-twr") == twr

    run(go())


def test_a_holding_opens_its_stock_page_with_sell_and_back_leads_to_the_portfolio() -> None:
    async def go() -> None:
        p = profile(positions={SAMSUNG: (3 * MICRO, 200_000)})
        h = await unlocked(FakeRuntime(p), "/child/portfolio")
        assert "tap to see it and sell" in (
            h.all(ft.Semantics, identifier=f"holding-{SAMSUNG}")[0].label or ""
        )
        await h.click(f"holding-{SAMSUNG}")
        assert h.route == f"/child/stock/{SAMSUNG}"
        assert h.has_id("sell")  # selling needs no second search
        assert h.all(ft.NavigationBar)[0].selected_index == 2  # still under the portfolio tab
        await h.click("back")
        assert h.route == "/child/portfolio"

    run(go())


def test_every_order_shows_when_it_was_made_and_cancelling_asks_first() -> None:
    async def go() -> None:
        p = profile()
        name, args = build_order(SAMSUNG, "buy", quantity=2 * MICRO)
        await p.act(name, args)
        trade_id = args["trade_id"]
        h = await unlocked(FakeRuntime(p), "/child/portfolio", locale="ko")
        assert h.text_of(f"trade-when-{trade_id}") == "주문한 때: 오늘 11:00"  # Seoul time
        await h.click(f"cancel-{trade_id}")
        assert (
            h.text_of("cancel-dialog-body")
            == "‘삼성전자 2주 사기’ 주문을 취소해요. 취소한 주문은 되돌릴 수 없어요."
        )
        dialog = h.all(ft.AlertDialog)[0]
        assert dialog.open
        await h.click("cancel-keep")  # a tap by mistake: nothing happens
        assert not dialog.open and [n for n, _ in p.acted] == ["trade.place/v1"]
        await h.click(f"cancel-{trade_id}")
        await h.click("cancel-yes")
        assert [n for n, _ in p.acted] == ["trade.place/v1", "trade.cancel/v1"]
        assert not h.all(ft.AlertDialog)  # closed

    run(go())


def test_an_order_filled_later_says_when_it_was_done_in_english(en, index) -> None:
    p = profile()
    trade = Trade(
        trade_id="t-q", child_id="kid-1", side="buy", symbol=SAMSUNG, status="filled", policy="next_open",
        created_at=NOW - timedelta(days=3), quantity=MICRO, fill_price=70_000, total=70_000,
        filled_at=NOW - timedelta(days=3) + timedelta(hours=15),
    )  # fmt: skip
    p.book.trades["t-q"] = trade
    vm = PortfolioVM(p, replace(en, tz=UTC), index)
    row = next(t for t in vm.trades if t.key == "t-q")
    assert row.when == "Ordered: 2026-11-21 02:00 · Done: 2026-11-21 17:00"


def test_rule_numbers_read_as_money_and_percentages_and_are_stored_as_integers() -> None:
    from client.viewmodels.parent.child_settings import FIELDS, parse_percent_bps

    field = {f.name: f for f in FIELDS}
    assert field["starting_money"].show(1_000_000) == "1,000,000"
    assert field["starting_money"].read("1,500,000") == 1_500_000
    assert field["fee_bps"].show(15) == "0.15" and field["fx_spread_bps"].show(100) == "1"
    assert field["fee_bps"].show(150) == "1.5"
    assert [parse_percent_bps(t) for t in ("0.15", "0.15 %", "1", "1.5", "0")] == [15, 15, 100, 150, 0]
    assert [parse_percent_bps(t) for t in ("0.155", "-1", "abc", "", "1e3", "..")] == [None] * 6
    assert field["cooling_off_s"].show(24 * 3600) == "24" and field["cooling_off_s"].read("48") == 48 * 3600
    assert field["request_cap_month"].show(150_000) == "150,000"


async def parent_on(route: str, locale: str = "ko") -> Any:
    runtime = FakeRuntime(profile(), parent=True)
    runtime.active = runtime.parent_profile  # the parent's own device
    return await start(app_main(runtime, locale=locale), route)


def test_the_rules_form_shows_money_with_separators_percentages_and_each_preset_in_a_sentence() -> None:
    async def go() -> None:
        h = await parent_on("/parent/child/kid-1")
        start = h.by_id("rule-starting_money")
        assert (start.value, start.suffix) == ("1,000,000", "G₩")
        assert h.by_id("rule-request_cap_month").value == "150,000"
        assert h.by_id("rule-request_cap_month").suffix == "원"  # real pocket money
        assert "0.01% 단위" not in " ".join(h.texts())
        for name in ("beginner", "classic", "realistic"):
            assert h.text_of(f"preset-{name}").count(".") >= 1  # its name and a sentence
        assert h.text_of("preset-now") == "지금 규칙: 기본"
        await h.click("preset-realistic")
        fee = h.by_id("rule-fee_bps")
        assert (fee.value, fee.suffix) == ("0.15", "%") and h.text_of("preset-now") == "지금 규칙: 실전"
        await h.type("rule-starting_money", "2000000")
        await h.fire(h.by_id("rule-starting_money"), "blur")
        assert h.by_id("rule-starting_money").value == "2,000,000"  # tidied once the parent moves on
        assert h.text_of("preset-now") == "직접 정한 규칙"
        assert h.text_of("fill-policy-about").startswith("장이 열려 있으면 아이가 본 가격으로")

    run(go())


async def widen(h: Any, width: int = 1280) -> None:
    """What the browser reports when its window is resized."""
    h.session.apply_page_patch({"width": width, "height": 800})
    await h.fire(h.page, "resize", {"width": width, "height": 800})


def test_a_wide_window_has_a_rail_and_the_stock_beside_the_portfolio() -> None:
    async def go() -> None:
        p = profile(positions={SAMSUNG: (3 * MICRO, 200_000), "000660.KS": (MICRO, 150_000)})
        h = await unlocked(FakeRuntime(p), "/child/portfolio", locale="ko")
        assert h.all(ft.NavigationBar) and not h.has_id("nav-rail")  # a phone: the bottom bar
        await widen(h)
        assert h.has_id("nav-rail") and not h.all(ft.NavigationBar)
        assert h.by_id("nav-rail").selected_index == 2
        assert h.has_id("main-column") and h.text_of("stock-name") == "SK하이닉스"  # the first holding
        await h.click(f"holding-{SAMSUNG}")  # a tap shows that stock beside, the route stays
        assert h.route == "/child/portfolio" and h.text_of("stock-name") == "삼성전자"
        assert h.has_id("sell")  # selling right there
        await h.fire(h.by_id("nav-rail"), "change", "1")
        assert h.route == "/child/market" and h.has_id("nav-rail")
        await widen(h, 800)  # narrower again: the bottom bar comes back
        assert h.all(ft.NavigationBar) and not h.has_id("nav-rail")

    run(go())


def test_a_wide_window_shows_the_parent_a_request_beside_the_childs_profile() -> None:
    from sync.records import Request, RequestStatus

    async def go() -> None:
        runtime = FakeRuntime(profile(), parent=True)
        runtime.parent_profile.book.put(
            Request(
                request_id="r-1", child_id="kid-1", version=1, amount_game=20_000, amount_real=2_000,
                status=RequestStatus.PENDING, created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        runtime.active = runtime.parent_profile
        h = await start(app_main(runtime, locale="en"), "/parent/approvals")
        assert not h.has_id("side-column")
        await widen(h)
        assert h.has_id("nav-rail") and h.has_id("approval-r-1")
        assert h.has_id("side-column") and h.text_of("dash-value-kid-1") == "G₩1,000,000"

    run(go())


def test_parent_screens_say_offline_in_words_too() -> None:
    from .fakes import SyncState, SyncStatus

    async def go() -> None:
        runtime = FakeRuntime(profile(), parent=True)
        runtime.active = parent = runtime.parent_profile
        h = await start(app_main(runtime, locale="ko"), "/parent/approvals")
        assert not h.has_id("offline-banner")  # online: the chip alone
        parent.status = SyncStatus(SyncState.OFFLINE, NOW - timedelta(minutes=5), 0, "OFFLINE")
        await parent.act("family.grant/v1", {"child_id": "kid-1", "amount": 5_000, "reason": "생일"})
        await asyncio.sleep(0.05)
        assert h.text_of("offline-banner") == (
            "인터넷에 연결되지 않았어요. 승인과 지급 기록은 이 기기에 저장해 두고, "
            "다시 연결되면 보낼게요. 보낼 일: 1개"
        )
        await h.goto("/parent/payouts")
        assert h.has_id("offline-banner")  # on every parent screen

    run(go())

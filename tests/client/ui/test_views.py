"""Views in process (Flet's real Session/Page, fake connection): routing, enrolment, the parent-mode
switch and its idle lock, and the trade ticket from the stock page to "waiting for confirmation"."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import flet as ft
import pytest

from client.app import make_main
from client.config import load_config
from sync.money import MICRO
from sync.rules import PRESETS

from .fakes import KID, NOW, FakeRuntime, OutcomeItem, notification, quote
from .harness import Harness, settle, start
from .test_viewmodels import SAMSUNG, build_order, build_request, profile


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def app_main(runtime: FakeRuntime, clock: Clock | None = None, locale: str = "en", tmp_path=None):
    return make_main(
        runtime, load_config(), data_dir=tmp_path, clock=clock or Clock(), locale=locale,
        build_order=build_order, build_request=build_request,
    )  # fmt: skip


async def unlocked(runtime: FakeRuntime, route: str = "/", **kw: Any) -> Harness:
    runtime.active = runtime.profile
    return await start(app_main(runtime, **kw), route)


def test_first_start_asks_for_a_pairing_code_then_the_childs_pin() -> None:
    async def go() -> None:
        runtime = FakeRuntime(enrolled=False)
        h = await start(app_main(runtime), "/child")
        assert h.route == "/enroll"  # nothing is enrolled: every route leads here
        assert h.by_id("enroll-server").value == "http://127.0.0.1:8787"
        await h.type("enroll-code", "WRONG")
        await h.click("enroll-join")
        assert h.text_of("enroll-error") == "We couldn't find that."
        await h.type("enroll-code", "ABCD-1234")
        await h.click("enroll-join")
        assert runtime.calls[-1] == "enroll http://127.0.0.1:8787 ABCD-1234 Yongdon"
        # the tablet is 민수's now, and it opens with his PIN
        assert h.route == "/unlock"
        assert h.text_of("unlock-notice") == "This device is 민수's now. Enter 민수's PIN to open it."
        await h.type("unlock-secret", "1234")
        await h.click("unlock-open")
        assert h.route == "/child"

    run(go())


def test_child_unlocks_with_pin() -> None:
    async def go() -> None:
        runtime = FakeRuntime()
        h = await start(app_main(runtime), "/child/market")
        assert h.route == "/unlock"
        await h.type("unlock-secret", "9999")
        await h.click("unlock-open")
        wrong = "That PIN isn't right. If a parent changed it, ask them for the new one."
        assert h.text_of("unlock-error") == wrong and h.route == "/unlock"
        await h.type("unlock-secret", "1234")
        await h.click("unlock-open")
        assert h.route == "/child"

    run(go())


def test_child_home_in_korean_shows_headline_and_sync_state() -> None:
    async def go() -> None:
        runtime = FakeRuntime(profile(cash=800_000))
        h = await unlocked(runtime, locale="ko")
        assert h.route == "/child"
        assert h.text_of("home-profit") == "-200,000 G₩"
        assert h.text_of("sync-chip") == "2분 전 맞췄어요"
        assert h.by_id("sync-chip").content.value == "2분 전 맞췄어요"
        # offline with waiting changes: the chip follows the profile without a reload
        runtime.profile.status = runtime.profile.status.__class__("offline", NOW, 0, None)
        await runtime.profile.act(*build_request(10_000))  # a pending change (refused locally, still waits)
        await asyncio.sleep(0.05)
        assert h.text_of("sync-chip") == "오프라인 — 보낼 일 1개가 기다려요"

    run(go())


def test_tabs_route_between_child_screens() -> None:
    async def go() -> None:
        h = await unlocked(FakeRuntime(profile()))
        nav = h.all(ft.NavigationBar)[0]
        await h.fire(nav, "change", "1")
        assert h.route == "/child/market"
        await h.fire(h.all(ft.NavigationBar)[0], "change", "4")
        assert h.route == "/child/inbox"
        await h.goto("/child/portfolio")  # the browser's back/forward or a typed address
        assert h.route == "/child/portfolio"

    run(go())


def test_parent_routes_need_the_parents_password_and_lock_after_5_idle_minutes() -> None:
    async def go() -> None:
        clock = Clock()
        runtime = FakeRuntime(profile(), parent=True)
        h = await unlocked(runtime, clock=clock)
        await h.goto("/parent")
        assert h.route == "/mode/parent"  # no parent screens without the password
        assert not h.has_id("stepup-email")  # the parent is enrolled here: the password is enough
        await h.type("stepup-password", "wrong")
        await h.click("stepup-submit")
        assert h.text_of("stepup-error") == "That password isn't right." and h.route == "/mode/parent"
        await h.type("stepup-password", "parent-pw")
        await h.click("stepup-submit")
        assert h.route == "/parent"  # the parent group (its screens belong to client/views/parent)
        assert runtime.active is runtime.parent_profile and runtime.stepped_up == ["mom-1"]
        clock.now += timedelta(minutes=4)
        await h.goto("/parent/approvals")  # activity pushes the lock back
        clock.now += timedelta(minutes=4, seconds=59)
        assert h.route == "/parent/approvals"
        app = _app(h)
        assert await app.enforce_idle_lock() is False
        clock.now += timedelta(seconds=2)
        assert await app.enforce_idle_lock() is True
        assert h.route == "/child" and runtime.calls[-1] == "lock" and runtime.active is runtime.profile
        await h.goto("/parent")
        assert h.route == "/mode/parent"  # locked again: the password is needed again

    run(go())


def test_a_parent_signs_in_on_the_childs_device_the_first_time_and_leaves_again() -> None:
    async def go() -> None:
        runtime = FakeRuntime(profile())
        h = await unlocked(runtime)
        await h.goto("/mode/parent")
        await h.type("stepup-email", "mom@example.org")
        await h.type("stepup-password", "parent-pw")
        await h.click("stepup-submit")
        assert h.route == "/parent"
        assert runtime.calls == ["sign_in http://127.0.0.1:8787 mom@example.org Yongdon"]
        app = _app(h)
        await app.shell.leave_parent_mode()  # what the parent screens' "back to child mode" does
        await app.go(app.shell.home_route())
        await settle()  # the browser's echo of the new route
        assert h.route == "/child" and runtime.active is runtime.profile
        await h.goto("/parent")
        assert h.route == "/mode/parent"

    run(go())


def test_trade_ticket_from_stock_page_to_waiting_for_confirmation() -> None:
    async def go() -> None:
        runtime = FakeRuntime(profile(cash=500_000))
        h = await unlocked(runtime, "/child/market")
        await h.type("market-search", "삼성전자")
        await h.click(f"stock-{SAMSUNG}")
        assert h.route == f"/child/stock/{SAMSUNG}"
        assert h.text_of("fill-preview") == "Fills now at G₩71,200."
        await h.click("buy")
        assert h.route == f"/child/trade/{SAMSUNG}"
        await h.type("trade-input", "2")
        assert h.text_of("trade-prediction").startswith("2 shares × G₩71,200")
        await h.click("trade-review")
        await h.click("trade-confirm")
        assert h.text_of("trade-status") == "Waiting for confirmation"
        assert runtime.profile.acted[0][1]["quantity"] == 2_000_000
        assert runtime.profile.acted[0][1]["price"] == 71_200  # the quote the child saw is cited

    run(go())


def test_trade_ticket_shows_the_limit_price_field_only_under_rules_that_allow_it() -> None:
    async def go() -> None:
        h = await unlocked(FakeRuntime(profile()), f"/child/trade/{SAMSUNG}")
        assert not h.has_id("trade-limit")
        runtime = FakeRuntime(profile(rules=PRESETS["realistic"]))
        h = await unlocked(runtime, f"/child/trade/{SAMSUNG}")
        await h.type("trade-input", "2")
        await h.type("trade-limit", "70000")
        assert h.text_of("trade-prediction").startswith("When the market opens, it buys if the price is")
        await h.click("trade-review")
        await h.click("trade-confirm")
        assert runtime.profile.acted[0][1]["limit_price"] == 70_000

    run(go())


def test_trade_ticket_blocks_an_order_the_rules_refuse() -> None:
    async def go() -> None:
        h = await unlocked(FakeRuntime(profile(cash=100_000)), f"/child/trade/{SAMSUNG}")
        await h.type("trade-input", "5")
        assert h.text_of("trade-message") == "You don't have enough game money."
        with pytest.raises(AssertionError, match="disabled"):
            await h.click("trade-review")

    run(go())


def test_switching_language_rerenders_in_korean(tmp_path) -> None:
    async def go() -> None:
        runtime = FakeRuntime(profile())
        h = await unlocked(runtime, "/settings", tmp_path=tmp_path)
        # Flutter's own texts and screen-reader labels ("40 characters remaining", "Back") follow
        # the app's language, not the browser's
        assert h.page.locale_configuration.current_locale.language_code == "en"
        seg = h.by_id("settings-language")
        h.session.apply_patch(seg._i, {"selected": ["ko"]})
        await h.fire(seg, "change")
        await h.goto("/child")
        assert "홈" in [d.label for d in h.all(ft.NavigationBar)[0].destinations]
        configured = h.page.locale_configuration
        assert configured.current_locale == ft.Locale("ko", "KR") in configured.supported_locales
        assert h.page.title == "용돈"

    run(go())


def _app(h: Harness) -> Any:
    # the App is reachable through the route handler bound to the page
    return h.page.on_route_change.__self__


def test_quotes_show_their_age_on_the_stock_page() -> None:
    async def go() -> None:
        p = profile()
        p.add_quote(quote(SAMSUNG, 70_000, age=timedelta(days=2), qid="old-but-newest"))
        p.quotes[SAMSUNG] = p.book.quotes["old-but-newest"]
        h = await unlocked(FakeRuntime(p), f"/child/stock/{SAMSUNG}")
        assert h.text_of("stock-quote-age") == "price from 2 days ago"

    run(go())


def test_inbox_explains_a_refusal_and_a_tap_marks_a_notification_read() -> None:
    async def go() -> None:
        p = profile()
        p.notifications = [notification("n1", KID, "Filled", "You bought 1 share")]
        p.outcomes = [OutcomeItem("m1", 1, "trade.place/v1", {}, "rejected", "PRICE_MOVED", {})]
        h = await unlocked(FakeRuntime(p), "/child/inbox")
        assert "more than 5%" in h.text_of("inbox-m1")
        assert p.seen == ["m1"]  # opening the inbox counts as seeing the explanation
        tap = next(c for c in h.all(ft.GestureDetector))
        await h.fire(tap, "tap")
        assert p.api.read == ["n1"]

    run(go())


@pytest.mark.parametrize(
    ("locale", "label", "title"),
    [
        ("ko", "평균 단가 66,666 G₩", "평균 단가가 뭐예요?"),
        ("en", "Average price G₩66,666", "What is average price?"),
    ],
)
def test_the_average_price_beside_a_holding_is_called_what_its_info_explains(
    locale: str, label: str, title: str
) -> None:
    """One word for the number and its ⓘ, so the child connects the two (3 shares for 200,000 G₩)."""

    async def go() -> None:
        h = await unlocked(FakeRuntime(profile(positions={SAMSUNG: (3 * MICRO, 200_000)})), locale=locale)
        await h.goto("/child/portfolio")
        assert label in h.texts()
        assert h.by_id(f"avg-cost-info-{SAMSUNG}").tooltip == title
        await h.click(f"avg-cost-info-{SAMSUNG}")
        assert h.text_of("glossary-title") == title

    run(go())


def test_a_stock_past_its_price_history_says_trading_ended_and_offers_no_order() -> None:
    """The server's chart answer says GOOGL's history ended (replay): no buy, no sell, no fill preview."""

    async def go() -> None:
        p = profile(positions={"GOOGL": (MICRO, 400_000)})
        p.add_quote(quote("GOOGL", 400_000_000, age=timedelta(days=3)))
        p.api.bars = [{"t": "2013-02-28", "c": 399_000_000}, {"t": "2013-03-01", "c": 400_000_000}]
        p.api.chart = {"ended": {"kind": "data_end", "last_session": "2013-03-01"}, "source": "replay"}
        h = await unlocked(FakeRuntime(p), "/child/stock/GOOGL", locale="ko")
        await settle()
        assert h.text_of("stock-ended") == (
            "우리가 가진 이 회사의 가격 기록은 2013-03-01에서 끝나요. 그래서 여기서는 더 사거나 팔 수 "
            "없어요. 회사가 없어진 것은 아니에요."
        )
        assert not h.has_id("buy") and not h.has_id("sell") and not h.has_id("fill-preview")
        assert not h.has_id("delisting-info")  # our data ending is no delisting

    run(go())


def test_an_order_for_a_stock_the_app_knows_ended_is_refused_in_the_servers_words_at_once() -> None:
    """A deep link to the order screen of a stock that trades no more: the app says what the server
    would answer (SYMBOL_ENDED) and offers no review, from the chart answer it loaded (here in Korean)
    or, offline, from the notification that settled the child's shares (in English)."""

    async def from_the_chart() -> None:
        p = profile(positions={"GOOGL": (MICRO, 400_000)})
        p.add_quote(quote("GOOGL", 400_000_000, age=timedelta(days=3)))
        p.api.bars = [{"t": "2013-02-28", "c": 399_000_000}, {"t": "2013-03-01", "c": 400_000_000}]
        p.api.chart = {"ended": {"kind": "data_end", "last_session": "2013-03-01"}, "source": "replay"}
        h = await unlocked(FakeRuntime(p), "/child/stock/GOOGL", locale="ko")
        await settle()
        await h.goto("/child/trade/GOOGL?side=sell")
        await settle()
        assert h.text_of("trade-message") == (
            "이 주식은 이제 사거나 팔 수 없어요. 왜 그런지는 주식 화면에서 볼 수 있어요."
        )
        await h.type("trade-input", "1")  # typing changes nothing: there is nothing to review
        assert "이 주식은 이제 사거나 팔 수 없어요" in h.text_of("trade-message")
        assert h.by_id("trade-review").controls[0].disabled

    async def from_the_settlement() -> None:
        p = profile()
        p.add_quote(quote(SAMSUNG, 61_500, age=timedelta(days=2)))
        facts = {"version": 1, "symbol": SAMSUNG, "shares": "10", "price": 61_500, "total": 615_000}
        p.notifications.append(
            notification("n-1", KID, "t", "b", event="StockDelisted", data={"facts": facts})
        )
        p.api.online = False
        h = await unlocked(FakeRuntime(p), f"/child/trade/{SAMSUNG}?side=buy")
        await settle()
        assert h.text_of("trade-message") == (
            "This stock can't be bought or sold any more. Its stock page says why."
        )
        assert h.by_id("trade-review").controls[0].disabled

    run(from_the_chart())
    run(from_the_settlement())


def test_a_delisted_stock_says_so_with_its_word_and_the_childs_own_settlement() -> None:
    """Offline, the notification that settled the child's shares is enough to know trading ended."""

    async def go() -> None:
        p = profile()
        p.add_quote(quote(SAMSUNG, 61_500, age=timedelta(days=2)))
        facts = {
            "version": 1,
            "symbol": SAMSUNG,
            "shares": "10",
            "price": 61_500,
            "total": 615_000,
            "profit": 0,
        }
        p.notifications.append(
            notification("n-1", KID, "t", "b", event="StockDelisted", data={"facts": facts})
        )
        p.api.online = False
        h = await unlocked(FakeRuntime(p), f"/child/stock/{SAMSUNG}")
        await settle()
        assert h.text_of("stock-ended") == "This stock was delisted, so it can't be bought or sold any more."
        assert not h.has_id("buy")
        await h.click("delisting-info")
        assert h.text_of("glossary-title") == "What is delisting?"
        assert "Your 10 shares were settled at its last price, G₩61,500" in h.text_of("glossary-example")

    run(go())


def test_a_delisting_the_server_reports_gives_its_last_day(ko: Any, index: Any) -> None:
    from client.viewmodels.stock import StockVM

    p = profile()
    p.api.bars = [{"t": "2026-11-18", "c": 62_000}, {"t": "2026-11-19", "c": 61_500}]
    p.api.chart = {"ended": {"kind": "delisting", "last_session": "2026-11-19"}}
    vm = StockVM(p, ko, index, SAMSUNG)
    assert vm.ended_text is None and vm.can_trade  # until the server says so
    asyncio.run(vm.load_chart())
    assert (
        vm.ended_text
        == "이 주식은 상장 폐지됐어요. 2026-11-19가 마지막 거래일이라서 이제는 사거나 팔 수 없어요."
    )
    assert not vm.can_trade and vm.ended_gloss is not None and vm.ended_gloss.word == "상장 폐지"

"""The app's words: one money language, market times in the market's own zone, Korean particles in
catalog sentences — in Korean and in English."""

from __future__ import annotations

from datetime import UTC, datetime

from client.viewmodels.market_hours import market_time
from sync.rules import Market

SAMSUNG = "005930.KS"


def test_game_money_is_game_won_everywhere_and_real_won_only_for_pocket_money(ko, en) -> None:
    # a KRX price is game money, like cash and totals: the same Kakao price never reads two ways
    assert ko.fmt.price(SAMSUNG, 74_800) == "74,800 G₩" == ko.fmt.game(74_800)
    assert en.fmt.price(SAMSUNG, 74_800) == "G₩74,800" == en.fmt.game(74_800)
    # real won is the parent's pocket money
    assert ko.fmt.won(1_500) == "1,500원"
    assert en.fmt.won(1_500) == "₩1,500"
    # a US price: dollars, and with a rate also the game-won value of one share
    assert en.fmt.price("AAPL", 190_000_000) == "US$190.00"
    assert en.fmt.price("AAPL", 190_000_000, 1_380_000_000) == "US$190.00 (≈ G₩262,200)"
    assert ko.fmt.price("AAPL", 190_000_000, 1_380_000_000) == "US$190.00 (약 262,200 G₩)"
    # the game's exchange rate turns dollars into game won
    assert ko.fmt.fx(1_380_500_000) == "1 US$ = 1,380.50 G₩"
    assert en.fmt.fx(1_380_500_000) == "1 US$ = 1,380.50 G₩"


def test_no_amount_reads_with_both_particles(ko) -> None:
    line = ko.tr("trade.reserved", amount=ko.fmt.game(157_080))
    assert line == "그때까지 157,080 G₩을 맡아 둬요."
    assert "(를)" not in line


def test_krx_times_are_korea_time_on_a_device_left_on_utc(ko, en) -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 19:00 in Seoul, after the close
    opens = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # Wednesday 09:00 in Seoul
    assert market_time(ko, Market.KRX, opens, now) == "한국시간 내일 09:00"
    assert market_time(en, Market.KRX, opens, now) == "tomorrow 09:00 Korea time"  # not "00:00"


def test_us_times_are_new_york_time_with_the_korean_clock_beside(ko, en) -> None:
    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Monday 21:00 in New York
    opens = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)  # Tuesday 09:30 in New York, 23:30 in Seoul
    assert market_time(en, Market.US, opens, now) == "tomorrow 09:30 New York time (23:30 KST)"
    assert market_time(ko, Market.US, opens, now) == "뉴욕 시간 내일 09:30 (한국시간 23:30)"
    # in summer New York is an hour nearer
    summer = datetime(2026, 7, 7, 13, 30, tzinfo=UTC)
    assert market_time(en, Market.US, summer, datetime(2026, 7, 7, 1, 0, tzinfo=UTC)).endswith("(22:30 KST)")


# -- notifications in words ------------------------------------------------------------------------
def _queued_buy() -> dict:
    facts = {
        "version": 1,
        "symbol": "AAPL",
        "side": "buy",
        "quantity": 0,
        "amount": 50_000,
        "reserved": 50_500,
    }
    return {"event": "OrderQueued", "symbol": "AAPL", "facts": facts}


def test_a_notification_is_worded_in_the_readers_language_of_the_moment(ko, en) -> None:
    from client.viewmodels.inbox import InboxVM

    from .fakes import KID, FakeProfile, child_book, notification

    p = FakeProfile(KID, child_book())
    stored_ko = ("주문을 기다리고 있어요", "시장이 열리면 AAPL 주문을 처리할게요.")
    p.notifications = [notification("n1", KID, *stored_ko, event="OrderQueued", data=_queued_buy())]
    vm = InboxVM(p, ko)
    note = vm.notification_items[0]
    assert note.title == "주문을 기다리고 있어요"
    assert note.body == "시장이 열리면 애플 50,000 G₩어치를 살게요. 그때까지 50,500 G₩을 맡아 둬요."
    assert note.when == "5분 전 · 오늘 01:55"
    assert vm.unread == 1  # the inbox tab's badge
    english = InboxVM(p, en).notification_items[0]  # same row, the reader now reads English
    assert english.title == "Your order is waiting"
    assert (
        english.body
        == "We'll buy G₩50,000 worth of Apple when the market opens. G₩50,500 is held until then."
    )


def test_buy_and_sell_read_differently(en) -> None:
    from client.viewmodels.notices import word

    def fill(side: str) -> dict:
        facts = {"version": 1, "symbol": "035720.KS", "side": side, "quantity": 2_000_000, "price": 37_950}
        facts["total"] = 75_900
        return {"event": "TradeExecuted", "title": "t", "body": "b", "data": {"facts": facts}}

    assert (
        word(fill("buy"), "child", en)[1]
        == "You bought 2 shares of Kakao at G₩37,950. It cost G₩75,900 in all."
    )
    assert word(fill("sell"), "child", en)[1] == "You sold 2 shares of Kakao at G₩37,950. You got G₩75,900."


def test_an_old_text_only_notification_still_shows_with_the_name_for_the_code(en) -> None:
    from client.viewmodels.notices import word

    old = {"event": "TradeExecuted", "title": "주문이 체결됐어요", "body": "005930.KS 주문이 체결됐어요."}
    assert word(old, "child", en) == (
        "주문이 체결됐어요",
        "005930.KS 주문이 체결됐어요.",
    )  # no link: as stored
    old["data"] = {"event": "TradeExecuted", "symbol": "005930.KS"}
    assert word(old, "child", en) == ("주문이 체결됐어요", "삼성전자 주문이 체결됐어요.")
    newer = {**old, "data": {"symbol": "005930.KS", "facts": {"version": 2, "symbol": "005930.KS"}}}
    assert word(newer, "child", en)[1] == "삼성전자 주문이 체결됐어요."  # a shape this app does not know


def test_a_parents_notifications_name_the_child_and_real_won(ko, en) -> None:
    from client.viewmodels.notices import word

    n = {
        "event": "AllowanceRequested",
        "title": "x",
        "body": "y",
        "data": {"facts": {"version": 1, "child": "지우", "amount_real": 3_000}},
    }
    assert word(n, "parent", ko) == ("용돈 요청이 왔습니다", "지우의 3,000원 요청이 승인을 기다립니다.")
    assert word(n, "parent", en)[1] == "지우 asks for ₩3,000; it is waiting for your approval."
    alert = {
        "event": "SecurityAlert",
        "data": {"facts": {"version": 1, "who": "엄마", "kind": "new_device", "device": "laptop"}},
    }
    assert word(alert, "parent", en)[1] == (
        "엄마: signed in on a new device 'laptop'. If it was not you, revoke the device."
    )
    erasure = {"version": 1, "who": "아빠", "kind": "erasure_child", "due": "2026-12-13T12:00:00+00:00"}
    asked = {"event": "SecurityAlert", "data": {"facts": erasure}}
    assert word(asked, "parent", ko)[1].startswith(
        "아빠: 아이 한 명의 기록 삭제를 요청했습니다(2026-12-13에 삭제)."
    )
    assert word(asked, "parent", en)[1].startswith("아빠: asked to erase a child's records (on 2026-12-13).")
    off = {
        "event": "SecurityAlert",
        "data": {"facts": {**erasure, "kind": "erasure_cancelled_family", "due": ""}},
    }
    assert (
        word(off, "parent", en)[1]
        == "아빠: called off the erasure of the family's records. Nothing will be erased."
    )


def test_the_stock_page_describes_the_company_in_the_readers_language(ko, en, index) -> None:
    from client.viewmodels.stock import StockVM

    from .fakes import KID, FakeProfile, child_book

    p = FakeProfile(KID, child_book())
    assert StockVM(p, en, index, "AAPL").description.startswith("An American company that makes the iPhone")
    assert StockVM(p, ko, index, "AAPL").description.startswith("아이폰, 맥북")
    assert StockVM(p, en, index, "000100.KS").description.startswith("Yuhan is a drug company")


def test_a_settlement_reads_what_happened_and_the_gain_or_loss(ko, en) -> None:
    from client.viewmodels.notices import word

    def settled(event: str, profit: int) -> dict:
        facts = {"version": 1, "symbol": "005930.KS", "shares": "10", "price": 61_500, "total": 615_000}
        facts["profit"] = profit
        return {"event": event, "title": "t", "body": "b", "data": {"facts": facts}}

    assert word(settled("StockDelisted", -85_070), "child", ko) == (
        "주식이 상장 폐지됐어요",
        "삼성전자 주식이 거래소를 떠났어요(상장 폐지). 가지고 있던 10주를 마지막 가격 61,500 G₩에 정리해서 "
        "615,000 G₩을 받았어요. 산 값보다 85,070 G₩ 적게 받았어요.",
    )
    assert word(settled("StockDelisted", 1_200), "child", en)[1] == (
        "Samsung Electronics was delisted: it no longer trades. Your 10 shares were settled at its last "
        "price, G₩61,500, and you got G₩615,000. That is G₩1,200 more than you paid."
    )
    title, body = word(settled("PriceHistoryEnded", 0), "child", en)
    assert title == "Our price history for this company ends here"
    assert "the company did not go away" in body and body.endswith("That is exactly what you paid.")
    assert "회사가 없어진 것은 아니에요" in word(settled("PriceHistoryEnded", 0), "child", ko)[1]


def test_an_order_the_server_cancelled_says_why_and_what_became_of_the_shares(ko, en) -> None:
    """A waiting order cancelled because the stock trades no more (or was split) says so; a sell
    cancelled by a settlement does not claim the child still has the shares."""
    from client.viewmodels.notices import word

    def cancelled(side: str, reason: str, **more: object) -> dict:
        facts = {"version": 1, "symbol": "GOOGL", "side": side, "reason": reason, **more}
        return {"event": "OrderCancelled", "title": "t", "body": "b", "data": {"facts": facts}}

    en_buy = (
        "Your order to buy G₩100,000 worth of Alphabet Class A was cancelled. Our price history for this "
        "company ends, so it can't be bought or sold here any more. The company did not go away. "
        "The money you set aside is back."
    )
    assert word(cancelled("buy", "data_end", amount=100_000), "child", en)[1] == en_buy
    assert word(cancelled("buy", "data_end", amount=100_000), "child", ko)[1] == (
        "알파벳 A 100,000 G₩어치 사기 주문이 취소됐어요. 우리가 가진 이 회사의 가격 기록이 끝나서 "
        "여기서는 더 사거나 팔 수 없어요. 회사가 없어진 것은 아니에요. 맡겨 둔 돈은 그대로 돌려받았어요."
    )
    sold = cancelled("sell", "delisted", quantity=2_000_000)
    assert word(sold, "child", en)[1] == (
        "Your order to sell 2 shares of Alphabet Class A was cancelled. The stock was delisted, so it "
        "can't be bought or sold any more. The shares you had were settled at the last price, and you "
        "got the money."
    )
    assert word(sold, "child", ko)[1] == (
        "알파벳 A 2주 팔기 주문이 취소됐어요. 이 주식은 상장 폐지되어 이제는 사거나 팔 수 없어요. "
        "가지고 있던 주식은 마지막 가격에 정리해서 돈으로 받았어요."
    )
    # a split's cancelled sell keeps its shares, and says why too
    assert word(cancelled("sell", "split", quantity=2_000_000), "child", en)[1] == (
        "Your order to sell 2 shares of Alphabet Class A was cancelled. The stock was split, so the "
        "order's number of shares and price no longer fit. You still have your shares."
    )

"""The words that teach: the market sentence beside the child's value and the glossary with the child's
own numbers, in Korean and English (view-models only, no Flet)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from client.viewmodels.base import Tools
from client.viewmodels.benchmark import benchmark_words
from client.viewmodels.glossary import TERMS, about_avg_cost, about_diversify, about_fx, about_term
from client.viewmodels.portfolio import PortfolioVM
from client.viewmodels.stock import StockVM
from client.viewmodels.trade import TradeVM
from sync.money import MICRO
from sync.portfolio import Holding

from .fakes import NOW, quote
from .test_viewmodels import SAMSUNG, build_order, profile


def answer(twr: float, index: float, beat: float, **more: Any) -> dict[str, Any]:
    return {"twr_pct": twr, "benchmark_pct": index, "beat_pct": beat, "benchmark_indices": ["^KS11"], **more}


def test_the_market_sentence_says_who_did_better_in_korean(ko: Tools) -> None:
    words = benchmark_words(ko, answer(7.0, 4.0, 3.0, benchmark=[{"t": "x", "value": 1}]))
    assert words.sentence == "시장 전체보다 3.00% 더 벌었어요" and words.tone == "up"
    assert words.detail == "같은 돈을 코스피(한국 시장 전체)에 넣었다면 +4.00%였을 거예요."
    assert words.legend == "회색 선: 같은 돈이 코스피(한국 시장 전체)를 그대로 따라갔다면"
    assert benchmark_words(ko, answer(1.0, 4.0, -3.0)).sentence == "시장 전체보다 3.00% 덜 벌었어요"
    assert benchmark_words(ko, answer(-2.0, -5.0, 3.0)).sentence == "시장 전체보다 3.00% 덜 잃었어요"
    assert benchmark_words(ko, answer(-8.0, -5.0, -3.0)).sentence == "시장 전체보다 3.00% 더 잃었어요"
    assert benchmark_words(ko, answer(4.0, 4.0, 0.0)).sentence == "시장 전체와 똑같이 했어요"


def test_the_market_sentence_in_english(en: Tools) -> None:
    words = benchmark_words(en, answer(7.0, 4.0, 3.0))
    assert words.sentence == "You beat the whole market by 3.00%"
    assert words.detail == "The same money in KOSPI (the whole Korean market) would have made +4.00%."
    assert (
        benchmark_words(en, answer(1.0, 4.0, -3.0)).sentence == "The whole market did 3.00% better than you"
    )
    blend = benchmark_words(en, answer(7.0, 4.0, 3.0, benchmark_indices=["^GSPC", "^KS11"]))
    assert blend.detail == (
        "The same money in a mix of the S&P 500 (the whole US market) and KOSPI (the whole Korean market), "
        "as much of each as you hold would have made +4.00%."
    )


def test_a_missing_index_is_said_not_drawn(ko: Tools, en: Tools) -> None:
    missing = {
        "twr_pct": 2.0,
        "benchmark_indices": ["^KS11"],
        "benchmark_missing": ["^KS11"],
        "benchmark": [],
    }
    words = benchmark_words(ko, missing)
    assert words.sentence is None and words.line == []
    assert words.missing == (
        "코스피(한국 시장 전체) 기록이 여기 없어서 시장 전체와 비교할 수 없어요. "
        "지어낸 선은 보여 주지 않아요."
    )
    assert benchmark_words(en, missing).missing == (
        "There is no record of KOSPI (the whole Korean market) here, so we can't compare you with the "
        "whole market. We never draw a made-up line."
    )


def test_the_chart_draws_the_market_line_beside_the_childs(en: Tools, index: Any) -> None:
    p = profile(positions={SAMSUNG: (3 * MICRO, 200_000)})
    p.api.series = [
        {"t": "2026-11-01T00:00:00+00:00", "value": 1_000_000},
        {"t": NOW.isoformat(), "value": 1_070_000},
    ]
    p.api.market = answer(
        7.0, 4.0, 3.0, benchmark=[{"t": "x", "value": 1_000_000}, {"t": "y", "value": 1_040_000}]
    )
    vm = PortfolioVM(p, en, index)
    asyncio.run(vm.load_chart())
    assert vm.model is not None and vm.model.benchmark == [1_000_000, 1_040_000]
    assert vm.market is not None and vm.market.sentence == "You beat the whole market by 3.00%"


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_every_word_has_a_meaning_and_an_example_in_both_languages(locale: str, request: Any) -> None:
    tools: Tools = request.getfixturevalue(locale)
    for term in TERMS:
        gloss = about_term(tools, term)
        assert gloss.word and gloss.meaning and gloss.example and not gloss.mine
        assert "glossary." not in gloss.title + gloss.meaning + gloss.example  # no key shows through


def test_the_average_price_is_explained_with_the_childs_own_numbers(ko: Tools, en: Tools) -> None:
    # 10 shares of Samsung for 723,000 in all: 72,300 a share
    samsung = Holding(SAMSUNG, 10 * MICRO, 72_300, 723_000, 75_000, "KRW", 750_000, 27_000)
    gloss = about_avg_cost(ko, "삼성전자", samsung)
    assert gloss.mine and gloss.title == "평균 단가가 뭐예요?"
    assert gloss.example == (
        "네 삼성전자 평균 단가는 72,300 G₩이야. 왜냐하면 삼성전자에 모두 723,000 G₩을 내고 10주를 샀으니까, "
        "723,000 G₩ ÷ 10주 = 72,300 G₩이거든."
    )
    assert about_avg_cost(en, "Samsung Electronics", samsung).example == (
        "Your Samsung Electronics average price is G₩72,300, because you paid G₩723,000 in all "
        "for 10 shares: G₩723,000 ÷ 10 shares = G₩72,300."
    )


def test_diversifying_counts_the_childs_companies(ko: Tools) -> None:
    assert about_diversify(ko, ["삼성전자", "카카오"]).example.startswith(
        "너는 지금 2개 회사(삼성전자, 카카오)에"
    )
    assert about_diversify(ko, ["삼성전자"]).example.startswith("너는 지금 삼성전자 한 회사에만")


def test_the_exchange_rate_shows_what_one_us_share_comes_to(en: Tools) -> None:
    gloss = about_fx(en, 1_400 * MICRO, 10 * MICRO)
    assert gloss.example == (
        "The exchange rate is 1 US$ = 1,400.00 G₩ now, so one US share at US$10.00 is about "
        "G₩14,000 in game money."
    )


def test_the_ticket_explains_its_own_fee(ko: Tools) -> None:
    p = profile(cash=1_000_000)
    vm = TradeVM(p, ko, SAMSUNG, build=build_order)
    vm.set_text("2")
    fee_line = next(i for i, line in enumerate(vm.lines) if line.startswith("수수료"))
    gloss = vm.line_glosses[fee_line]
    assert gloss.term == "fee" and gloss.mine
    assert gloss.example.startswith("이번 주문은 142,400 G₩어치라서 수수료로")  # 2 × 71,200


def test_a_closed_market_explains_the_open_price_with_the_stocks_own_price(en: Tools, index: Any) -> None:
    p = profile()
    assert StockVM(p, en, index, SAMSUNG).preview_gloss is None  # KRX is open: it fills now
    p.add_quote(quote("AAPL", 190_000_000))  # 21:00 in New York: the order waits for the open
    gloss = StockVM(p, en, index, "AAPL").preview_gloss
    assert gloss is not None and gloss.term == "open_close" and gloss.mine
    assert gloss.example.startswith("The last price of Apple is US$190.00")
    assert "open at tomorrow 09:30 New York time (23:30 KST)" in gloss.example


def test_a_dividend_in_the_inbox_explains_the_word_with_what_the_child_received(ko: Tools) -> None:
    from client.viewmodels.inbox import notification_item
    from client.viewmodels.notices import FACTS_VERSION

    facts = {"version": FACTS_VERSION, "symbol": SAMSUNG, "amount": 1_083, "shares": "3"}
    n = {
        "notification_id": "n1",
        "event": "DividendPaid",
        "title": "t",
        "body": "b",
        "data": {"facts": facts},
    }
    item = notification_item(n, ko, NOW)
    assert item.gloss is not None and item.gloss.term == "dividend" and item.gloss.mine
    assert item.gloss.title == "배당이 뭐예요?"
    assert item.gloss.example == item.body and "1,083 G₩" in item.body
    assert notification_item({**n, "event": "TradeExecuted"}, ko, NOW).gloss is None
    assert notification_item(n, ko, NOW, role="parent").gloss is None


def test_a_delisting_in_the_inbox_explains_the_word_with_the_last_price_and_the_shares(
    ko: Tools, en: Tools
) -> None:
    from client.viewmodels.inbox import notification_item
    from client.viewmodels.notices import FACTS_VERSION

    # 10 shares settled at the last price, 61,500 G₩ each: 615,000 G₩ back
    facts = {"version": FACTS_VERSION, "symbol": SAMSUNG, "shares": "10", "price": 61_500, "total": 615_000}
    n = {"notification_id": "n1", "event": "StockDelisted", "title": "t", "body": "b", "data": {}}
    item = notification_item({**n, "data": {"facts": {**facts, "profit": -85_070}}}, ko, NOW)
    assert item.gloss is not None and item.gloss.mine and item.gloss.title == "상장 폐지가 뭐예요?"
    assert item.gloss.meaning.startswith("회사 주식이 거래소(주식 시장)에서 더는 사고팔리지 않게")
    assert "10주를 마지막 가격 61,500 G₩에 정리해서 615,000 G₩을 받았어요" in item.gloss.example
    english = notification_item({**n, "data": {"facts": {**facts, "profit": 0}}}, en, NOW).gloss
    assert english is not None and english.title == "What is delisting?"
    assert "Your 10 shares were settled at its last price, G₩61,500" in english.example
    # our price history ending is not a delisting: the company did not go away
    assert notification_item({**n, "event": "PriceHistoryEnded"}, ko, NOW).gloss is None


def test_the_inbox_says_share_counts_by_the_same_rule_as_every_screen(ko: Tools, en: Tools) -> None:
    """A fill's notice and a dividend's (whose count the server sends as text: six decimals in older
    notifications) read like the portfolio: "48.6019주", never "48.601899주"."""
    from client.viewmodels.inbox import notification_item
    from client.viewmodels.notices import FACTS_VERSION

    fill = {"version": FACTS_VERSION, "symbol": SAMSUNG, "side": "buy", "quantity": 48_601_899}
    fill |= {"price": 71_000, "total": 3_450_735}
    dividend = {"version": FACTS_VERSION, "symbol": SAMSUNG, "amount": 17_546, "shares": "48.601899"}
    for event, facts in (("TradeExecuted", fill), ("DividendPaid", dividend)):
        n = {"notification_id": "n1", "event": event, "title": "t", "body": "b", "data": {"facts": facts}}
        assert "48.6019주" in notification_item(n, ko, NOW).body
        assert "48.6019 shares" in notification_item(n, en, NOW).body
        assert "48.601899" not in notification_item(n, ko, NOW).body

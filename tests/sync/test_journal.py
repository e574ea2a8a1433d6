"""The trade journal: the child's one sentence on why, kept with the trade; a house rule can ask for it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync import Code, HouseRules, Rejected, TradeStatus
from sync.journal import journal_of, require_journal
from sync.protocol import JOURNAL_MAX
from sync.rules import RulesChange
from sync.trading import fill_queued

from .factory import SAMSUNG, T0, new_book, place, publish, shares, trade_id_of

JUST_NOW = T0 - timedelta(minutes=1)
WHY = "삼성전자가 새 휴대폰을 잘 팔 것 같아서"


def test_the_sentence_is_kept_with_the_filled_trade_without_its_blanks() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen, journal=f"  {WHY} "))
    trade = book.trade(trade_id)
    assert trade is not None and (trade.status, trade.journal) == (TradeStatus.FILLED, WHY)


def test_a_queued_order_keeps_its_sentence_through_the_fill_at_the_open() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    book.open_markets.clear()
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen, journal=WHY))
    book.apply(fill_queued(book, trade_id, publish(book, SAMSUNG, 70_500), T0 + timedelta(hours=20)))
    trade = book.trade(trade_id)
    assert trade is not None and (trade.status, trade.journal) == (TradeStatus.FILLED, WHY)


def test_without_a_sentence_the_trade_has_none_and_a_blank_one_is_none() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    plain = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    blank = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen, journal="   "))
    assert [book.trade(t).journal for t in (plain, blank)] == [None, None]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "journal",
    ["x" * (JOURNAL_MAX + 1), "첫 줄\n둘째 줄", "탭\t하나", "널\x00", "벨\x07", "\x85다음 줄"],
)
def test_a_sentence_too_long_or_with_control_characters_is_invalid(journal: str) -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    with pytest.raises(Rejected) as info:
        place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen, journal=journal)
    assert info.value.code is Code.INVALID_ARGS
    assert journal not in str(info.value.detail)  # the child's words are not echoed into the outcome
    assert book.trades == {}


def test_a_sentence_of_exactly_the_limit_in_korean_is_kept() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    longest = "가" * JOURNAL_MAX
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen, journal=longest))
    assert book.trade(trade_id).journal == longest  # type: ignore[union-attr]


def test_the_house_rule_refuses_an_order_without_a_sentence_buy_or_sell() -> None:
    book = new_book(HouseRules(journal_required=True))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    for journal in (None, "", "  "):
        with pytest.raises(Rejected) as info:
            place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen, journal=journal)
        assert (info.value.code, info.value.detail) == (Code.JOURNAL_REQUIRED, {"rule": "journal_required"})
    assert book.trades == {} and book.balance("cash") == 1_000_000  # nothing moved
    place(book, "buy", SAMSUNG, quantity=shares(2), quote=seen, journal=WHY)
    with pytest.raises(Rejected) as info:
        place(book, "sell", SAMSUNG, quantity=shares(1), quote=seen)
    assert info.value.code is Code.JOURNAL_REQUIRED
    place(book, "sell", SAMSUNG, quantity=shares(1), quote=seen, journal="반만 팔아 볼래요")


def test_the_rule_is_off_by_default_and_a_parent_can_switch_it() -> None:
    assert HouseRules().journal_required is False
    assert RulesChange(journal_required=True).journal_required is True
    require_journal(HouseRules(), None)
    with pytest.raises(Rejected):
        require_journal(HouseRules(journal_required=True), " ")


def test_journal_of_strips_and_empties_to_none() -> None:
    assert [journal_of(t) for t in (None, "", " \u3000 ", " 왜냐하면 ")] == [None, None, None, "왜냐하면"]

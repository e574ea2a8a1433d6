"""Graded trade approval: which orders wait for a parent, and what approving or declining does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync import Code, HouseRules, Rejected, TradeStatus
from sync.approval import needs_approval
from sync.rules import FillPolicy, RulesChange, TradeApproval
from sync.trading import fill_queued

from .factory import CHILD, DAD, MOM, SAMSUNG, T0, new_book, place, publish, run, shares, trade_id_of

JUST_NOW = T0 - timedelta(minutes=1)
START = 1_000_000


def _rules(mode: TradeApproval, **more: int) -> HouseRules:
    return HouseRules(trade_approval=mode, **more)  # type: ignore[arg-type]


def _decide(book, trade_id: str, decision: str, *, actor=MOM, reason: str | None = None, now=T0):  # type: ignore[no-untyped-def]
    args = {"child_id": CHILD.user_id, "trade_id": trade_id, "decision": decision}
    if reason is not None:
        args["reason"] = reason
    return run(book, "trade.decide/v1", args, actor=actor, now=now)


def _status(book, trade_id: str) -> TradeStatus:  # type: ignore[no-untyped-def]
    trade = book.trade(trade_id)
    assert trade is not None
    return trade.status


def test_off_by_default_an_order_fills_without_a_parent() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    assert _status(book, trade_id_of(effects)) is TradeStatus.FILLED


def test_every_trade_waits_holding_the_money_like_a_queued_order() -> None:
    book = new_book(_rules(TradeApproval.EVERY))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    effects = place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen)
    trade_id = trade_id_of(effects)
    assert effects.detail == {"awaiting": "parent"}
    assert ("TradeApprovalRequested", {"trade_id": trade_id}) in effects.events
    assert _status(book, trade_id) is TradeStatus.AWAITING
    held = 73_500  # 70,000 plus the 5% collar: the most it may fill at
    assert (book.balance("cash"), book.balance("reserved")) == (START - held, held)
    assert book.trade(trade_id).reference_price == 70_000  # type: ignore[union-attr]


def test_a_waiting_sell_holds_its_shares() -> None:
    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    place(book, "buy", SAMSUNG, quantity=shares(3), quote=seen)
    book.rules_ = _rules(TradeApproval.EVERY)
    trade_id = trade_id_of(place(book, "sell", SAMSUNG, quantity=shares(2), quote=seen))
    assert _status(book, trade_id) is TradeStatus.AWAITING
    assert book.balance(f"position:{SAMSUNG}") == shares(1)
    assert book.balance(f"reserved:{SAMSUNG}") == shares(2)


@pytest.mark.parametrize(("threshold", "waits"), [(69_999, True), (70_000, False), (70_001, False)])
def test_above_a_threshold_only_an_order_whose_total_is_above_it_waits(threshold: int, waits: bool) -> None:
    book = new_book(_rules(TradeApproval.ABOVE, approval_above=threshold))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    assert _status(book, trade_id) is (TradeStatus.AWAITING if waits else TradeStatus.FILLED)


def test_above_a_threshold_counts_the_fee_and_an_order_by_amount_its_amount() -> None:
    book = new_book(_rules(TradeApproval.ABOVE, approval_above=70_000, fee_bps=15))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    with_fee = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    assert _status(book, with_fee) is TradeStatus.AWAITING  # 70,000 + 105 fee is above
    by_amount = trade_id_of(place(book, "buy", SAMSUNG, amount=70_000, quote=seen))
    assert _status(book, by_amount) is TradeStatus.FILLED


def test_the_first_n_trades_wait_then_the_child_trades_alone() -> None:
    book = new_book(_rules(TradeApproval.FIRST, approval_first=2))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    first = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    second = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    assert [_status(book, t) for t in (first, second)] == [TradeStatus.AWAITING] * 2
    _decide(book, first, "approve")
    declined = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    _decide(book, declined, "decline", reason="하나만 사 보자")  # a declined order is no trade
    _decide(book, second, "approve")
    assert book.filled_trades() == 2
    alone = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    assert _status(book, alone) is TradeStatus.FILLED


def test_needs_approval_edges() -> None:
    assert not needs_approval(HouseRules(), 10**9, 0)
    assert needs_approval(_rules(TradeApproval.EVERY), 0, 100)
    assert needs_approval(_rules(TradeApproval.ABOVE, approval_above=0), 1, 0)
    assert not needs_approval(_rules(TradeApproval.ABOVE, approval_above=0), 0, 0)
    assert needs_approval(_rules(TradeApproval.FIRST, approval_first=1), 10**9, 0)
    assert not needs_approval(_rules(TradeApproval.FIRST, approval_first=1), 10**9, 1)


def test_approved_while_the_market_is_open_fills_at_the_current_quote() -> None:
    book = new_book(_rules(TradeApproval.EVERY))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    now = T0 + timedelta(hours=1)
    current = publish(book, SAMSUNG, 72_000, at=now)
    effects = _decide(book, trade_id, "approve", now=now)
    trade = book.trade(trade_id)
    assert trade is not None and trade.status is TradeStatus.FILLED
    assert (trade.fill_price, trade.fill_quote_id, trade.decided_by) == (
        72_000,
        current.quote_id,
        MOM.user_id,
    )
    assert effects.detail["approved"] is True
    assert (book.balance("cash"), book.balance("reserved")) == (START - 72_000, 0)


def test_approved_while_open_beyond_the_collar_is_rejected_and_released() -> None:
    book = new_book(_rules(TradeApproval.EVERY))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    publish(book, SAMSUNG, 74_000)  # above 70,000 + 5%
    effects = _decide(book, trade_id, "approve")
    trade = book.trade(trade_id)
    assert trade is not None and (trade.status, trade.note) == (TradeStatus.REJECTED, "PRICE_MOVED")
    assert effects.detail["code"] == "PRICE_MOVED"
    assert (book.balance("cash"), book.balance("reserved")) == (START, 0)


def test_approved_while_closed_becomes_a_queued_order_for_the_next_open() -> None:
    book = new_book(_rules(TradeApproval.EVERY))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    book.open_markets.clear()
    approved_at = T0 + timedelta(hours=8)
    effects = _decide(book, trade_id, "approve", now=approved_at)
    trade = book.trade(trade_id)
    assert trade is not None and trade.status is TradeStatus.QUEUED
    assert (trade.queued_at, effects.detail) == (approved_at, {"approved": True, "queued": "market_closed"})
    assert book.balance("reserved") == 73_500  # still held, now for the open
    book.apply(fill_queued(book, trade_id, publish(book, SAMSUNG, 70_500), T0 + timedelta(hours=23)))
    assert _status(book, trade_id) is TradeStatus.FILLED
    assert (book.balance("cash"), book.balance("reserved")) == (START - 70_500, 0)


def test_approved_under_the_next_open_policy_waits_for_the_open_even_when_open() -> None:
    book = new_book(_rules(TradeApproval.EVERY, fill_policy=FillPolicy.NEXT_OPEN))  # type: ignore[arg-type]
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    assert _decide(book, trade_id, "approve").detail == {"approved": True, "queued": "next_open_policy"}
    assert _status(book, trade_id) is TradeStatus.QUEUED


def test_declining_needs_a_reason_then_releases_and_tells_the_child_why() -> None:
    book = new_book(_rules(TradeApproval.EVERY))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    for reason in (None, "   "):
        with pytest.raises(Rejected) as info:
            _decide(book, trade_id, "decline", reason=reason)
        assert info.value.code is Code.INVALID_ARGS
    effects = _decide(book, trade_id, "decline", reason="이번 주는 쉬어 가자")
    trade = book.trade(trade_id)
    assert trade is not None
    assert (trade.status, trade.note, trade.decision_reason) == (
        TradeStatus.CANCELLED,
        "declined",
        "이번 주는 쉬어 가자",
    )
    assert ("TradeDeclined", {"trade_id": trade_id, "reason": "이번 주는 쉬어 가자"}) in effects.events
    assert (book.balance("cash"), book.balance("reserved")) == (START, 0)


def test_the_child_may_cancel_a_waiting_order_and_then_no_parent_can_decide_it() -> None:
    book = new_book(_rules(TradeApproval.EVERY))
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    run(book, "trade.cancel/v1", {"trade_id": trade_id})
    assert _status(book, trade_id) is TradeStatus.CANCELLED
    assert (book.balance("cash"), book.balance("reserved")) == (START, 0)
    with pytest.raises(Rejected) as info:
        _decide(book, trade_id, "approve")
    assert info.value.code is Code.ALREADY_DECIDED


def test_the_second_parent_finds_it_already_decided_by_the_first() -> None:
    book = new_book(_rules(TradeApproval.EVERY), parents=2)
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    trade_id = trade_id_of(place(book, "buy", SAMSUNG, quantity=shares(1), quote=seen))
    _decide(book, trade_id, "approve", actor=MOM)
    with pytest.raises(Rejected) as info:
        _decide(book, trade_id, "decline", actor=DAD, reason="no")
    assert (info.value.code, info.value.detail) == (
        Code.ALREADY_DECIDED,
        {"status": "filled", "by": MOM.user_id},
    )


def test_a_child_cannot_decide_its_own_order_and_the_rule_fields_have_bounds() -> None:
    from sync.policy import needs_step_up, refusal

    assert refusal(CHILD, "trade.decide/v1") is Code.FORBIDDEN
    assert needs_step_up("trade.decide/v1", {"decision": "approve"})
    assert not needs_step_up("trade.decide/v1", {"decision": "decline"})
    assert HouseRules(approval_first=0).validate() == ["approval_first"]
    assert HouseRules(approval_above=-1).validate() == ["approval_above"]
    change = RulesChange(trade_approval=TradeApproval.ABOVE, approval_above=50_000)
    assert change.trade_approval is TradeApproval.ABOVE


def test_a_parent_switches_the_mode_with_rules_set() -> None:
    book = new_book()
    rules = {"trade_approval": "first", "approval_first": 3}
    run(book, "rules.set/v1", {"child_id": CHILD.user_id, "rules": rules}, actor=MOM)
    assert (book.rules().trade_approval, book.rules().approval_first) == (TradeApproval.FIRST, 3)
    with pytest.raises(Rejected) as info:
        run(book, "rules.set/v1", {"child_id": CHILD.user_id, "rules": {"trade_approval": "x"}}, actor=MOM)
    assert info.value.code is Code.INVALID_ARGS


def test_a_split_cancels_a_waiting_sell_and_gives_its_shares_back() -> None:
    from sync.trading import apply_split

    book = new_book()
    seen = publish(book, SAMSUNG, 70_000, at=JUST_NOW)
    place(book, "buy", SAMSUNG, quantity=shares(3), quote=seen)
    book.rules_ = _rules(TradeApproval.EVERY)
    trade_id = trade_id_of(place(book, "sell", SAMSUNG, quantity=shares(2), quote=seen))
    waiting = book.trade(trade_id)
    assert waiting is not None
    book.apply(apply_split(book, SAMSUNG, 2, 1, T0 + timedelta(days=1), queued=[waiting]))
    trade = book.trade(trade_id)
    assert trade is not None and (trade.status, trade.note) == (TradeStatus.CANCELLED, "split")
    assert (book.balance(f"position:{SAMSUNG}"), book.balance(f"reserved:{SAMSUNG}")) == (shares(6), 0)

"""Converting realised profit into pocket money: limits, the high-water mark, decisions and payouts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sync import Actor, Code, HouseRules, MemoryBook, Rejected, Request, RequestStatus, policy
from sync.allowance import convertible_profit
from sync.money import MICRO
from sync.trading import pay_dividend

from .factory import CHILD, DAD, MOM, OTHER_CHILD, SAMSUNG, T0, new_book, place, publish, run

DAY = timedelta(days=1)


def realise(book: MemoryBook, profit: int, now: datetime = T0) -> None:
    """Buy one share at ₩500,000 and sell it at ₩500,000 + ``profit`` (a loss when negative)."""
    place(book, "buy", SAMSUNG, quantity=MICRO, quote=publish(book, SAMSUNG, 500_000, at=now), now=now)
    place(
        book, "sell", SAMSUNG, quantity=MICRO, quote=publish(book, SAMSUNG, 500_000 + profit, at=now), now=now
    )


def convertible(book: MemoryBook) -> int:
    return convertible_profit(book.stats(), book.requests())


def request(book: MemoryBook, request_id: str, amount: int, now: datetime = T0) -> dict[str, object]:
    effects = run(book, "allowance.request/v1", {"request_id": request_id, "amount_game": amount}, now=now)
    return effects.detail


def edit(book: MemoryBook, request_id: str, amount: int, now: datetime = T0) -> dict[str, object]:
    effects = run(book, "allowance.edit/v1", {"request_id": request_id, "amount_game": amount}, now=now)
    return effects.detail


def decide(
    book: MemoryBook,
    request_id: str,
    *,
    version: int,
    amount_real: int,
    decision: str = "approve",
    reason: str | None = None,
    parent: Actor = MOM,
    now: datetime = T0,
) -> dict[str, object]:
    args: dict[str, Any] = {
        "child_id": CHILD.user_id,
        "request_id": request_id,
        "version": version,
        "amount_real": amount_real,
        "decision": decision,
    }
    if reason is not None:
        args["reason"] = reason
    return run(book, "allowance.decide/v1", args, actor=parent, now=now).detail


def the(book: MemoryBook, request_id: str) -> Request:
    found = book.request(request_id)
    assert found is not None
    return found


def refused(code: Code, call: Callable[..., object], *args: object, **kwargs: object) -> Rejected:
    before = (dict(book_of(args).balances), dict(book_of(args).requests_))
    with pytest.raises(Rejected) as info:
        call(*args, **kwargs)
    assert info.value.code is code, (info.value.code, info.value.detail)
    assert (book_of(args).balances, book_of(args).requests_) == before  # a refusal changes nothing
    return info.value


def book_of(args: tuple[object, ...]) -> MemoryBook:
    book = args[0]
    assert isinstance(book, MemoryBook)
    return book


# --- convertible profit and the high-water mark -------------------------------------------------


def test_only_realised_profit_is_convertible_and_losses_must_be_earned_back() -> None:
    book = new_book()
    assert convertible(book) == 0  # the starting money is not profit
    realise(book, 100_000)
    assert convertible(book) == 100_000
    request(book, "r1", 100_000)  # ₩10,000: under the second-parent threshold
    assert convertible(book) == 0  # reserved by the pending request
    decide(book, "r1", version=1, amount_real=10_000)
    assert the(book, "r1").status is RequestStatus.APPROVED
    assert convertible(book) == 0

    realise(book, -30_000, T0 + DAY)
    assert convertible(book) == 0  # realised 70,000 − converted 100,000: floored at 0
    refused(Code.INSUFFICIENT_PROFIT, request, book, "r2", 10_000, T0 + 2 * DAY)
    realise(book, 30_000, T0 + 2 * DAY)
    assert convertible(book) == 0  # back to the mark, nothing above it yet
    realise(book, 20_000, T0 + 2 * DAY)
    assert convertible(book) == 20_000
    request(book, "r2", 20_000, T0 + 2 * DAY)


def test_dividends_count_as_convertible_profit() -> None:
    book = new_book()
    place(book, "buy", SAMSUNG, quantity=10 * MICRO, quote=publish(book, SAMSUNG, 70_000))
    book.apply(pay_dividend(book, SAMSUNG, 1_444, None, T0 + DAY, "div-2024q1"))
    assert convertible(book) == 14_440
    assert book.balance("cash") == 1_000_000 - 700_000 + 14_440


# --- request limits -----------------------------------------------------------------------------


def test_a_request_reserves_the_game_money_and_shows_the_real_amount() -> None:
    book = new_book()
    realise(book, 100_000)
    assert request(book, "r1", 12_345) == {"version": 1, "amount_real": 1_234}  # floor(12,345 / 10)
    assert (book.balance("cash"), book.balance("reserved")) == (1_100_000 - 12_345, 12_345)
    assert the(book, "r1").status is RequestStatus.PENDING


def test_request_minimum() -> None:
    book = new_book()
    realise(book, 100_000)
    error = refused(Code.ORDER_TOO_SMALL, request, book, "r1", 9_999)
    assert error.detail == {"minimum": 10_000}
    request(book, "r1", 10_000)


def test_request_more_than_the_profit() -> None:
    book = new_book()
    realise(book, 50_000)
    error = refused(Code.INSUFFICIENT_PROFIT, request, book, "r1", 50_001)
    assert error.detail == {"convertible": 50_000}


def test_request_more_than_the_cash() -> None:
    book = new_book()
    realise(book, 100_000)
    # 15 shares at ₩70,000 leave ₩1,100,000 − 1,050,000 = 50,000 in cash
    place(book, "buy", SAMSUNG, quantity=15 * MICRO, quote=publish(book, SAMSUNG, 70_000))
    error = refused(Code.INSUFFICIENT_FUNDS, request, book, "r1", 60_000)
    assert error.detail == {"cash": 50_000}
    request(book, "r1", 50_000)


def test_cooldown_between_requests() -> None:
    book = new_book()
    realise(book, 200_000)
    request(book, "r1", 10_000)
    error = refused(Code.COOLDOWN, request, book, "r2", 10_000, T0 + DAY - timedelta(seconds=1))
    assert error.detail == {"until": (T0 + DAY).isoformat()}
    request(book, "r2", 10_000, T0 + DAY)


def test_weekly_cap_counts_pending_and_approved_requests_but_not_rejected_ones() -> None:
    book = new_book(HouseRules(request_cap_week=15_000))
    realise(book, 300_000)
    request(book, "r1", 100_000)  # ₩10,000
    error = refused(Code.CAP_EXCEEDED, request, book, "r2", 60_000, T0 + DAY)  # 10,000 + 6,000 > 15,000
    assert error.detail == {"period": "week", "cap": 15_000, "used": 10_000}
    decide(book, "r1", version=1, amount_real=10_000, decision="reject", reason="too much at once")
    request(book, "r2", 60_000, T0 + DAY)
    # next Monday is a new week
    request(book, "r3", 100_000, T0 + 7 * DAY)
    assert the(book, "r3").amount_real == 10_000


def test_monthly_cap() -> None:
    book = new_book(HouseRules(request_cap_week=100_000, request_cap_month=15_000))
    realise(book, 300_000)
    request(book, "r1", 100_000)  # 4 March
    error = refused(Code.CAP_EXCEEDED, request, book, "r2", 60_000, T0 + 7 * DAY)  # 11 March
    assert error.detail["period"] == "month"
    request(book, "r2", 60_000, T0 + 28 * DAY)  # 1 April


# --- deciding: version binding, already decided, reject ----------------------------------------


def test_a_parent_deciding_an_old_version_or_amount_is_told_the_request_changed() -> None:
    book = new_book()
    realise(book, 100_000)
    request(book, "r1", 100_000)  # v1, ₩10,000
    assert edit(book, "r1", 80_000) == {"version": 2, "amount_real": 8_000}
    assert (book.balance("cash"), book.balance("reserved")) == (1_100_000 - 80_000, 80_000)
    error = refused(Code.REQUEST_CHANGED, decide, book, "r1", version=1, amount_real=10_000)
    assert error.detail == {"version": 2, "amount_real": 8_000}
    refused(Code.REQUEST_CHANGED, decide, book, "r1", version=2, amount_real=10_000)  # never raised silently
    refused(
        Code.REQUEST_CHANGED, decide, book, "r1", version=1, amount_real=8_000, decision="reject", reason="x"
    )
    decide(book, "r1", version=2, amount_real=8_000)
    assert book.balance("allowance_payable") == 8_000


def test_editing_rechecks_every_rule() -> None:
    book = new_book()
    realise(book, 100_000)
    request(book, "r1", 50_000)
    refused(Code.INSUFFICIENT_PROFIT, edit, book, "r1", 100_001)
    refused(Code.ORDER_TOO_SMALL, edit, book, "r1", 5_000)
    edit(book, "r1", 100_000)  # its own reservation counts as available (an edit is no second request)
    assert book.balance("reserved") == 100_000


def test_a_decided_request_cannot_be_decided_edited_or_cancelled_again() -> None:
    book = new_book()
    realise(book, 100_000)
    request(book, "r1", 100_000)
    decide(book, "r1", version=1, amount_real=10_000, parent=MOM)
    error = refused(Code.ALREADY_DECIDED, decide, book, "r1", version=1, amount_real=10_000, parent=DAD)
    assert error.detail == {"status": "approved", "by": MOM.user_id}
    refused(Code.ALREADY_DECIDED, edit, book, "r1", 50_000)
    refused(Code.ALREADY_DECIDED, run, book, "allowance.cancel/v1", {"request_id": "r1"})
    refused(Code.NOT_FOUND, decide, book, "nope", version=1, amount_real=10_000)


def test_reject_needs_a_reason_and_returns_the_money() -> None:
    book = new_book()
    realise(book, 100_000)
    request(book, "r1", 100_000)
    refused(Code.INVALID_ARGS, decide, book, "r1", version=1, amount_real=10_000, decision="reject")
    decide(book, "r1", version=1, amount_real=10_000, decision="reject", reason="Let's save it for later")
    rejected = the(book, "r1")
    assert (rejected.status, rejected.reason, rejected.decided_by) == (
        RequestStatus.REJECTED,
        "Let's save it for later",
        MOM.user_id,
    )
    assert (book.balance("cash"), book.balance("reserved")) == (1_100_000, 0)
    assert book.balance("allowance_payable") == 0
    assert convertible(book) == 100_000


def test_the_child_can_withdraw_a_pending_request() -> None:
    book = new_book()
    realise(book, 100_000)
    request(book, "r1", 100_000)
    run(book, "allowance.cancel/v1", {"request_id": "r1"})
    assert the(book, "r1").status is RequestStatus.CANCELLED
    assert (book.balance("cash"), book.balance("reserved")) == (1_100_000, 0)
    assert convertible(book) == 100_000


def test_an_approval_moves_game_money_out_and_real_money_into_payable() -> None:
    book = new_book()
    realise(book, 100_000)
    request(book, "r1", 100_000)
    decide(book, "r1", version=1, amount_real=10_000)
    assert book.balance("reserved") == 0
    assert book.balance("conversion_sink") == 100_000
    assert (book.balance("family_expense"), book.balance("allowance_payable")) == (-10_000, 10_000)
    assert book.stats().converted == 100_000


# --- above the threshold: two parents, or one parent and a cooling-off delay --------------------


def test_two_parent_rule() -> None:
    book = new_book(parents=2)
    realise(book, 400_000)
    request(book, "r1", 400_000)  # ₩40,000 > threshold ₩30,000
    assert decide(book, "r1", version=1, amount_real=40_000, parent=MOM) == {"awaiting": "second_parent"}
    waiting = the(book, "r1")
    assert (waiting.status, waiting.approvals) == (RequestStatus.PENDING, (MOM.user_id,))
    assert book.balance("allowance_payable") == 0
    error = refused(Code.ALREADY_DECIDED, decide, book, "r1", version=1, amount_real=40_000, parent=MOM)
    assert error.detail == {"awaiting": "second_parent"}
    decide(book, "r1", version=1, amount_real=40_000, parent=DAD)
    approved = the(book, "r1")
    assert approved.status is RequestStatus.APPROVED
    assert set(approved.approvals) == {MOM.user_id, DAD.user_id}
    assert book.balance("allowance_payable") == 40_000


def test_at_the_threshold_one_approval_is_enough() -> None:
    book = new_book(parents=2)
    realise(book, 300_000)
    request(book, "r1", 300_000)  # exactly ₩30,000
    decide(book, "r1", version=1, amount_real=30_000, parent=MOM)
    assert the(book, "r1").status is RequestStatus.APPROVED


def test_an_edit_drops_an_approval_already_given() -> None:
    book = new_book(parents=2)
    realise(book, 500_000)
    request(book, "r1", 400_000)
    decide(book, "r1", version=1, amount_real=40_000, parent=MOM)
    edit(book, "r1", 450_000)
    assert the(book, "r1").approvals == ()
    assert decide(book, "r1", version=2, amount_real=45_000, parent=DAD) == {"awaiting": "second_parent"}
    assert the(book, "r1").status is RequestStatus.PENDING


def test_one_parent_confirms_again_after_cooling_off() -> None:
    book = new_book(parents=1)
    realise(book, 400_000)
    request(book, "r1", 400_000)
    detail = decide(book, "r1", version=1, amount_real=40_000)
    until = T0 + timedelta(seconds=HouseRules().cooling_off_s)
    assert detail == {"awaiting": "cooling_off", "until": until.isoformat()}
    assert the(book, "r1").cooling_until == until
    error = refused(
        Code.COOLDOWN, decide, book, "r1", version=1, amount_real=40_000, now=until - timedelta(seconds=1)
    )
    assert error.detail == {"until": until.isoformat()}
    decide(book, "r1", version=1, amount_real=40_000, now=until)
    assert the(book, "r1").status is RequestStatus.APPROVED
    assert book.balance("allowance_payable") == 40_000


# --- paying out ---------------------------------------------------------------------------------


def test_mark_paid_moves_real_money_from_payable_to_paid() -> None:
    book = new_book()
    realise(book, 100_000)
    request(book, "r1", 100_000)
    refused(Code.ALREADY_DECIDED, run, book, "allowance.mark_paid/v1", paid_args("r1"), actor=MOM)  # not yet
    decide(book, "r1", version=1, amount_real=10_000)
    run(book, "allowance.mark_paid/v1", paid_args("r1", reference="toss-123"), actor=DAD)
    paid = the(book, "r1")
    assert (paid.status, paid.paid_by, paid.paid_method, paid.paid_reference) == (
        RequestStatus.PAID,
        DAD.user_id,
        "toss",
        "toss-123",
    )
    assert (book.balance("allowance_payable"), book.balance("allowance_paid")) == (0, 10_000)
    refused(Code.ALREADY_DECIDED, run, book, "allowance.mark_paid/v1", paid_args("r1"), actor=MOM)
    refused(Code.NOT_FOUND, run, book, "allowance.mark_paid/v1", paid_args("nope"), actor=MOM)


def paid_args(request_id: str, reference: str | None = None) -> dict[str, object]:
    args: dict[str, object] = {"child_id": CHILD.user_id, "request_id": request_id, "method": "toss"}
    if reference:
        args["reference"] = reference
    return args


# --- who may do what ----------------------------------------------------------------------------


def test_a_child_cannot_decide_or_mark_paid_and_a_parent_cannot_request() -> None:
    for name in ("allowance.decide/v1", "allowance.mark_paid/v1"):
        assert policy.refusal(CHILD, name) is Code.FORBIDDEN
        assert policy.refusal(MOM, name) is None
    for name in ("allowance.request/v1", "allowance.edit/v1", "allowance.cancel/v1"):
        assert policy.refusal(MOM, name) is Code.FORBIDDEN
        assert policy.refusal(CHILD, name) is None
    # a child acts on its own book only, whatever it names: another child's request is not there
    assert policy.target_child("allowance.cancel/v1", {"child_id": CHILD.user_id}, OTHER_CHILD) == (
        OTHER_CHILD.user_id
    )


def test_caps_reset_at_midnight_in_korea_not_in_utc() -> None:
    # 1 April 2024, 08:00 in Seoul is still 31 March 23:00 UTC: it is a new month (and a new week
    # would begin on a Monday at 00:00 KST likewise) for the child, whatever clock the server keeps
    end_of_march = datetime(2024, 3, 30, 3, 0, tzinfo=UTC)  # Saturday 30 March, 12:00 KST
    first_of_april = datetime(2024, 3, 31, 23, 0, tzinfo=UTC)  # Monday 1 April, 08:00 KST
    book = new_book(HouseRules(request_cap_week=10_000, request_cap_month=10_000))
    realise(book, 300_000, end_of_march)
    request(book, "r1", 100_000, end_of_march)  # ₩10,000: both caps used up
    request(book, "r2", 100_000, first_of_april)
    assert the(book, "r2").amount_real == 10_000

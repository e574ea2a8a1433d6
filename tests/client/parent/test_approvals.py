"""Approvals and payouts on the real server: the parent sees exactly the real money that approving
pays, a rejection needs a reason, a decision on an outdated version is explained, offline decisions
queue and sync, and the child ends up seeing "paid"."""

from __future__ import annotations

import pytest

from client import actions
from client.viewmodels.allowance import AllowanceVM
from client.viewmodels.parent import ApprovalsVM, DashboardVM, PayoutsVM
from tests.helpers import PASSWORD

from .conftest import REQUEST_GAME, Family

pytestmark = pytest.mark.anyio


def request_of(f: Family, profile=None):
    book = (profile or f.parent).view().books[f.child_id]
    (request,) = book.requests()
    return request


async def test_the_parent_sees_and_pays_exactly_floor_of_game_times_rate(family: Family) -> None:
    f = family
    dash = DashboardVM(f.parent, f.tools, f.runtime)
    (card,) = dash.cards
    assert card.name == "지우" and card.pending_requests == 1
    assert card.trades[0].text.startswith("Sold 10 shares of 005930.KS")  # no symbol index here

    vm = ApprovalsVM(f.parent, f.tools, f.runtime)
    vm.attach()
    (row,) = vm.rows
    assert row.amounts == "G₩15,009 → ₩1,500" and row.pays == "Approving pays ₩1,500."
    assert row.amount_real == 1_500 and row.rule is None  # under the two-parent threshold

    assert await vm.approve(row.request_id) is False  # not elevated yet: the password is asked first
    assert vm.ask_step_up and f.parent.view().pending == []
    assert await vm.confirm_step_up("not the password") is False
    assert vm.error == "That password isn't right." and vm.ask_step_up
    assert await vm.confirm_step_up(PASSWORD)
    assert not vm.ask_step_up and vm.notice == "Approved: ₩1,500 to pay."
    (pending,) = f.parent.view().pending
    assert vm.rows[0].waiting and not vm.rows[0].can_approve  # shown as sent, until the server answers
    assert pending.args == {"child_id": f.child_id, "request_id": row.request_id, "version": 1,
                            "amount_real": 1_500, "decision": "approve"}  # fmt: skip
    await f.parent.sync_now()
    assert request_of(f).status == "approved" and vm.rows == []

    pay = PayoutsVM(f.parent, f.tools, f.runtime)
    (due,) = pay.rows
    assert due.amount == "₩1,500"
    pay.set_method(due.request_id, "bank_transfer")
    pay.set_reference(due.request_id, "용돈 11월")
    assert await pay.mark_paid(due.request_id)  # still elevated: no second prompt
    await f.parent.sync_now()
    paid = request_of(f)
    assert (paid.status, paid.paid_method, paid.paid_reference) == ("paid", "bank_transfer", "용돈 11월")
    assert pay.rows == [] and pay.history[0].endswith("지우 · ₩1,500 · Bank transfer · 용돈 11월")

    await f.kid.sync_now()
    child = AllowanceVM(f.kid, f.tools)
    assert child.requests[0].status == f.tools.tr("allowance.status.paid")
    assert child.payouts == ["2026-11-24 ₩1,500 (bank transfer)"]


async def test_a_rejection_needs_a_reason_and_returns_the_game_money(family: Family) -> None:
    f = family
    vm = ApprovalsVM(f.parent, f.tools, f.runtime)
    (row,) = vm.rows
    assert await vm.reject(row.request_id) is False
    assert vm.reason_errors[row.request_id] == "Please write a reason: your child will read it."
    assert f.parent.view().pending == []  # nothing was sent
    vm.set_reason(row.request_id, "  ")
    assert await vm.reject(row.request_id) is False
    vm.set_reason(row.request_id, "이번 주는 저축하자")
    assert await vm.reject(row.request_id)  # a rejection needs no step-up
    await f.parent.sync_now()
    await f.kid.sync_now()
    rejected = request_of(f, f.kid)
    assert (rejected.status, rejected.reason) == ("rejected", "이번 주는 저축하자")
    child = AllowanceVM(f.kid, f.tools)
    assert child.requests[0].reason == f.tools.tr("allowance.parent_said", reason="이번 주는 저축하자")
    assert f.kid.view().books[f.child_id].balance("reserved") == 0


async def test_deciding_an_outdated_version_is_explained_and_pays_nothing(family: Family) -> None:
    f = family
    vm = ApprovalsVM(f.parent, f.tools, f.runtime)
    vm.attach()  # as its screen does: it follows every sync
    (seen,) = vm.rows  # the parent looks at version 1 (1,500 won) …
    await f.kid.act(*actions.edit_request(seen.request_id, 20_000))  # … the child asks for more
    await f.kid.sync_now()
    await f.runtime.step_up(f.parent, PASSWORD)
    assert await vm.approve(seen.request_id)
    await f.parent.sync_now()
    assert request_of(f).status == "pending" and request_of(f).version == 2
    (answer,) = vm.answers
    assert answer[1] == (
        "지우 changed the request before your decision arrived (you saw ₩1,500, now ₩2,000). "
        "Nothing was paid: look at it again."
    )
    (row,) = vm.rows
    assert (row.version, row.amount_real) == (2, 2_000)  # the new version, ready to decide again
    await vm.dismiss(answer[0])
    assert vm.answers == []


async def test_offline_decisions_queue_and_sync(family: Family) -> None:
    f = family
    await f.runtime.step_up(f.parent, PASSWORD)  # elevated, then the connection goes
    f.parent_net.down = True
    vm = ApprovalsVM(f.parent, f.tools, f.runtime)
    vm.attach()
    (row,) = vm.rows
    assert await vm.approve(row.request_id)
    await f.parent.sync_now()
    (waiting,) = vm.rows
    assert waiting.waiting and not waiting.can_approve
    assert str(f.parent.view().status.state) == "offline"
    f.parent_net.down = False
    await f.parent.sync_now()
    assert vm.rows == [] and request_of(f).status == "approved"
    pay = PayoutsVM(f.parent, f.tools, f.runtime)
    assert [r.amount for r in pay.rows] == ["₩1,500"]
    vm.detach()


async def test_offline_without_a_fresh_password_the_server_asks_for_it_later(family: Family) -> None:
    f = family
    f.parent_net.down = True
    vm = ApprovalsVM(f.parent, f.tools, f.runtime)
    vm.attach()
    assert await vm.approve(vm.rows[0].request_id) is False and vm.ask_step_up
    assert await vm.confirm_step_up(PASSWORD)  # cannot be checked offline: queued anyway
    assert vm.notice == (
        "Saved on this device. You're offline, so your password will be asked again when the "
        "connection is back."
    )
    assert vm.rows[0].waiting
    f.parent_net.down = False
    await f.parent.sync_now()  # the server wants the password: the queue stops and says so
    assert vm.queue_needs_step_up and vm.rows[0].waiting
    await vm.resume_queue()
    assert await vm.confirm_step_up(PASSWORD)
    assert not vm.queue_needs_step_up and vm.rows == []
    assert request_of(f).status == "approved"


async def test_toss_offline_says_so_and_records_nothing(family: Family) -> None:
    f = family
    await f.runtime.step_up(f.parent, PASSWORD)
    vm = ApprovalsVM(f.parent, f.tools, f.runtime)
    await vm.approve(vm.rows[0].request_id)
    await f.parent.sync_now()
    pay = PayoutsVM(f.parent, f.tools, f.runtime)
    (due,) = pay.rows
    f.parent_net.down = True
    pay.set_method(due.request_id, "toss")
    assert await pay.mark_paid(due.request_id) is False
    assert pay.error == (
        "Toss needs the internet. Connect and try again, or pay another way and mark it paid."
    )
    assert f.parent.view().pending == [] and request_of(f).status == "approved"
    assert pay.rows[0].amount_real == REQUEST_GAME // 10
    f.parent_net.down = False
    assert await pay.mark_paid(due.request_id) is False  # this server has no Toss keys
    assert pay.error == "Toss isn't set up on your family server. Pay another way and mark it paid."
    pay.set_method(due.request_id, "cash")
    assert await pay.mark_paid(due.request_id)

"""Real-money rails from the parent's payouts screen (its view-model) on the real server, the
providers being local fakes shaped like Toss's and KakaoPay's APIs: the payout account is registered
with the password again and shown masked; Toss pays and the screen shows its reference; a refusal
is explained and pays nothing; KakaoPay's link is completed on the server's own return page (as the
parent's browser would) and the screen shows the request paid after the next pull."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from client.viewmodels.parent import PayoutsVM
from server.db.models import BankAccount
from tests.helpers import PASSWORD

from .conftest import Family, Providers, tools_for

pytestmark = pytest.mark.anyio
NUMBER = "110-123-456789"


async def approved(f: Family) -> str:
    """The parent approves the waiting request (with the password), as on the approvals screen."""
    from client.viewmodels.parent import ApprovalsVM

    vm = ApprovalsVM(f.parent, f.tools, f.runtime)
    (row,) = vm.rows
    await vm.approve(row.request_id)
    assert await vm.confirm_step_up(PASSWORD)
    await f.parent.sync_now()
    return row.request_id


async def register(vm: PayoutsVM, bank: str = "088", number: str = NUMBER, holder: str = "김엄마") -> bool:
    vm.edit_account()
    for name, value in (("bank", bank), ("number", number), ("holder", holder)):
        vm.set_account_field(name, value)
    return await vm.save_account()


def puts(f: Family) -> int:
    return f.parent_net.requests.count("/api/payment/account")


async def test_the_account_is_registered_with_the_password_and_only_ever_shown_masked(
    paying_family: Family,
) -> None:
    f = paying_family
    vm = PayoutsVM(f.parent, f.tools, f.runtime)
    await vm.load_account()
    assert vm.account_known and vm.account is None

    before = puts(f)
    assert await register(vm, bank="", number="12-34", holder=" ") is False  # explained, not sent
    assert vm.form_problems == {
        "bank": "parent.account.bank_needed",
        "number": "parent.account.number_format",
        "holder": "parent.account.holder_needed",
    }
    assert puts(f) == before

    assert await register(vm) is False and vm.ask_step_up  # the password comes first
    assert await vm.confirm_step_up("not the password") is False
    assert vm.error == "That password isn't right."
    assert await vm.confirm_step_up(PASSWORD)  # then the account is saved
    assert vm.account == {"bank": "088", "holder": "김엄마", "number": "********6789"}
    assert vm.account_line() == "Shinhan · ********6789 · 김엄마"
    assert vm.notice == "Saved: Shinhan · ********6789 · 김엄마"
    assert not vm.editing_account and vm.form.number == ""  # the device forgets the number
    with f.server.app.state.db.read() as session:
        row = session.scalars(sa.select(BankAccount)).one()
        assert NUMBER.encode() not in row.number_ct and row.number_masked == "********6789"

    again = PayoutsVM(f.parent, f.tools, f.runtime)  # the next visit: still masked, from the server
    await again.load_account()
    assert again.account_line() == "Shinhan · ********6789 · 김엄마"


async def test_toss_pays_an_approved_request_and_the_screen_shows_its_reference(
    paying_family: Family, providers: Providers
) -> None:
    f = paying_family
    request_id = await approved(f)
    vm = PayoutsVM(f.parent, f.tools, f.runtime)
    await vm.load_account()
    vm.set_method(request_id, "toss")
    assert await vm.mark_paid(request_id) is False  # no account yet: it is asked for first
    assert vm.error == "Register your payout account first: Toss sends the money there."
    assert vm.editing_account and providers.toss_api.seen == []

    assert await register(vm)  # still elevated from the approval: no second prompt
    providers.toss.fail_with = (
        400,
        {"code": "INVALID_BANK_ACCOUNT", "message": "계좌 정보가 올바르지 않습니다"},
    )
    assert await vm.mark_paid(request_id) is False
    assert vm.error is not None and vm.error.startswith("Toss did not pay: 400 INVALID_BANK_ACCOUNT")
    assert vm.error.endswith("Nothing was paid; the request stays approved.")
    assert [r.request_id for r in vm.rows] == [request_id]
    korean = PayoutsVM(f.parent, tools_for(f.server, "ko"), f.runtime)  # the same refusal, in Korean
    korean.set_method(request_id, "toss")
    assert await korean.mark_paid(request_id) is False
    assert korean.error is not None and "지급하지 않았어요: 400 INVALID_BANK_ACCOUNT" in korean.error
    assert korean.error.endswith("돈은 나가지 않았고 요청은 승인된 채로 남아요.")

    providers.toss.fail_with = None
    assert await vm.mark_paid(request_id)
    sent = providers.toss_api.seen[-1].body
    assert sent["destination"]["accountNumber"] == NUMBER and sent["amount"]["value"] == 1_500
    reference = f"po_{sent['refPayoutId'][:8]}"
    assert vm.notice == f"Paid ₩1,500 to 지우 through Toss. Reference: {reference}"
    assert vm.rows == [] and vm.history[0].endswith(f"지우 · ₩1,500 · Toss · {reference}")


async def test_kakaopay_is_completed_on_the_servers_return_page(
    paying_family: Family, providers: Providers
) -> None:
    f = paying_family
    request_id = await approved(f)
    vm = PayoutsVM(f.parent, f.tools, f.runtime)
    vm.set_method(request_id, "kakaopay")
    assert await vm.mark_paid(request_id)
    assert vm.notice == "KakaoPay is waiting for you to finish the payment."
    assert vm.link is not None and vm.link.startswith("https://kakao.test/m/T")
    assert [r.request_id for r in vm.rows] == [request_id]  # a link is not money

    # the parent pays in KakaoPay, which sends the browser (no credentials) to the approval address
    ready: dict[str, Any] = providers.kakao_api.seen[-1].body
    page = f.server.client.get(
        f"{urlsplit(ready['approval_url']).path}?pg_token=pg-ok", headers={"Accept": "text/html"}
    )
    assert page.status_code == 200 and "용돈을 보냈어요" in page.text
    await f.parent.sync_now()  # what the live channel's poke does in the app
    vm.refresh()
    assert vm.rows == [] and "KakaoPay · A" in vm.history[0]

"""Graded trade approval in the app, on the real server: the parent picks the mode and its number in
the child's settings; the child's ticket says before the order is sent that a parent must approve and
what a yes does with the market open and closed; the history shows it waiting; the parent declines
with a reason the child then reads, or approves and the order fills."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.config import load_config
from client.viewmodels.market import load_index
from client.viewmodels.parent import ApprovalsVM, ChildSettingsVM, DashboardVM
from client.viewmodels.portfolio import PortfolioVM
from client.viewmodels.stock import StockVM
from client.viewmodels.trade import TradeVM
from sync.rules import TradeApproval
from tests.client.core.conftest import SAMSUNG
from tests.helpers import PASSWORD

from .conftest import Family, tools_for

pytestmark = pytest.mark.anyio

NOT_NOW = "이번 주는 저축하기로 했잖아"


@pytest.fixture(scope="module")
def index():
    return load_index(Path(load_config().assets_dir) / "market" / "symbols.json")


async def _ticket(f: Family, index, locale: str = "ko") -> TradeVM:
    ticket = TradeVM(f.kid, tools_for(f.server, locale), SAMSUNG, index=index)
    ticket.set_text("1")
    return ticket


async def test_the_parent_sets_the_mode_and_its_number(family: Family, index) -> None:
    f = family
    await f.runtime.step_up(f.parent, PASSWORD)
    settings = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    assert settings.draft is not None and settings.draft["trade_approval"] == "off"
    settings.set_trade_approval("above")
    settings.set_field("approval_above", "50,000")
    assert await settings.save_rules()
    await f.parent.sync_now()
    await f.kid.sync_now()
    rules = f.kid.view().books[f.child_id].rules()
    assert (rules.trade_approval, rules.approval_above) == (TradeApproval.ABOVE, 50_000)
    # the stock page says the rule before the child starts an order
    page = StockVM(f.kid, tools_for(f.server, "ko"), index, SAMSUNG)
    assert page.approval_text == "우리 집 규칙: 50,000 G₩보다 큰 주문은 부모님이 먼저 확인해요."
    settings = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    settings.set_trade_approval("first")
    settings.set_field("approval_first", "5")
    assert await settings.save_rules()
    await f.parent.sync_now()
    await f.kid.sync_now()
    page = StockVM(f.kid, tools_for(f.server, "en"), index, SAMSUNG)
    filled = page.book.filled_trades()  # the family fixture's child has traded already
    assert page.approval_text == f"House rule: a parent checks your next {5 - filled} trades first."


async def test_a_waiting_order_is_explained_then_declined_with_a_reason_or_approved(
    family: Family, index
) -> None:
    f = family
    await f.runtime.step_up(f.parent, PASSWORD)
    settings = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    settings.set_trade_approval("every")
    assert await settings.save_rules()
    await f.parent.sync_now()
    f.server.quote(SAMSUNG, 71_000)
    await f.kid.sync_now()

    ticket = await _ticket(f, index)
    assert ticket.prediction is not None and ticket.prediction.status == "awaiting"
    assert ticket.lines[:4] == [
        "부모님 확인 대기: 우리 집 규칙이라 모든 주문은 부모님이 확인해야 진행돼요.",
        "부모님이 승인할 때 시장이 열려 있으면: 그때 가격으로 바로 체결돼요.",
        "부모님이 승인할 때 시장이 닫혀 있으면: 다음에 시장이 열릴 때 시작 가격으로 주문돼요.",
        "부모님이 안 된다고 하면 이유를 알려 주고, 맡겨 둔 것은 그대로 돌려받아요. "
        "기다리는 동안 내가 취소할 수도 있어요.",
    ]
    english = await _ticket(f, index, "en")
    assert english.lines[0].startswith("Waiting for a parent: your family's rule")
    ticket.review()
    await ticket.confirm()
    await f.kid.sync_now()
    ticket.refresh()
    assert ticket.sent_status == "부모님 확인 대기"
    assert ticket.sent_args is not None
    declined_id = ticket.sent_args["trade_id"]
    history = PortfolioVM(f.kid, tools_for(f.server, "ko"), index)
    row = next(r for r in history.trades if r.key == declined_id)
    assert (row.status, row.cancellable) == ("부모님 확인 대기", True)

    await f.parent.sync_now()
    (card,) = DashboardVM(f.parent, f.tools, f.runtime).cards
    assert card.awaiting_trades == 1
    assert card.trades[0].text.startswith("Order to buy 1 share")  # not "Bought": it waits
    approvals = ApprovalsVM(f.parent, f.tools, f.runtime)
    (waiting,) = approvals.trade_rows
    assert waiting.trade_id == declined_id and waiting.what.startswith("Buy 1 share")
    assert waiting.then.startswith("The market is open.")
    assert not await approvals.decline_trade(declined_id)  # a reason first: the child reads it
    assert approvals.reason_errors[declined_id]
    approvals.set_reason(declined_id, NOT_NOW)
    assert await approvals.decline_trade(declined_id)
    await f.parent.sync_now()
    await f.kid.sync_now()
    history.refresh()
    row = next(r for r in history.trades if r.key == declined_id)
    assert (row.status, row.reason) == ("부모님이 안 된대요", f"부모님이 알려 준 이유: {NOT_NOW}")

    ticket = await _ticket(f, index)
    ticket.review()
    await ticket.confirm()
    await f.kid.sync_now()
    assert ticket.sent_args is not None
    approved_id = ticket.sent_args["trade_id"]
    await f.parent.sync_now()
    approvals.refresh()
    assert [r.trade_id for r in approvals.trade_rows] == [approved_id]
    assert await approvals.approve_trade(approved_id)
    await f.parent.sync_now()
    await f.kid.sync_now()
    trade = f.kid.view().books[f.child_id].trade(approved_id)
    assert trade is not None and trade.status == "filled" and trade.fill_price == 71_000
    approvals.refresh()
    assert approvals.trade_rows == []

"""The trade journal on the app, on the real server: the child writes why on the ticket (offline too),
its order history shows it, the parent reads it beside the trade on the dashboard (also on screen) and
turns the house rule on in the child's settings; with it on, the ticket says in the child's words that
a line is needed and does not let the order go without one."""

from __future__ import annotations

from pathlib import Path

import flet as ft
import pytest

from client import actions
from client.app import make_main
from client.config import load_config
from client.viewmodels.market import load_index
from client.viewmodels.parent import ChildSettingsVM, DashboardVM
from client.viewmodels.portfolio import PortfolioVM
from client.viewmodels.trade import TradeVM
from tests.client.core.conftest import SAMSUNG
from tests.client.ui.harness import settle, start, walk
from tests.helpers import PASSWORD

from .conftest import Family, tools_for

pytestmark = pytest.mark.anyio

WHY = "새 휴대폰이 잘 팔린대서"


@pytest.fixture(scope="module")
def index():
    return load_index(Path(load_config().assets_dir) / "market" / "symbols.json")


async def test_a_reason_written_offline_reaches_the_parent_beside_the_trade(family: Family, index) -> None:
    f = family
    ko = tools_for(f.server, "ko")
    f.server.quote(SAMSUNG, 71_000)
    await f.kid.sync_now()
    f.kid_net.down = True  # the order and its reason are written offline
    ticket = TradeVM(f.kid, ko, SAMSUNG, index=index)
    assert ticket.journal_label == "왜 샀는지 한 줄로 적어 볼까요?"
    assert ticket.journal_hint.startswith("안 적어도 괜찮아요")
    ticket.set_text("1")
    ticket.set_journal(f"  {WHY} ")
    ticket.review()
    assert ticket.journal_line == f"내가 적은 이유: {WHY}"
    await ticket.confirm()
    assert ticket.stage == "sent" and ticket.sent_args is not None
    trade_id = ticket.sent_args["trade_id"]
    history = PortfolioVM(f.kid, ko, index)
    row = next(r for r in history.trades if r.key == trade_id)
    assert row.waiting and row.journal == f"내가 적은 이유: {WHY}"  # in the history before it is sent

    f.kid_net.down = False
    await f.kid.sync_now()
    assert f.kid.view().pending == []
    confirmed = f.kid.view().books[f.child_id].trade(trade_id)
    assert confirmed is not None and (confirmed.status, confirmed.journal) == ("filled", WHY)
    history.refresh()
    row = next(r for r in history.trades if r.key == trade_id)
    assert not row.waiting and row.journal == f"내가 적은 이유: {WHY}"

    await f.parent.sync_now()
    (card,) = DashboardVM(f.parent, tools_for(f.server, "en"), f.runtime).cards
    newest = card.trades[0]
    assert newest.text.startswith("Bought 1 share") and newest.journal == f"Why: “{WHY}”"
    assert card.trades[1].journal is None  # the sale before it was made without a reason


async def test_with_the_house_rule_the_ticket_needs_a_line_before_the_review(family: Family, index) -> None:
    f = family
    await f.runtime.step_up(f.parent, PASSWORD)
    settings = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    assert settings.draft is not None and settings.draft.get("journal_required") is False  # off at first
    settings.set_journal_required(True)
    assert await settings.save_rules()
    await f.parent.sync_now()
    f.server.quote(SAMSUNG, 71_000)
    await f.kid.sync_now()
    assert f.kid.view().books[f.child_id].rules().journal_required is True

    for locale, hint, refused in (
        ("ko", "우리 집 규칙이에요: 한 줄 적어야 주문할 수 있어요.", "왜 사고파는지 한 줄 적어야"),
        ("en", "Your family's rule: write one line to place the order.", "write one line about why"),
    ):
        ticket = TradeVM(f.kid, tools_for(f.server, locale), SAMSUNG, index=index)
        assert ticket.journal_hint == hint
        ticket.set_text("1")
        assert not ticket.can_review and ticket.message is not None and refused in ticket.message
        ticket.set_journal("   ")  # blanks are no reason
        assert not ticket.can_review
        ticket.set_journal("규칙이라서 적어요")
        assert ticket.can_review and ticket.message is None


async def test_on_screen_the_parent_reads_the_reason_and_turns_the_rule_on(family: Family, tmp_path) -> None:
    f = family
    f.server.quote(SAMSUNG, 71_000)
    await f.kid.sync_now()
    quote = f.kid.view().quotes[SAMSUNG]
    await f.kid.act(*actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=quote, journal=WHY))
    await f.kid.sync_now()
    await f.parent.sync_now()
    main = make_main(f.runtime, load_config(), data_dir=tmp_path / "ui", clock=f.server.clock, locale="ko")
    h = await start(main, "/parent")
    assert h.text_of(f"dash-journal-{f.child_id}-0") == f"이유: “{WHY}”"  # beside the newest trade
    assert not h.has_id(f"dash-journal-{f.child_id}-1")  # the sale before it has no reason

    await f.runtime.step_up(f.parent, PASSWORD)
    await h.goto(f"/parent/child/{f.child_id}")
    await settle()
    (switch,) = [c for c in walk(h.by_id("rules-journal-required")) if isinstance(c, ft.Switch)]
    assert h.text_of("rules-journal-required") == "거래할 때마다 이유 한 줄 꼭 적기 (거래 일기)"
    assert not switch.value
    switch.value = True
    await h.fire(switch, "change")
    await h.click("rules-save")
    await f.parent.sync_now()
    await f.kid.sync_now()
    assert f.kid.view().books[f.child_id].rules().journal_required is True

"""One share count on every screen, on the real server: an order by amount is reviewed as an estimate
("약 7.0423주"), the server fills it at its own price a moment later, and from then on the child's
ticket, holdings and order history, and the parent's dashboard card all show the fill with the same
four decimals, in Korean and English. Selling "what the screen says" sells exactly what is held."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.config import load_config
from client.viewmodels.market import load_index
from client.viewmodels.parent import DashboardVM
from client.viewmodels.portfolio import PortfolioVM
from client.viewmodels.stock import StockVM
from client.viewmodels.trade import TradeVM
from tests.client.core.conftest import SAMSUNG

from .conftest import Family, tools_for

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def index():
    return load_index(Path(load_config().assets_dir) / "market" / "symbols.json")


async def test_the_estimate_says_about_and_the_fill_reads_the_same_everywhere(family: Family, index) -> None:
    f = family
    ko, en = tools_for(f.server, "ko"), tools_for(f.server, "en")
    f.server.quote(SAMSUNG, 71_000)
    await f.kid.sync_now()
    ticket = TradeVM(f.kid, ko, SAMSUNG, index=index)
    ticket.set_by("amount")
    ticket.set_text("500000")
    english = TradeVM(f.kid, en, SAMSUNG, index=index)
    english.set_by("amount")
    english.set_text("500000")
    assert ticket.prediction is not None and ticket.prediction.trade is not None
    estimate = ticket.prediction.trade.quantity  # exact to the micro-share
    assert ticket.lines[0] == "약 7.0423주 × 71,000 G₩ (지금 가격)"
    assert english.lines[0] == "About 7.0423 shares × G₩71,000 (today's price)"
    assert _four(estimate) == "7.0423"
    ticket.review()
    f.kid_net.down = True  # sent from a tablet offline for a while: the price it saw is stale by then
    await ticket.confirm()
    assert ticket.sent_args is not None
    trade_id = ticket.sent_args["trade_id"]

    f.server.clock.advance(minutes=21)  # older than the house rules' 20 minutes
    f.server.quote(SAMSUNG, 70_000)  # the price moved before the order arrived: it fills at 70,000
    f.kid_net.down = False
    await f.kid.sync_now()
    fill = f.kid.view().books[f.child_id].trade(trade_id)
    assert fill is not None and fill.status == "filled" and fill.fill_price == 70_000
    assert fill.quantity > estimate  # more shares at the lower price: the estimate was only that
    shown = {"ko": f"{_four(fill.quantity)}주", "en": f"{_four(fill.quantity)} shares"}
    assert shown["ko"] != f"{_four(estimate)}주"

    ticket.refresh()  # the sent ticket now restates the fill, not its guess
    assert ticket.lines[0] == f"{shown['ko']} × 70,000 G₩"
    assert ticket.sent_status == "주문 완료"
    await f.parent.sync_now()
    for tools in (ko, en):
        text = shown[tools.tr.locale]
        portfolio = PortfolioVM(f.kid, tools, index)
        (holding,) = portfolio.holdings
        assert holding.shares == text
        row = next(r for r in portfolio.trades if r.key == trade_id)
        assert text in row.title
        assert StockVM(f.kid, tools, index, SAMSUNG).held_text == text
        (card,) = DashboardVM(f.parent, tools, f.runtime).cards
        assert text in card.trades[0].text, card.trades[0].text

    # she sells what the screen says she has: exactly the shares she holds, none left over
    sell = TradeVM(f.kid, ko, SAMSUNG, side="sell", index=index)
    sell.set_text(_four(fill.quantity))
    assert sell.args is not None and sell.args["quantity"] == fill.quantity
    sell.review()
    await sell.confirm()
    await f.kid.sync_now()
    assert f.kid.view().books[f.child_id].position(SAMSUNG).quantity == 0
    sell.refresh()
    assert sell.sent_status == "주문 완료" and sell.lines[0] == f"{shown['ko']} × 70,000 G₩"


def _four(micro: int) -> str:
    """The count worked out here on its own: four decimals, half up, trailing zeros dropped."""
    text = f"{(micro + 50) // 100 * 100 / 1_000_000:.4f}".rstrip("0").rstrip(".")
    assert len(text.partition(".")[2]) <= 4
    return text

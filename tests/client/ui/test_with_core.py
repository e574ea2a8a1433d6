"""The screens on the real client core and the real server: a paired child device buys from the
stock page, sees "waiting for confirmation" offline-first, and the answer after a sync."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from client.app import make_main
from client.config import load_config
from server.db.models import Balance
from tests.client.core.conftest import SAMSUNG, Server, anyio_backend, make_household, server  # noqa: F401

from .harness import start

pytestmark = pytest.mark.anyio


async def test_child_buys_from_the_stock_page_on_the_real_core(server: Server, tmp_path: Path) -> None:  # noqa: F811
    home = await make_household(server, tmp_path)
    runtime, profile, net, _ = home.kids[0]
    server.quote(SAMSUNG, 71_200)
    await profile.sync_now()
    try:
        main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=server.clock, locale="en")
        h = await start(main, f"/child/stock/{SAMSUNG}")
        assert h.route == f"/child/stock/{SAMSUNG}"
        assert h.text_of("stock-price") == "G₩71,200"  # a KRX price is game money
        assert h.text_of("fill-preview") == "Fills now at G₩71,200."
        await h.click("buy")
        net.down = True  # the order is placed offline: recorded locally, shown as waiting
        await h.type("trade-input", "2")
        assert h.text_of("trade-prediction").startswith("2 shares × G₩71,200")
        await h.click("trade-review")
        await h.click("trade-confirm")
        assert h.text_of("trade-status") == "Waiting for confirmation"
        assert h.text_of("sync-chip").endswith(" · 1 waiting")  # the chip counts the unsent order
        net.down = False
        await profile.sync_now()
        assert h.text_of("trade-status") == "Done"  # the server filled it at the cited price
        await h.goto("/child")
        assert h.text_of("home-total") == "G₩1,000,000"  # 857,600 cash + 2 × 71,200
    finally:
        await runtime.close()
        await home.parent_rt.close()


def _server_cash(server: Server, child_id: str) -> int:  # noqa: F811
    with server.app.state.db.read() as s:
        cash = select(Balance.balance).where(Balance.child_id == child_id, Balance.account == "cash")
        found = s.scalar(cash)
    return int(found or 0)


async def test_child_cancels_an_unsent_order_and_a_queued_one(server: Server, tmp_path: Path) -> None:  # noqa: F811
    home = await make_household(server, tmp_path)
    runtime, profile, net, _ = home.kids[0]
    server.quote(SAMSUNG, 71_200)
    await profile.sync_now()
    try:
        main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=server.clock, locale="en")
        h = await start(main, f"/child/stock/{SAMSUNG}")

        async def order(shares: str) -> str:
            await h.goto(f"/child/stock/{SAMSUNG}")
            await h.click("buy")
            await h.type("trade-input", shares)
            await h.click("trade-review")
            await h.click("trade-confirm")
            return str(profile.view().pending[-1].args["trade_id"])

        # offline: the order never leaves the device, so cancelling undoes it on the spot (C4)
        net.down = True
        unsent = await order("1")
        await h.goto("/child/portfolio")
        await h.click(f"cancel-{unsent}")
        await h.click("cancel-yes")  # cancelling asks first
        net.down = False
        await profile.sync_now()
        assert unsent not in profile.view().books[profile.identity.user_id].trades
        assert _server_cash(server, profile.identity.user_id) == 1_000_000  # the server never saw a buy

        # market closed: the order waits for the opening price on the server, and can be cancelled there
        server.app.state.market_clock.open_markets = set()
        queued = await order("2")
        await profile.sync_now()
        book = profile.view().books[profile.identity.user_id]
        assert book.trades[queued].status == "queued"
        await h.goto("/child/portfolio")
        await h.click(f"cancel-{queued}")
        await h.click("cancel-yes")
        await profile.sync_now()
        book = profile.view().books[profile.identity.user_id]
        assert book.trades[queued].status == "cancelled"
        assert book.balance("reserved") == 0 and book.balance("cash") == 1_000_000
        assert not h.has_id(f"cancel-{queued}")
    finally:
        await runtime.close()
        await home.parent_rt.close()

"""A price pushed on the live channel (``/ws``) over a real socket: the device keeps it, shows it,
and an order citing it fills at it. Nothing imitates the channel: the server's own live loop records
the quote as served to this device, so no later pull brings it again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from client import actions

from .conftest import SAMSUNG, SocketServer, family_over_sockets

pytestmark = pytest.mark.anyio


async def eventually(check: Callable[[], bool], within: float = 20.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - the socket task changes what it reads
            await asyncio.sleep(0.05)


async def test_a_quote_pushed_on_the_live_channel_is_kept_and_an_order_may_cite_it(
    socket_server: SocketServer, tmp_path: Path
) -> None:
    family = await family_over_sockets(socket_server, tmp_path, autostart=True)
    kid = family.kid
    try:
        socket_server.quote(SAMSUNG, 70_000)
        await kid.sync_now()
        assert kid.view().quotes[SAMSUNG].price == 70_000
        live = kid.live
        assert live is not None
        await eventually(lambda: live.connects >= 1)
        await kid.follow([SAMSUNG])  # the stock page is open

        pushed = socket_server.quote(SAMSUNG, 71_000)  # Yahoo moves; the server's refresher fetched it
        await eventually(lambda: kid.view().quotes[SAMSUNG].quote_id == pushed.quote_id)
        shown = kid.view().quotes[SAMSUNG]
        assert shown.price == 71_000

        item = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=shown))
        await kid.sync_now()
        trade = kid.view().books[kid.identity.user_id].trades[item.args["trade_id"]]
        assert (trade.status, trade.fill_price) == ("filled", 71_000)
        assert [o.status for o in kid.store.outcomes() if o.mutation_id == item.mutation_id] == ["applied"]
    finally:
        await family.kid_rt.close()
        await family.parent_rt.close()

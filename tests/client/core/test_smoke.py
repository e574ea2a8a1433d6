from __future__ import annotations

import pytest

from client import actions
from client.runtime import SyncState

from .conftest import SAMSUNG, Household

pytestmark = pytest.mark.anyio


async def test_child_buys_and_the_server_confirms(household: Household) -> None:
    _, kid, _, _ = household.kids[0]
    household.server.quote(SAMSUNG, 70_000)
    status = await kid.sync_now()
    assert status.state is SyncState.IDLE, status
    view = kid.view()
    assert kid.identity.user_id in view.books
    quote = view.quotes[SAMSUNG]
    cash_before = view.books[kid.identity.user_id].balance("cash")
    item = await kid.act(*actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=quote))
    assert not item.at_risk, item
    status = await kid.sync_now()
    assert status.state is SyncState.IDLE and status.pending == 0, status
    book = kid.view().books[kid.identity.user_id]
    assert book.position(SAMSUNG).quantity == 1_000_000
    assert book.balance("cash") < cash_before

"""Parent missions through the real client core and the real server: a parent gives one from the
child's page (after the password), the child's home shows its progress, and once the child's order
with a journal sentence is synced the server completes it and the child sees the reward."""

from __future__ import annotations

import pytest

from client import actions
from client.viewmodels import missions as kept
from client.viewmodels.home import HomeVM
from client.viewmodels.parent import ChildSettingsVM
from tests.client.core.conftest import SAMSUNG
from tests.helpers import PASSWORD

from .conftest import Family

pytestmark = pytest.mark.anyio


async def test_a_mission_given_by_a_parent_is_completed_by_the_childs_trade(family: Family) -> None:
    f = family
    page = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    page.attach()
    page.set_mission(kind="journals", target="0", reward="3,000")
    assert await page.create_mission() is False
    assert page.error == "The target must be a number from 1 to 100."  # nothing asked of the server
    page.set_mission(target="1")
    assert await page.create_mission() is False and page.ask_step_up  # a mission promises money
    assert await page.confirm_step_up(PASSWORD)
    assert page.notice == "Mission given to 지우."
    assert [(r.title, r.progress, r.status) for r in page.mission_rows] == [
        ("Write 1 trade journal notes", "0/1 notes", "In progress")
    ]

    home = HomeVM(f.kid, f.tools)
    home.attach()
    await home.load_missions()
    assert [(r.progress, r.status) for r in home.mission_rows] == [("0/1 notes", "In progress")]
    cash = f.kid.view().books[f.child_id].balance("cash")
    f.server.clock.advance(minutes=1)  # the sentence comes after the mission
    f.server.quote(SAMSUNG, 70_000)
    await f.kid.sync_now()
    quote = f.kid.view().quotes[SAMSUNG]
    order = actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=quote, journal="반도체가 좋아서")
    await f.kid.act(*order)
    home.refresh()
    assert [r.progress for r in home.mission_rows] == ["1/1 notes"]  # on the device, before the sync
    await f.kid.sync_now()
    home.refresh()
    assert home.missions_stale  # synced with an open mission: the view fetches the list again
    await home.load_missions()
    assert [r.status for r in home.mission_rows] == ["Done! You got the reward"]
    await f.kid.sync_now()
    assert f.kid.view().books[f.child_id].balance("cash") == cash - 70_000 + 3_000

    await page.load_missions()
    assert [(r.status, r.cancellable) for r in page.mission_rows] == [("Completed: reward paid", False)]
    kept._LAST.clear()

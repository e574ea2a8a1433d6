"""The parent's leaderboard switch in a child's settings, on the real server: off by default, on
after the password, and then the child's home finds the board."""

from __future__ import annotations

import pytest

from client.viewmodels.home import HomeVM
from client.viewmodels.parent import ChildSettingsVM
from tests.helpers import PASSWORD

from .conftest import Family, tools_for

pytestmark = pytest.mark.anyio


async def test_a_parent_puts_a_child_on_the_family_leaderboard(family: Family) -> None:
    f = family
    home = HomeVM(f.kid, tools_for(f.server, "ko"))
    await home.load_board()
    assert home.board.enabled is False  # off by default
    await f.runtime.step_up(f.parent, PASSWORD)
    vm = ChildSettingsVM(f.parent, f.tools, f.runtime, f.child_id)
    assert vm.draft is not None and vm.draft.get("leaderboard") is False
    vm.set_leaderboard(True)
    assert vm.dirty
    assert await vm.save_rules()
    await f.parent.sync_now()
    await f.kid.sync_now()
    assert f.kid.view().books[f.child_id].rules().leaderboard is True
    await home.load_board()
    assert home.board.enabled is True
    assert [r.name for r in home.board.since_start] == ["지우 (나)"]

"""Above the second-parent threshold: with one parent a cooling-off delay, with two parents the
second approval — each state explained on the approvals screen, nothing paid before it is done."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from client import actions
from client.profile import Profile
from client.viewmodels.parent import ApprovalsVM, FamilyVM, ParentInboxVM
from tests.client.core.conftest import BASE_URL, make_runtime
from tests.helpers import PASSWORD

from .conftest import Family

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def dad_joins(f: Family, tmp_path: Path) -> AsyncIterator[tuple[Any, Profile]]:
    """Dad joins the family with mom's invite on his own phone (his runtime, his profile)."""
    invite = await f.parent.api.pairing_code("parent_invite")
    dad_rt, _, _ = await make_runtime(f.server, tmp_path / "dad")
    try:
        dad = await dad_rt.enroll_with_code(
            BASE_URL, invite["code"], "phone", email="dad@example.org", password=PASSWORD, display_name="아빠"
        )
        yield dad_rt, dad
    finally:
        await dad_rt.close()


async def lower_threshold(f: Family) -> None:
    await f.runtime.step_up(f.parent, PASSWORD)
    await f.parent.act(*actions.set_rules(f.child_id, {"second_parent_threshold": 1_000}))
    await f.parent.sync_now()


async def test_one_parent_confirms_again_after_the_cooling_off(family: Family) -> None:
    f = family
    await lower_threshold(f)
    vm = ApprovalsVM(f.parent, f.tools, f.runtime)
    vm.attach()
    (row,) = vm.rows
    assert row.rule == (
        "Over ₩1,000 with one parent: after you approve, wait 24 hours and confirm once more."
    )
    assert await vm.approve(row.request_id)
    await f.parent.sync_now()
    (row,) = vm.rows
    assert row.rule is not None and row.rule.startswith("Cooling-off: confirm again after ")
    assert not row.can_approve
    f.server.clock.advance(hours=24, seconds=1)
    vm.refresh()
    (row,) = vm.rows
    assert row.rule == "The cooling-off is over: approve to confirm." and row.can_approve
    await f.runtime.step_up(f.parent, PASSWORD)
    assert await vm.approve(row.request_id)
    await f.parent.sync_now()
    assert vm.rows == []
    assert f.parent.view().books[f.child_id].requests()[0].status == "approved"


async def test_two_parents_both_approve(family: Family, tmp_path: Path) -> None:
    f = family
    async with dad_joins(f, tmp_path) as (dad_rt, dad):
        await lower_threshold(f)
        await dad.sync_now()
        mom_vm = ApprovalsVM(f.parent, f.tools, f.runtime)
        mom_vm.attach()
        (row,) = mom_vm.rows
        assert row.rule == "Over ₩1,000: the other parent must approve too."
        assert await mom_vm.approve(row.request_id)
        await f.parent.sync_now()
        (row,) = mom_vm.rows
        assert row.rule == "You approved. Over ₩1,000, so it waits for the other parent."
        assert not row.can_approve

        await dad.sync_now()
        dad_vm = ApprovalsVM(dad, f.tools, dad_rt)
        (row,) = dad_vm.rows
        assert row.rule == "Over ₩1,000: the other parent already approved. Yours completes it."
        assert await dad_vm.approve(row.request_id) is False and dad_vm.ask_step_up
        assert await dad_vm.confirm_step_up(PASSWORD)
        await dad.sync_now()
        assert dad.view().books[f.child_id].requests()[0].status == "approved"


async def test_the_other_parent_hears_of_an_erasure_and_his_phone_forgets_the_child(
    family: Family, tmp_path: Path
) -> None:
    """Mom erases 지우: dad's inbox says so (and where to call it off) before it runs; once the
    eraser has run, dad's next sync takes 지우 off his phone (his replica's balance checksums no
    longer match the family's, so the pull comes back as a fresh snapshot without her)."""
    f = family
    async with dad_joins(f, tmp_path) as (dad_rt, dad):
        await dad.sync_now()
        assert f.child_id in dad.view().books
        vm = FamilyVM(f.parent, f.tools, f.runtime)
        vm.attach()
        await f.runtime.step_up(f.parent, PASSWORD)
        vm.ask_erase(f.child_id)
        assert await vm.erase()

        f.server.dispatch()
        await dad.sync_now()
        inbox = ParentInboxVM(dad, f.tools, dad_rt)
        inbox.attach()
        (note,) = [n for n in inbox.notes if n.item.event == "SecurityAlert"]
        assert note.alert and note.route == "/parent/devices"
        assert "asked to erase a child's records" in note.item.body and "지우" not in note.item.body

        f.server.clock.advance(days=7, hours=1)
        assert f.server.app.state.eraser.run_once() == 1
        # a week on, dad's session has ended (7 days at most): he unlocks with his password
        dad = await dad_rt.unlock_parent(dad.identity, PASSWORD)
        await dad.sync_now()
        assert dad.view().status.code is None
        assert f.child_id not in dad.view().books
        assert [m["role"] for m in dad.view().members] == ["parent", "parent"]

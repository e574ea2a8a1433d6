"""Enrolment and sign-in through the runtime: a second parent by invite, identities on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from client import actions
from client.net.api import ApiError
from client.runtime import Runtime
from client.vault import OFFLINE_PIN_TRIES, pin_matches, pin_verifier
from server.db.models import LedgerEntry
from tests.helpers import PASSWORD

from .conftest import BASE_URL, Household, make_runtime

pytestmark = pytest.mark.anyio


async def test_a_second_parent_joins_by_invite_and_signs_in_again(
    household: Household, tmp_path: Path
) -> None:
    invite = await household.parent.api.pairing_code("parent_invite")
    runtime, _, _ = await make_runtime(household.server, tmp_path / "dad")
    try:
        dad = await runtime.enroll_with_code(
            BASE_URL,
            invite["code"],
            "아빠 폰",
            email="dad@example.org",
            password=PASSWORD,
            display_name="아빠",
        )
        assert (dad.identity.role, dad.identity.display_name) == ("parent", "아빠")
        assert dad.identity.family_id == household.parent.identity.family_id
        await dad.sync_now()
        assert household.child_id in dad.view().books
        assert {m["display_name"] for m in dad.view().members} >= {"엄마", "아빠", "지우"}

        identity = dad.identity
        await runtime.sign_out(identity)
        again = Runtime.open(
            runtime.data_dir,
            vault=runtime.vault,
            transport=runtime.transport,
            clock=runtime.clock,
            autostart=False,
        )
        assert again.identities() == [identity]
        assert await again.resume(identity) is None  # signed out: nothing remembered
        with pytest.raises(ApiError) as wrong:
            await again.unlock_parent(identity, "not the password")
        assert wrong.value.status == 401
        back = await again.unlock_parent(identity, PASSWORD)  # the e-mail was kept on the device
        assert back.identity == identity and again.active is back
        await again.close()
    finally:
        await runtime.close()


async def test_a_used_pairing_code_enrols_nothing(household: Household, tmp_path: Path) -> None:
    code = (await household.parent.api.pairing_code("child_device", household.child_id))["code"]
    first, _, _ = await make_runtime(household.server, tmp_path / "a")
    second, _, _ = await make_runtime(household.server, tmp_path / "b")
    try:
        await first.enroll_with_code(BASE_URL, code, "tablet")
        with pytest.raises(ApiError) as used:
            await second.enroll_with_code(BASE_URL, code, "phone")
        assert used.value.status in (404, 409) and used.value.code
        assert second.identities() == [] and second.active is None
    finally:
        await first.close()
        await second.close()


async def test_a_child_unlocks_offline_with_the_pin_of_its_last_online_unlock(
    household: Household,
) -> None:
    runtime, kid, net, _ = household.kids[0]
    identity = kid.identity
    await kid.sync_now()
    await runtime.unlock_child(identity, household.pin)  # online: the server checks, the device learns
    await runtime.close()
    net.down = True  # the next morning, no network
    again = Runtime.open(
        runtime.data_dir, vault=runtime.vault, transport=net, clock=runtime.clock, autostart=False
    )
    household.kids[0] = (again, *household.kids[0][1:])
    with pytest.raises(ApiError) as wrong:
        await again.unlock_child(identity, "000000")
    assert (wrong.value.status, wrong.value.code) == (401, "UNAUTHENTICATED")
    profile = await again.unlock_child(identity, household.pin)
    assert again.active is profile and identity.user_id in profile.view().books
    for _ in range(OFFLINE_PIN_TRIES):
        with pytest.raises(ApiError):
            await again.unlock_child(identity, "111111")
    with pytest.raises(ApiError) as locked:  # too many misses: even the right PIN waits for the server
        await again.unlock_child(identity, household.pin)
    assert locked.value.code == "OFFLINE"
    net.down = False
    back = await again.unlock_child(identity, household.pin)
    assert back.identity == identity and back.store.meta()["pin_failures"] == 0


def test_the_pin_verifier_is_salted_and_checks() -> None:
    a, b = pin_verifier("482915"), pin_verifier("482915")
    assert a != b and "482915" not in a
    assert pin_matches("482915", a) and not pin_matches("482916", a) and not pin_matches("482915", "junk")


async def test_locking_parent_mode_sends_what_the_parent_queued_first(household: Household) -> None:
    """The 5-minute idle lock drops the parent's session from the device: a grant the parent made
    just before must reach the server, not wait for the parent's next sign-in on this device."""
    parent, runtime = household.parent, household.parent_rt
    await parent.act(*actions.grant(household.child_id, 5_000, "설거지 도와줘서 고마워"))
    assert parent.view().pending  # recorded, not yet sent (the tests drive syncing by hand)
    await runtime.lock()
    assert parent.identity.client_id not in runtime.profiles
    with household.server.app.state.db.read() as s:
        granted = s.scalar(
            select(func.sum(LedgerEntry.amount)).where(
                LedgerEntry.child_id == household.child_id,
                LedgerEntry.kind == "family.grant",
                LedgerEntry.account == "cash",
            )
        )
    assert granted == 5_000

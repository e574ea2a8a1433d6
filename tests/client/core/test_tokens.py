"""Access tokens expire every 15 minutes; the client refreshes once, stores the rotated refresh token
before using it, never presents an old one, and stops cleanly when the session is over."""

from __future__ import annotations

import asyncio

import pytest

from client import actions
from client.net.api import ApiError
from client.runtime import SyncState
from tests.helpers import PASSWORD

from .conftest import SAMSUNG, Household

pytestmark = pytest.mark.anyio


async def test_an_expired_access_token_is_refreshed_once_and_the_new_refresh_token_kept(
    household: Household,
) -> None:
    runtime, kid, _, _ = household.kids[0]
    vault = runtime.vault
    first = await vault.get(kid.identity.client_id)
    assert first
    household.server.clock.advance(minutes=16)
    assert (await kid.sync_now()).state is SyncState.IDLE
    assert kid.api.session.refreshes == 1
    second = await vault.get(kid.identity.client_id)
    assert second and second != first  # rotated, and stored

    # many requests meet the expiry together: one refresh; a second would present a rotated token
    # (the server would end the session) — every request still succeeds
    household.server.clock.advance(minutes=16)
    results = await asyncio.gather(*(kid.api.family() for _ in range(4)))
    assert all(r["members"] for r in results)
    assert kid.api.session.refreshes == 2
    assert (await kid.sync_now()).state is SyncState.IDLE


async def test_a_revoked_device_is_signed_out_and_keeps_its_queue(household: Household) -> None:
    runtime, kid, _, _ = household.kids[0]
    household.server.quote(SAMSUNG, 70_000)
    await kid.sync_now()
    parent = household.parent
    await household.parent_rt.step_up(parent, PASSWORD)
    await parent.api.revoke_device(kid.identity.client_id)
    item = await kid.act(
        *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
    )
    status = await kid.sync_now()
    assert status.state is SyncState.SIGNED_OUT and status.code == "UNAUTHENTICATED"
    assert [p.mutation_id for p in kid.view().pending] == [item.mutation_id]
    assert await runtime.vault.get(kid.identity.client_id) is None  # nothing left to retry with
    with pytest.raises(ApiError) as error:
        await kid.api.family()
    assert error.value.status == 401 and error.value.code == "UNAUTHENTICATED"


async def test_sign_out_ends_the_session_on_the_server(household: Household) -> None:
    runtime, kid, _, _ = household.kids[0]
    refresh = await runtime.vault.get(kid.identity.client_id)
    identity = kid.identity
    await runtime.sign_out(identity)
    assert runtime.active is None and await runtime.vault.get(identity.client_id) is None
    answer = household.server.client.post("/api/auth/refresh", json={"refresh_token": refresh})
    assert answer.status_code == 401
    assert identity in runtime.identities()  # the database (and any queue) stays for the next sign-in
    again = await runtime.unlock_child(identity, household.pin)
    assert again.identity == identity
    with pytest.raises(ApiError) as error:
        await runtime.unlock_child(identity, "000000")
    assert error.value.status == 401
    assert runtime.active is again and runtime.profiles[identity.client_id] is again  # still open


async def test_a_lost_refresh_answer_does_not_sign_the_device_out(household: Household) -> None:
    """The refresh reached the server and rotated the token, but the answer was lost on the way back:
    the retry presents the old token again and the server answers the same successor."""
    runtime, kid, _, faults = household.kids[0]
    before = await runtime.vault.get(kid.identity.client_id)
    household.server.clock.advance(minutes=16)  # the access token has expired: the next call refreshes
    # the call meets 401, then the refresh rotates the token on the server and its answer is lost
    faults.plan(["ok", "drop_response"])
    with pytest.raises(ApiError):
        await kid.api.family()
    assert await runtime.vault.get(kid.identity.client_id) == before  # the device still has only the old one
    household.server.clock.advance(seconds=2)
    status = await kid.sync_now()
    assert status.state is SyncState.IDLE, status
    assert await runtime.vault.get(kid.identity.client_id) not in (None, before)
    assert (await kid.api.family())["members"]
    assert ("drop_response", "/api/auth/refresh") in faults.log

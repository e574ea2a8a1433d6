"""The sync engine's reactions: step-up, an unsupported version, backoff, kicks and pokes, and the
runtime's parent mode on a child's device."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import httpx
import pytest

from client import actions
from client.clock import new_id
from client.engine import BACKOFF_CAP_S, SyncEngine
from client.net.api import ApiClient, Session
from client.runtime import Identity, Profile, SyncState
from client.store import IdentityRow, LocalStore
from client.vault import MemoryVault
from tests.helpers import PASSWORD

from .conftest import BASE_URL, START, Household

pytestmark = pytest.mark.anyio


async def test_a_parent_action_waits_for_step_up_and_earlier_work_still_applies(
    household: Household,
) -> None:
    parent, child = household.parent, household.child_id
    await parent.sync_now()
    grant = await parent.act(*actions.grant(child, 5_000, "숙제 완료"))
    rules = await parent.act(*actions.set_rules(child, {"fee_bps": 25}))
    status = await parent.sync_now()
    assert (status.state, status.code, status.pending) == (SyncState.ERROR, "STEP_UP_REQUIRED", 1)
    assert [p.mutation_id for p in parent.view().pending] == [rules.mutation_id]
    assert {o.mutation_id for o in parent.store.outcomes()} == {grant.mutation_id}
    assert parent.view().books[child].rules().fee_bps == 25  # still shown as predicted

    await household.parent_rt.step_up(parent, PASSWORD)
    assert parent.api.session.is_elevated()
    status = await parent.sync_now()
    assert (status.state, status.pending) == (SyncState.IDLE, 0)
    assert parent.store.confirmed().book(child).rules().fee_bps == 25


def offline_profile(tmp_path: Path, handler: Any) -> Profile:
    """A profile whose server is ``handler`` (an ``httpx.MockTransport`` function)."""
    store = LocalStore.open(tmp_path / "p.db")
    client_id = new_id()
    store.init_identity(IdentityRow(client_id, "kid-1", "child", "fam-1", "지우", BASE_URL), START)
    vault = MemoryVault()
    vault.tokens[client_id] = "refresh"
    api = ApiClient(
        BASE_URL, Session(client_id, vault, access="access"), transport=httpx.MockTransport(handler)
    )
    row = store.identity()
    assert row is not None
    return Profile(Identity(**vars(row)), store, api)


async def test_an_unsupported_version_asks_for_an_update_and_keeps_the_queue(tmp_path: Path) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json={"status": 400, "code": "VERSION_NOT_SUPPORTED", "supported_protocols": [2]}
        )

    profile = offline_profile(tmp_path, server)
    try:
        item = await profile.act(*actions.request_conversion(20_000))
        status = await profile.sync_now()
        assert (status.state, status.code) == (SyncState.NEEDS_UPDATE, "VERSION_NOT_SUPPORTED")
        assert [p.mutation_id for p in profile.view().pending] == [item.mutation_id]
        assert profile.engine.next_delay() == profile.engine.interval  # no hammering an old server
    finally:
        await profile.close()


async def test_a_busy_server_is_not_asked_again_before_its_retry_after(tmp_path: Path) -> None:
    def server(request: httpx.Request) -> httpx.Response:  # a server shedding load (server.shedding)
        body = {"status": 503, "code": "UNAVAILABLE", "detail": "the server is busy: try again shortly"}
        return httpx.Response(503, json=body, headers={"Retry-After": "30"})

    profile = offline_profile(tmp_path, server)
    try:
        item = await profile.act(*actions.request_conversion(20_000))
        status = await profile.sync_now()
        assert (status.state, status.code) == (SyncState.ERROR, "UNAVAILABLE")
        assert [p.mutation_id for p in profile.view().pending] == [item.mutation_id]  # nothing lost
        # one failure alone would back off about a second; the server asked for thirty
        assert all(profile.engine.next_delay() >= 30 for _ in range(20))
    finally:
        await profile.close()


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    engine = SyncEngine.__new__(SyncEngine)
    engine.interval, engine.rng, engine.state = 45.0, random.Random(7), SyncState.OFFLINE
    engine.backoff_base, engine.retry_after = 1.0, 0.0
    delays = []
    for failures in range(1, 12):
        engine.failures = failures
        delays.append(engine.next_delay())
    assert delays[0] <= 2.0 and max(delays) <= BACKOFF_CAP_S
    assert delays[-1] >= BACKOFF_CAP_S / 2
    engine.failures = 20
    assert len({round(engine.next_delay(), 6) for _ in range(20)}) > 1  # devices do not retry in step


async def test_a_kick_syncs_soon_and_a_poke_syncs_now(household: Household) -> None:
    _, kid, net, _ = household.kids[0]
    kid.engine.debounce, kid.engine.interval = 0.05, 3600
    seen: list[int] = []
    unsubscribe = kid.subscribe(lambda: seen.append(len(kid.store.pending())))
    kid.engine.start()
    try:
        await _until(lambda: kid.engine.rounds >= 1)  # start() syncs once
        await kid.act(*actions.request_conversion(20_000))
        await kid.act(*actions.request_conversion(20_000))
        await _until(lambda: kid.engine.rounds >= 2 and not kid.store.pending())
        assert kid.engine.rounds == 2  # two taps, one debounced round
        assert seen and seen[-1] == 0
        pulls = net.requests.count("/api/sync/pull")
        kid.engine.poke()
        await _until(lambda: net.requests.count("/api/sync/pull") > pulls)
    finally:
        unsubscribe()
        await kid.engine.stop()


async def _until(condition: Any, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the state is changed by the engine's own task
            await asyncio.sleep(0.01)


async def test_parent_mode_on_a_childs_device_is_dropped_by_lock(household: Household) -> None:
    runtime, kid, _, _ = household.kids[0]
    me = await household.parent.api.profile(household.parent.identity.user_id)
    parent_here = await runtime.sign_in_parent(BASE_URL, me["email"], PASSWORD, "지우의 태블릿")
    assert runtime.active is parent_here and parent_here.identity.client_id != kid.identity.client_id
    assert parent_here.identity.role == "parent"
    await parent_here.sync_now()
    assert household.child_id in parent_here.view().books
    await runtime.lock()
    assert runtime.active is kid
    assert parent_here.identity.client_id not in runtime.profiles
    assert await runtime.vault.get(parent_here.identity.client_id) is None  # the child cannot resume it
    assert await runtime.resume(parent_here.identity) is None


async def test_after_failures_the_queue_drains_by_itself_once_the_server_recovers(
    household: Household,
) -> None:
    _, kid, _, faults = household.kids[0]
    await kid.sync_now()
    kid.engine.debounce, kid.engine.interval, kid.engine.backoff_base = 0.01, 3600, 0.02
    start = len(faults.log)
    faults.plan(["error_5xx"] * 3 + ["drop_request"] * 2)  # five failed requests, then healthy
    kid.engine.start()
    try:
        await kid.act(*actions.request_conversion(20_000))  # the only local write
        await _until(lambda: kid.engine.rounds >= 2 and not kid.store.pending(), seconds=10)
        assert kid.engine.status().state is SyncState.IDLE and kid.engine.failures == 0
        assert [f for f, _ in faults.log[start : start + 5]] == ["error_5xx"] * 3 + ["drop_request"] * 2
    finally:
        await kid.engine.stop()


async def test_a_mutation_recorded_while_a_sync_runs_goes_out_in_the_same_round(
    household: Household,
) -> None:
    _, kid, net, _ = household.kids[0]
    await kid.sync_now()
    later: list[str] = []

    async def tap_during_push(path: str) -> None:
        if path == "/api/sync/push" and not later:
            later.append((await kid.act(*actions.request_conversion(30_000))).mutation_id)

    net.before = tap_during_push
    first = await kid.act(*actions.request_conversion(20_000))
    status = await kid.sync_now()
    assert (status.state, status.pending) == (SyncState.IDLE, 0)
    outcomes = {o.mutation_id for o in kid.store.outcomes()}
    assert {first.mutation_id, *later} <= outcomes and len(later) == 1

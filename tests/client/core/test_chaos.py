"""Randomized: two devices of a child and the parent act and sync over networks that lose requests,
lose answers, duplicate, hold back and 503, and the app is killed at random moments. After the
network heals everything converges (I13, I14), nothing is lost (I1) or applied twice (I2), and the
server's own invariants hold. Each seed replays exactly (the faults come from a seeded RNG)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from client import actions
from client.net.api import ApiError
from client.runtime import Profile, Runtime, SyncState
from tests.helpers import PASSWORD
from tests.support.invariants import check_server

from .checks import check_converged, check_i11
from .conftest import SAMSUNG, Server, make_household

pytestmark = pytest.mark.anyio


async def _act(rng: random.Random, profile: Profile, child_id: str) -> str | None:
    view = profile.view()
    book = view.books.get(child_id)
    quote = view.quotes.get(SAMSUNG)
    if profile.identity.role == "parent":
        if rng.random() < 0.5:
            return (
                await profile.act(*actions.grant(child_id, rng.randint(1, 5) * 1_000, "용돈"))
            ).mutation_id
        trades = [t for t in (book.trades.values() if book else []) if t.status == "queued"]
        return (
            None
            if not trades
            else (await profile.act(*actions.cancel_order(trades[0].trade_id, child_id))).mutation_id
        )
    if quote is None or book is None:
        return None
    roll = rng.random()
    if roll < 0.5:
        name, args = actions.place_order(SAMSUNG, "buy", quantity=rng.randint(1, 3) * 1_000_000, quote=quote)
    elif roll < 0.8:
        name, args = actions.place_order(SAMSUNG, "sell", quantity=1_000_000, quote=quote)
    else:
        name, args = actions.request_conversion(rng.randint(1, 3) * 10_000)
    return (await profile.act(name, args)).mutation_id


async def _sign_in_again(runtime: Runtime, profile: Profile, pin: str) -> Profile:
    """The user types the PIN or password again, retrying while the network fails."""
    for _ in range(50):
        try:
            if profile.identity.role == "child":
                return await runtime.unlock_child(profile.identity, pin)
            return await runtime.unlock_parent(profile.identity, PASSWORD)
        except ApiError as error:
            if not (error.offline or error.status >= 500):
                raise
    raise AssertionError("could not sign in again through the faulty network")


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_random_faults_and_kills_converge(server: Server, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    home = await make_household(server, tmp_path, child_devices=2)
    server.quote(SAMSUNG, 70_000)
    runtimes: list[Runtime] = [home.parent_rt, *(k[0] for k in home.kids)]
    profiles: list[Profile] = [home.parent, *(k[1] for k in home.kids)]
    faults = [k[3] for k in home.kids] + [home.parent_rt.transport.inner]  # type: ignore[union-attr]
    try:
        for p in profiles:
            await p.sync_now()
        for f in faults:
            f.chaos, f.healthy, f.rng = 0.35, False, random.Random(seed * 100 + len(f.log))
        created: dict[str, Profile] = {}
        for _ in range(40):
            i = rng.randrange(len(profiles))
            profile, roll = profiles[i], rng.random()
            if roll < 0.55:
                mutation_id = await _act(rng, profile, home.child_id)
                if mutation_id:
                    created[mutation_id] = profile
            elif roll < 0.9:
                if rng.random() < 0.3:
                    server.dispatch()
                await profile.sync_now()
            elif roll < 0.95 and profile.view().pending:
                await profile.cancel_pending(rng.choice(profile.view().pending).seq)
            else:  # the app is killed and started again from its files
                identity, old = profile.identity, runtimes[i]
                await old.close()
                runtimes[i] = Runtime.open(
                    old.data_dir, vault=old.vault, transport=old.transport, clock=old.clock, autostart=False
                )
                resumed = await runtimes[i].resume(identity)
                if resumed is None:  # it had been signed out (see below): the PIN or password again
                    resumed = await _sign_in_again(runtimes[i], profile, home.pin)
                created = {m: (resumed if p is profile else p) for m, p in created.items()}
                profiles[i] = resumed
                check_i11(resumed)
        for f in faults:
            f.heal()
            f.release_held()
        server.dispatch()
        for _ in range(3):
            for i, p in enumerate(profiles):
                if (await p.sync_now()).state is SyncState.SIGNED_OUT:
                    # a refresh answer lost on the network and retried only after the server's 10 s
                    # grace window cannot be recovered: the user signs in again, the queue waits
                    p = profiles[i] = await _sign_in_again(runtimes[i], p, home.pin)
                    created = {m: (p if q.identity == p.identity else q) for m, q in created.items()}
                    await p.sync_now()
        statuses = [(p.identity.role, p.engine.status()) for p in profiles]
        assert all(s.state == "idle" and not s.pending for _, s in statuses), statuses
        check_converged(server.app.state.db, profiles, created)
        check_server(server.app.state.db)
    finally:
        for runtime in runtimes:
            await runtime.close()

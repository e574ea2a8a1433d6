"""Sessions that last as long as the family uses the app, on a device without a secure keyring (a
headless Linux box, the web view, a phone): the refresh token is kept in memory, every path that
meets a 401 refreshes — one refresh at a time per session — and a session the server refuses leads
to the PIN (or the password), after which what was waiting is sent, without a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from client import actions
from client.i18n import Translator, load_catalogs
from client.runtime import Identity, Profile, SyncState
from client.viewmodels.base import Tools
from client.viewmodels.shell import ShellVM
from server.db.models import RefreshToken
from tests.helpers import PASSWORD

from .checks import applied_count
from .conftest import (
    SAMSUNG,
    Server,
    SocketFamily,
    SocketServer,
    family_over_sockets,
    make_household,
    no_keyring,
)

pytestmark = pytest.mark.anyio


async def place(kid: Profile, server: Server | SocketServer, price: int = 70_000) -> str:
    """The child buys one share at a fresh price; the order's mutation id."""
    server.quote(SAMSUNG, price)
    await kid.sync_now()
    item = await kid.act(
        *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
    )
    return item.mutation_id


async def test_a_child_without_a_keyring_keeps_syncing_across_many_expiries(
    server: Server, tmp_path: Path
) -> None:
    home = await make_household(server, tmp_path, kid_vault=no_keyring)
    runtime, kid, _, _ = home.kids[0]
    try:
        for expiry in range(1, 5):
            server.clock.advance(minutes=16)  # the access token has run out again
            mutation_id = await place(kid, server)
            status = await kid.sync_now()
            assert status.state is SyncState.IDLE and status.pending == 0, status
            assert applied_count(server.app.state.db, mutation_id) == 1
            assert kid.api.session.refreshes == expiry  # one refresh per expiry, never more
        assert runtime.active is kid and kid.identity.client_id in runtime.profiles
    finally:
        await runtime.close()
        await home.parent_rt.close()


@pytest.fixture
async def sockets(socket_server: SocketServer, tmp_path: Path) -> AsyncIterator[SocketFamily]:
    family = await family_over_sockets(socket_server, tmp_path, autostart=True)
    yield family
    await family.kid_rt.close()
    await family.parent_rt.close()


async def eventually(check: Callable[[], bool], within: float = 15.0) -> None:
    """Wait until ``check()`` holds (the app's own tasks make it true)."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - the sync loop and the socket task change what it reads
            await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_the_live_channel_reconnects_after_each_expiry(sockets: SocketFamily) -> None:
    """The server closes the socket with 4401 when its token runs out; the device refreshes (or
    takes the token the sync loop already got) and reconnects, and pokes still arrive."""
    kid, server = sockets.kid, sockets.server
    live = kid.live
    assert live is not None
    await eventually(lambda: live.connects == 1)
    for expiry in range(1, 4):
        server.clock.advance(minutes=16)
        await eventually(lambda n=expiry: live.connects == n + 1)
        assert kid.api.session.refreshes == expiry
        # the socket works: a parent's grant pokes the child, whose sync loop pulls it at once
        await sockets.parent.act(*actions.grant(sockets.child_id, 1_000, "심부름"))
        await sockets.parent.sync_now()
        await eventually(
            lambda n=expiry: kid.view().books[sockets.child_id].balance("cash") == 1_000_000 + n * 1_000
        )
    assert sockets.kid_rt.active is kid


async def test_concurrent_401s_cause_exactly_one_refresh(socket_server: SocketServer, tmp_path: Path) -> None:
    """The sync round, the screens' online calls and the live socket all meet the expiry at once,
    over a real network: one refresh; the server never sees a rotated token again (it would end the
    whole session)."""
    family = await family_over_sockets(socket_server, tmp_path, autostart=False)
    kid, api = family.kid, family.kid.api
    try:
        socket_server.quote(SAMSUNG, 70_000)
        await kid.sync_now()
        expired = api.session.access
        socket_server.clock.advance(minutes=16)
        await kid.act(
            *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
        )
        results = await asyncio.gather(
            kid.sync_now(),
            api.price(SAMSUNG),
            api.history(SAMSUNG, "1M"),
            api.family(),
            api.stock(SAMSUNG),
            api.refresh_after(expired),  # the live socket's 4401 with the expired token
        )
        assert results[0].state is SyncState.IDLE and results[0].pending == 0, results[0]
        assert api.session.refreshes == 1
        with socket_server.app.state.db.read() as s:
            chain = s.execute(
                select(RefreshToken.used_at, RefreshToken.revoked_at).where(
                    RefreshToken.client_id == kid.identity.client_id
                )
            ).all()
        # rotated once and never presented again: a reuse would have revoked the whole chain
        assert len(chain) == 2 and sum(1 for used, _ in chain if used) == 1
        assert not any(revoked for _, revoked in chain)
    finally:
        await family.kid_rt.close()
        await family.parent_rt.close()


async def test_a_refused_session_leads_to_the_pin_and_the_waiting_order_goes_after_unlocking(
    server: Server, tmp_path: Path
) -> None:
    home = await make_household(server, tmp_path, kid_vault=no_keyring)
    runtime, kid, _, _ = home.kids[0]
    ended: list[Identity] = []
    runtime.subscribe(ended.append)
    try:
        identity = kid.identity
        server.quote(SAMSUNG, 70_000)
        await kid.sync_now()
        server.clock.advance(days=8)  # past the 7-day sign-in: the server refuses the refresh token
        server.quote(SAMSUNG, 71_000)
        item = await kid.act(
            *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
        )
        status = await kid.sync_now()
        assert status.state is SyncState.SIGNED_OUT
        assert ended == [identity]  # the screens are told: the PIN screen comes
        assert runtime.active is None and runtime.identities() == [identity]
        assert applied_count(server.app.state.db, item.mutation_id) == 0

        runtime.autostart = True  # the app's own sync loop, as after any unlock
        again = await runtime.unlock_child(identity, home.pin)
        await eventually(lambda: not again.view().pending)
        assert applied_count(server.app.state.db, item.mutation_id) == 1
        assert again.view().books[identity.user_id].position(SAMSUNG).quantity == 1_000_000
    finally:
        await runtime.close()
        await home.parent_rt.close()


async def test_the_unlock_screen_says_when_only_a_parent_can_help(server: Server, tmp_path: Path) -> None:
    """A wrong PIN (perhaps a parent changed it) the child can fix by asking; a revoked device or a
    locked PIN only a parent can — and the words say so."""
    home = await make_household(server, tmp_path)
    runtime, kid, _, _ = home.kids[0]
    identity = kid.identity
    shell = ShellVM(runtime, Tools(Translator(load_catalogs(), "en")))
    try:
        await home.parent_rt.step_up(home.parent, PASSWORD)
        await home.parent.api.reset_pin(home.child_id, "735924")
        assert not await shell.unlock(identity, home.pin)
        assert shell.error == "That PIN isn't right. If a parent changed it, ask them for the new one."
        assert await shell.unlock(identity, "735924") and shell.home_route() == "/child"

        await home.parent.api.revoke_device(identity.client_id)
        assert not await shell.unlock(identity, "735924")
        assert shell.error is not None and shell.error.startswith("This device was disconnected")
        assert "Ask a parent for a new pairing code" in shell.error
    finally:
        await runtime.close()
        await home.parent_rt.close()

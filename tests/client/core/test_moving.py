"""A family moves its server to a new address (here: the same database served at a new port, over a
real network). A parent moves a child's device there — from parent mode's server screen, or from the
mode switch when the old address is gone — and the device keeps its identity, its records and the
order it queued meanwhile, which reaches the server at its new address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from client import actions
from client.i18n import Translator, load_catalogs
from client.runtime import Runtime, SyncState
from client.viewmodels.base import Tools
from client.viewmodels.parent import ServerVM
from client.viewmodels.shell import ShellVM
from tests.conftest import MovableClock
from tests.helpers import PASSWORD

from .checks import applied_count
from .conftest import SAMSUNG, SocketFamily, SocketServer, family_over_sockets, server_settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def tools() -> Tools:
    return Tools(Translator(load_catalogs(), "en"))


@pytest.fixture
async def family(socket_server: SocketServer, tmp_path: Path) -> AsyncIterator[SocketFamily]:
    home = await family_over_sockets(socket_server, tmp_path, autostart=False)
    yield home
    await home.kid_rt.close()
    await home.parent_rt.close()


def moved(server: SocketServer) -> SocketServer:
    """The server stops at its old address and starts at a new port, on the same database."""
    server.stop()
    return SocketServer(server.settings, server.clock)


async def queue_an_order_offline(family: SocketFamily) -> str:
    kid = family.kid
    family.server.quote(SAMSUNG, 70_000)
    await kid.sync_now()
    item = await kid.act(
        *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
    )
    return item.mutation_id


async def test_parent_mode_moves_the_childs_device_and_its_waiting_order_reaches_the_new_address(
    family: SocketFamily, tools: Tools, tmp_path: Path
) -> None:
    kid, kid_rt = family.kid, family.kid_rt
    before = kid.identity
    shell = ShellVM(kid_rt, tools)
    email = family.parent.store.meta()["email"]
    assert await shell.enter_parent_mode(PASSWORD, email)  # the parent takes the child's tablet
    parent = kid_rt.active
    assert parent is not None and parent.identity.role == "parent"
    order = await queue_an_order_offline(family)

    with moved(family.server) as new:
        assert (await kid.sync_now()).state is SyncState.OFFLINE  # the old address is gone
        vm = ServerVM(parent, tools, kid_rt)
        vm.set_new_url(new.url + "/")
        assert await vm.move("not the password") is False
        assert vm.error == (
            "The server at that address didn't accept your password. Check the password and the "
            "address; nothing was changed."
        )
        assert kid.identity == before and vm.url == family.server.url  # nothing moved
        vm.set_new_url(new.url)
        assert await vm.move(PASSWORD), vm.error
        assert vm.notice == f"Moved to {new.url}. Anything waiting is being sent there."
        assert vm.url == new.url and kid.identity == replace(before, server_url=new.url)

        status = await kid.sync_now()
        assert status.state is SyncState.IDLE and status.pending == 0, status
        assert applied_count(new.app.state.db, order) == 1
        assert (await parent.sync_now()).state is SyncState.IDLE  # the parent's session works there

        # the move is kept on disk: the next start of the app talks to the new address
        again = Runtime.open(kid_rt.data_dir, vault=kid_rt.vault, clock=new.clock, autostart=False)
        assert {i.server_url for i in again.identities()} == {new.url}
        assert {i.client_id for i in again.identities()} == {before.client_id, parent.identity.client_id}


async def test_the_mode_switch_moves_the_device_when_the_old_address_is_gone(
    family: SocketFamily, tools: Tools
) -> None:
    kid, kid_rt = family.kid, family.kid_rt
    shell = ShellVM(kid_rt, tools)
    email = family.parent.store.meta()["email"]
    assert await shell.enter_parent_mode(PASSWORD, email)
    await shell.leave_parent_mode()  # the parent identity stays enrolled on the tablet, locked
    order = await queue_an_order_offline(family)

    with moved(family.server) as new:
        assert not await shell.enter_parent_mode(PASSWORD)
        assert shell.unreachable and shell.error == "You're not connected to the internet."
        assert await shell.enter_parent_mode(PASSWORD, server_url=new.url), shell.error
        assert shell.parent_mode and kid.identity.server_url == new.url
        await kid.sync_now()
        assert applied_count(new.app.state.db, order) == 1


async def test_nothing_moves_to_an_address_without_a_server_or_with_another_family(
    family: SocketFamily, tools: Tools, tmp_path: Path, sqlite_template: Path
) -> None:
    kid, kid_rt = family.kid, family.kid_rt
    shell = ShellVM(kid_rt, tools)
    email = family.parent.store.meta()["email"]
    assert await shell.enter_parent_mode(PASSWORD, email)
    vm = ServerVM(kid_rt.active, tools, kid_rt)

    vm.set_new_url("http://127.0.0.1:9")  # nothing listens there
    assert await vm.move(PASSWORD) is False
    assert vm.error is not None and vm.error.startswith(
        "Couldn't reach the new address, so nothing was changed."
    )

    # another family's server, where the same e-mail and password happen to be registered
    settings = server_settings(tmp_path / "other", sqlite_template)
    with SocketServer(settings, MovableClock(family.server.clock())) as other:
        stranger = Runtime.open(tmp_path / "stranger", vault=kid_rt.vault, clock=other.clock, autostart=False)
        await stranger.register_parent(other.url, email, PASSWORD, "다른 엄마", "laptop")
        await stranger.close()
        vm.set_new_url(other.url)
        assert await vm.move(PASSWORD) is False
        assert vm.error == "That server doesn't know this family. Check the address; nothing was changed."
    assert {i.server_url for i in kid_rt.identities()} == {family.server.url}
    assert (await kid.sync_now()).state is SyncState.IDLE  # still at home, still signed in

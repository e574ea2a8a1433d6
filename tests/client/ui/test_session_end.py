"""The screens when the server ends a session (its refresh token refused), on the real client core
and the real server: the child's device goes to the PIN — also after a reload — and the order placed
meanwhile is sent once unlocked, without a restart; a parent's sign-in on a child's device goes back
to the mode switch's password while the child's screens stay."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from keyring.backends import null

from client import actions
from client.app import make_main
from client.config import load_config
from client.vault import KeyringVault
from tests.client.core.checks import applied_count
from tests.client.core.conftest import (  # noqa: F401
    BASE_URL,
    SAMSUNG,
    Server,
    anyio_backend,
    make_household,
    make_runtime,
    server,
)
from tests.helpers import PASSWORD

from .harness import start

pytestmark = pytest.mark.anyio


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - the app's sync loop changes what it reads
            await asyncio.sleep(0.02)


async def test_the_child_goes_to_the_pin_and_the_waiting_order_follows_the_unlock(
    server: Server,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = await make_household(server, tmp_path, kid_vault=lambda: KeyringVault(null.Keyring()))
    runtime, kid, _, _ = home.kids[0]
    try:
        server.quote(SAMSUNG, 70_000)
        await kid.sync_now()
        main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=server.clock, locale="en")
        h = await start(main, "/child")
        assert h.route == "/child"

        server.clock.advance(days=8)  # the 7-day sign-in ran out while the tablet sat in a drawer
        order = await kid.act(
            *actions.place_order(SAMSUNG, "buy", quantity=1_000_000, quote=kid.view().quotes[SAMSUNG])
        )
        await h.click("sync-chip")  # the sync meets the refused session
        assert h.route == "/unlock"
        assert h.text_of("unlock-notice").startswith("The app locked itself again. Enter your PIN")
        assert h.by_id(f"who-{kid.identity.user_id}").selected

        reloaded = await start(main, "/child/portfolio")  # a reload of the web view
        assert reloaded.route == "/unlock"

        runtime.autostart = True  # the app's own sync loop, as in `yongdon app`
        await h.type("unlock-secret", home.pin)
        await h.click("unlock-open")
        assert h.route == "/child"
        again = runtime.active
        assert again is not None and again is not kid
        await eventually(lambda: not again.view().pending)
        assert applied_count(server.app.state.db, order.mutation_id) == 1
        await h.click("sync-chip")
        assert h.text_of("sync-chip").startswith("Synced just now")
    finally:
        await runtime.close()
        await home.parent_rt.close()


async def test_a_parents_ended_sign_in_on_a_childs_device_asks_for_the_password_again(
    server: Server,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = await make_household(server, tmp_path)
    runtime, kid, _, _ = home.kids[0]
    email = home.parent.store.meta()["email"]
    try:
        main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=server.clock, locale="en")
        h = await start(main, "/mode/parent")
        await h.type("stepup-email", email)
        await h.type("stepup-password", PASSWORD)
        await h.click("stepup-submit")
        assert h.route == "/parent"
        parent = runtime.active
        assert parent is not None and parent.identity.role == "parent"

        # the parent signs this device's session out from elsewhere; then its access token runs out
        refresh = await runtime.vault.get(parent.identity.client_id)
        assert server.client.post("/api/auth/logout", json={"refresh_token": refresh}).status_code == 204
        server.clock.advance(minutes=16)
        await h.goto("/parent/approvals")
        await parent.sync_now()
        assert h.route == "/mode/parent"
        assert h.text_of("stepup-notice").startswith("Your sign-in has ended.")
        assert runtime.active is kid  # the child's session is untouched underneath
        await h.type("stepup-password", PASSWORD)
        await h.click("stepup-submit")
        assert h.route == "/parent" and runtime.active is not kid
    finally:
        await runtime.close()
        await home.parent_rt.close()

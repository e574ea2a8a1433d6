"""Joining a family from the first screen, on the real client core and the real server (issue 13):
a child's tablet that redeems its pairing code asks for her PIN before it opens (security.md: a
child's enrolled device unlocks with her PIN), and a second parent with an invite code creates
their own account (e-mail, password, name) on the same screen and sees the same family."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from client.app import make_main
from client.config import load_config
from server.db.models import RefreshToken
from tests.client.core.conftest import BASE_URL, SAMSUNG, Server, anyio_backend, make_runtime, server  # noqa: F401
from tests.helpers import PASSWORD

from .harness import Harness, start

pytestmark = pytest.mark.anyio
PIN = "482915"
DAD_PASSWORD = "another long family passphrase"


async def first_screen(server: Server, tmp_path: Path, name: str) -> tuple[Harness, object]:  # noqa: F811
    runtime, _, _ = await make_runtime(server, tmp_path / name)
    main = make_main(
        runtime, load_config(), data_dir=tmp_path / f"{name}-ui", clock=server.clock, locale="en"
    )
    h = await start(main, "/")
    assert h.route == "/enroll"
    await h.type("enroll-server", BASE_URL)
    return h, runtime


async def a_family(server: Server, tmp_path: Path) -> tuple[object, object, str]:  # noqa: F811
    mom_rt, _, _ = await make_runtime(server, tmp_path / "mom")
    mom = await mom_rt.register_parent(BASE_URL, "mom@example.org", PASSWORD, "엄마", "laptop")
    child = await mom.api.add_child("지우", 2015, PIN)
    return mom_rt, mom, str(child["child_id"])


def live_sessions(server: Server, client_id: str) -> int:  # noqa: F811
    with server.app.state.db.read() as s:
        alive = select(func.count()).where(
            RefreshToken.client_id == client_id,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.used_at.is_(None),
        )
        return int(s.scalar(alive) or 0)


async def test_a_paired_tablet_opens_with_the_childs_pin(server: Server, tmp_path: Path) -> None:  # noqa: F811
    mom_rt, mom, child_id = await a_family(server, tmp_path)
    server.quote(SAMSUNG, 71_200)  # a price the server has before the tablet ever syncs
    h, runtime = await first_screen(server, tmp_path, "tablet")
    try:
        code = (await mom.api.pairing_code("child_device", child_id))["code"]
        await h.type("enroll-code", code)
        await h.click("enroll-join")
        # hers now, and locked: nobody who picks it up gets in without her PIN
        assert h.route == "/unlock"
        assert h.text_of("unlock-notice") == "This device is 지우's now. Enter 지우's PIN to open it."
        assert runtime.active is None  # type: ignore[attr-defined]
        (identity,) = runtime.identities()  # type: ignore[attr-defined]
        assert (identity.role, identity.user_id) == ("child", child_id)
        assert live_sessions(server, identity.client_id) == 0  # the pairing's own session ended
        await h.goto("/child")
        assert h.route == "/unlock"

        await h.type("unlock-secret", "111111")
        await h.click("unlock-open")
        assert h.route == "/unlock" and h.has_id("unlock-error")
        await h.type("unlock-secret", PIN)
        await h.click("unlock-open")
        assert h.route == "/child"
        profile = runtime.active  # type: ignore[attr-defined]
        assert profile is not None and profile.identity.user_id == child_id
        assert profile.store.meta()["pin_verifier"]  # the next unlock works offline too
        assert live_sessions(server, identity.client_id) == 1
        await profile.sync_now()  # nothing was synced (and lost) before the PIN: she sees the price
        assert profile.view().quotes[SAMSUNG].price == 71_200
    finally:
        await runtime.close()  # type: ignore[attr-defined]
        await mom_rt.close()  # type: ignore[attr-defined]


async def test_a_second_parent_joins_with_an_invite_code_and_a_new_account(
    server: Server,  # noqa: F811
    tmp_path: Path,
) -> None:
    mom_rt, mom, child_id = await a_family(server, tmp_path)
    h, runtime = await first_screen(server, tmp_path, "dad-phone")
    try:
        code = (await mom.api.pairing_code("parent_invite"))["code"]
        await h.type("enroll-code", code)
        await h.click("enroll-join")  # the code alone: the screen says what an invite needs
        assert h.route == "/enroll"
        assert h.text_of("enroll-error").startswith("That's a parent invite code. Fill in your e-mail")

        await h.type("enroll-email", "dad@example.org")
        await h.type("enroll-password", DAD_PASSWORD)
        await h.type("enroll-name", "아빠")
        await h.click("enroll-join")
        assert h.route == "/parent"  # a parent opens the family at once, no PIN
        dad = runtime.active  # type: ignore[attr-defined]
        assert dad is not None and dad.identity.role == "parent"
        assert (dad.identity.display_name, dad.identity.family_id) == ("아빠", mom.identity.family_id)  # type: ignore[attr-defined]
        await dad.sync_now()
        assert child_id in dad.view().books  # the same family: 지우 is there

        # the account is real: the new parent signs in with it elsewhere
        other, _, _ = await make_runtime(server, tmp_path / "dad-laptop")
        try:
            signed = await other.sign_in_parent(
                BASE_URL, "dad@example.org", "another long family passphrase", "l"
            )
            assert signed.identity.user_id == dad.identity.user_id
        finally:
            await other.close()
    finally:
        await runtime.close()  # type: ignore[attr-defined]
        await mom_rt.close()  # type: ignore[attr-defined]

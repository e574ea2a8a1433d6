"""The app registers this device's push token (from a fake token source, as a phone build supplies
one) for the identity the device belongs to, on the real core and the real server; the web view
has none and sends nothing; parent mode on a child's device never binds the child's phone to the
parent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from client.app import make_main
from client.config import load_config
from server.db.models import PushTarget
from tests.client.core.conftest import anyio_backend, server  # noqa: F401 - fixtures
from tests.client.parent.conftest import Family, family  # noqa: F401 - fixture

from .harness import Harness, settle, start
from .test_parent_views import enter_parent_mode

pytestmark = pytest.mark.anyio
ROUTE = "/api/notifications/push-token"


class PhoneTokens:
    """A phone build's token source (FCM's registration token)."""

    def __init__(self, token: str) -> None:
        self.value = token

    async def token(self) -> str | None:
        return self.value


async def open_app(f: Family, runtime: Any, tmp_path: Path, route: str, **kw: Any) -> Harness:
    main = make_main(
        runtime, load_config(), data_dir=tmp_path / "ui", clock=f.server.clock, locale="ko", **kw
    )
    return await start(main, route)


def targets(f: Family) -> set[tuple[str, str, str]]:
    with f.server.app.state.db.read() as session:
        return {(t.user_id, t.client_id, t.token) for t in session.scalars(sa.select(PushTarget))}


async def test_a_childs_phone_registers_its_token_and_parent_mode_does_not(
    family: Family,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = family
    kid_runtime = f.home.kids[0][0]
    h = await open_app(f, kid_runtime, tmp_path, "/child", push_tokens=PhoneTokens("fcm:jiwoo-phone-1"))
    await settle()
    assert targets(f) == {(f.child_id, f.kid.identity.client_id, "fcm:jiwoo-phone-1")}

    # a parent takes the phone: parent mode opens the parent's own identity here, which must not
    # bind this phone, or the parent's security alerts would light up the child's lock screen
    await enter_parent_mode(h, f)
    assert h.route == "/parent" and kid_runtime.active.identity.role == "parent"
    await h.goto("/parent/inbox")
    await settle()
    assert targets(f) == {(f.child_id, f.kid.identity.client_id, "fcm:jiwoo-phone-1")}
    assert f.kid_net.requests.count(ROUTE) == 1  # once for the child, never for the parent


async def test_offline_at_start_the_token_is_sent_on_a_later_screen(
    family: Family,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = family
    f.parent_net.down = True
    h = await open_app(f, f.runtime, tmp_path, "/parent", push_tokens=PhoneTokens("fcm:moms-phone-1"))
    await settle()
    assert targets(f) == set()
    f.parent_net.down = False
    await h.goto("/parent/inbox")
    await settle()
    assert targets(f) == {(f.parent.identity.user_id, f.parent.identity.client_id, "fcm:moms-phone-1")}


async def test_the_web_view_has_no_token_and_sends_nothing(family: Family, tmp_path: Path) -> None:  # noqa: F811
    f = family
    h = await open_app(f, f.runtime, tmp_path, "/parent")
    await h.goto("/parent/inbox")
    await settle()
    assert ROUTE not in f.parent_net.requests and targets(f) == set()

"""Parent mode's server screen on the real core: a parent moves this installation to the family
server's new address (the in-process server answers at any address here; the move over a real
network to a new port is tested in tests/client/core/test_moving.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.app import make_main
from client.config import load_config
from tests.client.core.conftest import Server, anyio_backend, make_household, server  # noqa: F401
from tests.helpers import PASSWORD

from .harness import start

pytestmark = pytest.mark.anyio

NEW = "https://yongdon.family.example"


async def test_a_parent_moves_the_installation_from_the_server_screen(
    server: Server,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = await make_household(server, tmp_path, child_devices=0)
    runtime, parent = home.parent_rt, home.parent
    try:
        main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=server.clock, locale="ko")
        h = await start(main, "/parent/server")
        assert h.text_of("server-url") == "http://yongdon.test"
        await h.type("server-new-url", "ftp://nope")
        await h.type("server-move-password", PASSWORD)
        await h.click("server-move")
        assert h.text_of("parent-error") == "주소는 http:// 또는 https://로 시작해요."
        await h.type("server-new-url", NEW)
        await h.type("server-move-password", PASSWORD)
        await h.click("server-move")
        assert h.text_of("parent-notice") == f"{NEW}로 옮겼어요. 기다리던 일은 새 주소로 보내요."
        assert h.text_of("server-url") == NEW
        assert parent.identity.server_url == NEW and runtime.identities()[0].server_url == NEW
        assert h.by_id("server-move-password").value == ""  # the password is not kept on screen
    finally:
        await runtime.close()

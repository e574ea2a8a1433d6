"""The parent screens in process (Flet's real Session/Page, fake connection) on the real client core
and the real server: every parent route renders, the approval flow dispatches exactly the mutation
the parent saw, payouts record the method, and parent mode on a child's device locks after 5 idle
minutes back to the child's screens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flet as ft
import pytest

from client.app import make_main
from client.config import load_config
from tests.client.core.conftest import anyio_backend, server  # noqa: F401 - fixtures
from tests.client.parent.conftest import Family, family  # noqa: F401 - fixture
from tests.helpers import PASSWORD

from .harness import Harness, settle, start

pytestmark = pytest.mark.anyio


async def open_app(f: Family, runtime: Any, tmp_path: Path, route: str, locale: str = "en") -> Harness:
    main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=f.server.clock, locale=locale)
    return await start(main, route)


async def enter_parent_mode(h: Harness, f: Family) -> None:
    """The lock icon on the child's device, then the parent's own e-mail and password."""
    await h.click("open-parent-mode")
    assert h.route == "/mode/parent"
    email = (await f.parent.api.profile(f.parent.identity.user_id))["email"]
    await h.type("stepup-email", email)
    await h.type("stepup-password", PASSWORD)
    await h.click("stepup-submit")
    await settle()


def app_of(h: Harness) -> Any:
    return h.page.on_route_change.__self__


async def test_every_parent_route_renders_from_the_local_view(family: Family, tmp_path: Path) -> None:  # noqa: F811
    f = family
    h = await open_app(f, f.runtime, tmp_path, "/parent")
    assert h.route == "/parent"
    assert h.text_of(f"dash-value-{f.child_id}") == "G₩1,070,000"  # 1,000,000 put in + 70,000 profit
    assert h.text_of(f"dash-pending-{f.child_id}") == "Requests waiting for you: 1"
    assert "Sold 10 shares of Samsung Electronics · done" in h.texts()  # names from the symbol index
    assert [d.label for d in h.all(ft.NavigationBar)[0].destinations] == [
        "Family", "Approvals", "Payouts", "Devices", "Server", "Inbox",
    ]  # fmt: skip
    await h.click("dash-approvals")
    assert h.route == "/parent/approvals" and h.has_id(
        "approval-" + f.parent.view().books[f.child_id].requests()[0].request_id
    )
    await h.fire(h.all(ft.NavigationBar)[0], "change", "2")
    assert h.route == "/parent/payouts" and h.has_id("payouts-empty")
    await h.goto("/parent/devices")
    await settle()
    assert h.route == "/parent/devices" and h.has_id(f"pair-{f.child_id}")
    await h.click(f"pair-{f.child_id}")
    assert len(h.text_of("pairing-code")) >= 8
    assert isinstance(h.by_id("pairing-qr").src, bytes)
    await h.goto("/parent/server")
    assert h.text_of("server-url") == "http://yongdon.test"
    await h.click("server-test")
    assert h.text_of("server-result").startswith("Connected: the server answered in")
    await h.goto(f"/parent/child/{f.child_id}")
    assert h.route == f"/parent/child/{f.child_id}" and h.by_id("rule-fee_bps").value == "0"
    await h.click("preset-realistic")
    assert h.by_id("rule-fee_bps").value == "0.15" and h.has_id("rules-save")
    await h.goto("/parent/nowhere")
    assert h.has_id(f"dash-child-{f.child_id}")  # an unknown parent route shows the dashboard


async def test_the_approval_flow_dispatches_the_amount_the_parent_saw(family: Family, tmp_path: Path) -> None:  # noqa: F811
    f = family
    (request,) = f.parent.view().books[f.child_id].requests()
    rid = request.request_id
    h = await open_app(f, f.runtime, tmp_path, "/parent/approvals")
    assert h.text_of(f"approval-pays-{rid}") == "Approving pays ₩1,500."
    await h.click(f"reject-{rid}")  # no reason: nothing is sent, the field says why
    assert h.by_id(f"reason-{rid}").error == "Please write a reason: your child will read it."
    assert f.parent.view().pending == []
    await h.click(f"approve-{rid}")
    assert h.has_id("stepup-prompt") and f.parent.view().pending == []
    await h.type("stepup-inline-password", PASSWORD)
    await h.click("stepup-confirm")
    assert not h.has_id("stepup-prompt")
    (sent,) = f.parent.view().pending
    assert (sent.name, sent.args) == (
        "allowance.decide/v1",
        {
            "child_id": f.child_id,
            "request_id": rid,
            "version": 1,
            "amount_real": 1_500,
            "decision": "approve",
        },
    )
    assert h.text_of("parent-notice") == "Approved: ₩1,500 to pay."
    await f.parent.sync_now()
    await h.goto("/parent/payouts")
    assert h.text_of(f"payout-amount-{rid}") == "To pay: ₩1,500"
    await h.click(f"method-{rid}-cash")
    await h.type(f"payout-ref-{rid}", "봉투")
    await h.click(f"pay-{rid}")
    (paid,) = f.parent.view().pending
    assert (paid.name, paid.args["method"], paid.args["reference"]) == (
        "allowance.mark_paid/v1",
        "cash",
        "봉투",
    )
    await f.parent.sync_now()
    assert f.parent.view().books[f.child_id].request(rid).status == "paid"


async def test_parent_mode_on_the_childs_device_locks_after_5_idle_minutes(
    family: Family,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = family
    kid_runtime = f.home.kids[0][0]
    h = await open_app(f, kid_runtime, tmp_path, "/child", locale="ko")
    assert h.route == "/child"
    await enter_parent_mode(h, f)
    assert h.route == "/parent" and kid_runtime.active.identity.role == "parent"
    assert h.text_of(f"dash-pending-{f.child_id}") == "승인을 기다리는 요청 1건"
    app = app_of(h)
    f.server.clock.advance(minutes=4, seconds=59)
    assert await app.enforce_idle_lock() is False
    f.server.clock.advance(seconds=2)
    assert await app.enforce_idle_lock() is True
    await settle()
    assert h.route == "/child" and kid_runtime.active is f.kid
    await h.goto("/parent/approvals")
    assert h.route == "/mode/parent"  # the password again, every time


async def test_devices_screen_revokes_a_device_after_the_password(family: Family, tmp_path: Path) -> None:  # noqa: F811
    f = family
    tablet = f.kid.identity.client_id
    h = await open_app(f, f.runtime, tmp_path, "/parent/devices", locale="ko")
    await settle()  # the device list is fetched once the screen is shown
    assert "tablet 0" in h.text_of(f"device-{tablet}")
    assert not h.has_id(f"revoke-{f.parent.identity.client_id}")  # not this very device
    await h.click(f"revoke-{tablet}")
    assert h.has_id("stepup-prompt") and "비밀번호" in h.text_of("stepup-prompt")
    await h.type("stepup-inline-password", "wrong password")
    await h.click("stepup-confirm")
    assert h.text_of("parent-error") == "비밀번호가 맞지 않아요." and h.has_id("stepup-prompt")
    await h.type("stepup-inline-password", PASSWORD)
    await h.click("stepup-confirm")
    await settle()
    assert "연결 해제됨" in h.text_of(f"device-{tablet}")
    assert h.text_of("parent-notice") == "기기 연결을 해제했어요. 더는 로그인할 수 없어요."

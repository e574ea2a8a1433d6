"""The parent's premium plan on the server screen, on the real core against an in-process server
(UI level: the Flet session driven in-process, not a browser): on the hosted service a parent starts
the trial, subscribes (the password again; Toss' card page is a link the app opens, played here by
the fake Toss' card page and the success return), sees the card and cancels; on a family server the
screen says nothing about plans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import flet as ft
import pytest
from litestar.testing import TestClient

from client.app import make_main
from client.config import load_config
from server.app import create_app
from server.market.clock import FixedMarketClock
from tests.client.core.conftest import (  # noqa: F401
    BASE_URL,
    START,
    Server,
    anyio_backend,
    make_household,
    server,
    server_settings,
)
from tests.conftest import MovableClock
from tests.helpers import PASSWORD
from tests.server.channel_support import FakeApi
from tests.server.test_subscriptions import CARD, SECRET, TossBilling

from .harness import Harness, settle, start, walk

pytestmark = pytest.mark.anyio


@pytest.fixture
def hosted(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Server, TossBilling]]:
    fake = TossBilling()
    api = FakeApi(fake)
    settings = server_settings(
        tmp_path / "server",
        sqlite_template,
        hosted=True,
        toss_url=api.url,
        toss_billing_secret_key=SECRET,
        toss_client_key="test_ck_yongdon_0001",
    )
    clock = MovableClock(START)
    app = create_app(settings, clock=clock)
    app.state.market_clock = FixedMarketClock()
    running = Server(TestClient(app, base_url=BASE_URL), clock, app, settings)
    running.client.__enter__()
    yield running, fake
    running.stop()
    api.close()


async def test_a_parent_starts_the_trial_adds_a_card_and_cancels_on_the_hosted_service(
    hosted: tuple[Server, TossBilling], tmp_path: Path
) -> None:
    host, toss = hosted
    home = await make_household(host, tmp_path, child_devices=0)
    runtime = home.parent_rt
    try:
        main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=host.clock, locale="ko")
        h = await start(main, "/parent/server")
        await settle()
        assert h.text_of("plan-line-0") == "무료 요금제를 쓰고 있어요."
        await h.click("plan-trial")
        assert h.text_of("parent-notice") == "무료 체험을 시작했어요."
        assert h.text_of("plan-line-0") == "무료 체험 중이에요: 14일 남았어요."
        assert not h.has_id("plan-trial")  # once per family
        assert _label(h, "plan-subscribe-monthly") == "월간 구독 (4,900원)"
        assert _label(h, "plan-subscribe-yearly") == "연간 구독 (49,000원)"
        await h.click("plan-subscribe-monthly")
        assert h.has_id("stepup-prompt")  # a card will be charged: the password again
        await h.type("stepup-inline-password", PASSWORD)
        await h.click("stepup-confirm")
        await settle()
        assert h.text_of("parent-notice").startswith("토스페이먼츠 페이지에서 카드를 등록하세요.")
        checkout = urlsplit(h.by_id("plan-open-toss").url.url)
        assert checkout.path.endswith("/checkout")
        # Toss' card page (played by the fake) sends the browser back to the success address
        customer_key = checkout.path.split("/")[-3]
        back = checkout.path.rsplit("/", 1)[0] + "/success"
        params = {"customerKey": customer_key, "authKey": toss.card_page(customer_key)}
        assert host.client.get(back, params=params).status_code == 200
        await h.click("plan-refresh")
        await settle()
        assert f"카드: {CARD}" in h.texts() and toss.payments == []  # charged when the trial ends
        await h.click("plan-cancel")
        await settle()
        assert "까지 프리미엄을 쓸 수 있고, 그 뒤로는 결제되지 않아요." in h.text_of("parent-notice")
        assert any(t.endswith("에 끝나요. 그 뒤로는 결제되지 않아요.") for t in h.texts())
        assert not h.has_id("plan-cancel")
    finally:
        await runtime.close()


def _label(h: Harness, identifier: str) -> str:
    """A button's words (a Flet 1 button holds them as its ``content``)."""
    (button,) = [c for c in walk(h.by_id(identifier)) if isinstance(c, ft.FilledButton | ft.OutlinedButton)]
    return str(button.content)


async def test_a_family_server_shows_nothing_about_plans(
    server: Server,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = await make_household(server, tmp_path, child_devices=0)
    runtime = home.parent_rt
    try:
        main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=server.clock, locale="en")
        h = await start(main, "/parent/server")
        await settle()
        assert h.has_id("server-url") and not h.has_id("plan-card")
        assert not any("Premium" in t or "trial" in t for t in h.texts())
    finally:
        await runtime.close()

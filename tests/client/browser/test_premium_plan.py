"""A parent's premium plan in the web view on the hosted service (a real server process with
``YONGDON_HOSTED`` and Toss billing pointed at a local fake, the real launcher, chromium): the server
tab shows the free plan, the trial starts, subscribing asks the password and offers Toss' card page;
Toss' part (the card page and its success return) is played by the test; a refresh shows the card.
One short test: each step waits on what the screen shows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
import sqlalchemy as sa

from server.payment.links import link_key, sign
from server.settings import Settings
from tests.helpers import PASSWORD
from tests.server.channel_support import FakeApi
from tests.server.test_subscriptions import CARD, SECRET, TossBilling
from tests.support.live import LiveServer

from .conftest import Served
from .test_family_flow import EMAIL, app, family_on, keep_failure_screen, open_page, sid, tap, type_into

__all__ = ["app"]  # fixtures


@pytest.fixture
def toss() -> Iterator[tuple[TossBilling, FakeApi]]:
    fake = TossBilling()
    api = FakeApi(fake)
    yield fake, api
    api.close()


@pytest.fixture
def live(
    tmp_path: Path, sqlite_template: Path, toss: tuple[TossBilling, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    """The hosted service: the server process reads these from its environment."""
    monkeypatch.setenv("YONGDON_HOSTED", "1")
    monkeypatch.setenv("YONGDON_TOSS_URL", toss[1].url)
    monkeypatch.setenv("YONGDON_TOSS_BILLING_SECRET_KEY", SECRET)
    monkeypatch.setenv("YONGDON_TOSS_CLIENT_KEY", "test_ck_yongdon_0001")
    db = tmp_path / "server" / "yongdon.db"
    db.parent.mkdir()
    shutil.copyfile(sqlite_template, db)
    with LiveServer(f"sqlite:///{db}", db.parent) as server:
        server.start()
        yield server


def _card_entered(live: LiveServer, toss: TossBilling) -> None:
    """What Toss' card page does after the parent entered a card: back to the signed success address."""
    engine = sa.create_engine(live.database_url)
    try:
        with engine.connect() as connection:
            customer_key = connection.execute(sa.text("SELECT customer_key FROM subscriptions")).scalar_one()
    finally:
        engine.dispose()
    signature = sign(link_key(cast(Settings, SimpleNamespace(pin_pepper=live.pin_pepper))), customer_key)
    params = {"customerKey": customer_key, "authKey": toss.card_page(customer_key)}
    path = f"/payment/toss/billing/{customer_key}/{signature}/success"
    assert httpx.get(live.url + path, params=params).status_code == 200


def test_a_parent_starts_the_trial_and_adds_a_card_in_the_browser(
    browser: Any, live: LiveServer, app: Served, artifacts: Path, toss: tuple[TossBilling, FakeApi]
) -> None:
    from playwright.sync_api import expect

    child_id, _ = family_on(live)
    page = open_page(browser, app)
    try:
        type_into(page, "이메일", EMAIL)
        type_into(page, "비밀번호", PASSWORD)
        tap(page, page.get_by_role("button", name="로그인"), page.locator(sid(f"dash-child-{child_id}")))
        tap(page, page.get_by_role("tab", name="서버"), page.locator(sid("plan-card")))
        expect(page.locator(sid("plan-line-0"))).to_have_text("무료 요금제를 쓰고 있어요.")
        trial = page.get_by_role("button", name="14일 무료 체험 시작")
        tap(page, trial, page.get_by_text("무료 체험 중이에요: 14일 남았어요."))
        subscribe = page.get_by_role("button", name="월간 구독 (4,900원)")
        tap(page, subscribe, page.locator(sid("stepup-prompt")))
        # the step-up prompt's field (the server screen has its own password field for moving)
        box = page.locator(sid("stepup-prompt")).get_by_role("textbox", name="내 비밀번호")
        box.click()
        page.wait_for_timeout(150)
        page.keyboard.insert_text(PASSWORD)
        expect(box).to_have_value(PASSWORD)
        tap(page, page.get_by_role("button", name="확인", exact=True), page.locator(sid("plan-open-toss")))
        _card_entered(live, toss[0])
        tap(page, page.get_by_role("button", name="새로 고침"), page.get_by_text(f"카드: {CARD}"))
        assert toss[0].payments == []  # charged when the trial ends, not now
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()

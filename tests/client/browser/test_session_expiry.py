"""A child keeps working in the web view after its access token expires, on a machine without a
secure keyring (the web view on a headless box: nothing may be written to disk), and a reload lands
on a usable screen. The server hands out 30-second access tokens (``YONGDON_ACCESS_TOKEN_TTL``) so the
expiry happens within the test; the real launcher (``python -m client``) and a real server process."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD
from tests.support.live import LiveServer

from .conftest import Served, serve
from .test_family_flow import (
    EMAIL,
    enrol_child,
    family_on,
    keep_failure_screen,
    open_page,
    samsung_trades_at,
    sid,
    tap,
    trade,
)

TTL_S = 30


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    monkeypatch.setenv("YONGDON_ACCESS_TOKEN_TTL", str(TTL_S))  # the server process reads its environment
    db = tmp_path / "server" / "yongdon.db"
    db.parent.mkdir()
    shutil.copyfile(sqlite_template, db)
    with LiveServer(f"sqlite:///{db}", db.parent) as server:
        server.start()
        yield server


@pytest.fixture
def device(live: LiveServer, tmp_path: Path) -> Iterator[Served]:
    """The real launcher in web view, on a machine with no secure keyring."""
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", "YONGDON_APP_VIEW": "web",
           "LANG": "ko_KR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}  # fmt: skip
    args = ["-m", "client", "--no-browser", "--port", "{port}", "--server", live.url,
            "--data-dir", str(tmp_path / "device")]  # fmt: skip
    yield from serve(args, env, prints_link=True)


def test_a_child_keeps_trading_past_the_token_expiry_and_a_reload_keeps_the_app(
    browser: Any, live: LiveServer, device: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    _, code = family_on(live)
    samsung_trades_at(live, 70_000)
    with httpx.Client(base_url=live.url) as http:  # a token issued now, to see the server's expiry
        login = {"email": EMAIL, "password": PASSWORD, "client_id": "mom-laptop-0001"}
        mom = {"Authorization": f"Bearer {http.post('/api/users/login', json=login).json()['access_token']}"}
    page = open_page(browser, device)
    try:
        enrol_child(page, code)
        enrolled = time.monotonic()  # the device's first access token was issued a moment ago

        page.wait_for_timeout(max(0.0, TTL_S + 2 - (time.monotonic() - enrolled)) * 1000)
        with httpx.Client(base_url=live.url) as http:
            assert http.get("/api/family", headers=mom).status_code == 401  # the tokens did expire
        trade(page, "buy", "1")  # the server's answer ("주문 완료") comes after a refresh
        expect(page.locator(sid("sync-chip"))).not_to_contain_text("잠겼어요")

        page.reload()  # the web view reloaded: the child's app, still signed in, answers
        page.wait_for_function("!document.getElementById('loading')")
        page.locator("flt-semantics-placeholder").dispatch_event("click")
        expect(page.locator(sid("sync-chip"))).to_contain_text("맞췄어요", timeout=30_000)
        tap(page, page.get_by_role("tab", name="홈"), page.locator(sid("home-total")))
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()

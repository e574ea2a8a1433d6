"""The server stops: within seconds every child screen says so in words, an order placed then is kept
and counted, and the chart says it is offline instead of loading forever (issue 15). The real
launcher on the real core, a real server process, chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.live import LiveServer

from .conftest import Served
from .test_family_flow import (
    app,
    enrol_child,
    family_on,
    keep_failure_screen,
    open_page,
    open_stock,
    samsung_trades_at,
    sid,
    tap,
    type_into,
)

__all__ = ["app"]  # fixtures

BANNER_S = 10  # "within a few seconds of failing requests"


def test_the_child_sees_offline_in_words_and_the_waiting_order(
    browser: Any, live: LiveServer, app: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    _, code = family_on(live)
    samsung_trades_at(live, 70_000)
    page = open_page(browser, app)
    try:
        enrol_child(page, code)
        expect(page.locator(sid("sync-chip"))).to_contain_text("맞췄어요", timeout=30_000)
        open_stock(page)
        expect(page.locator(sid("stock-source"))).to_be_visible()
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / "stock_online_ko.png"))
        assert page.locator(sid("offline-banner")).count() == 0  # online: no banner

        live.kill()  # the family server is gone
        banner = page.locator(sid("offline-banner"))
        expect(banner).to_contain_text("인터넷에 연결되지 않았어요", timeout=BANNER_S * 1000)
        expect(banner).to_contain_text("다시 연결되면 보낼게요")

        # an order placed now is kept on the device and counted in the banner
        tap(page, page.locator(sid("buy")), page.locator(sid("trade-input")))
        type_into(page, "몇 주?", "1")
        confirm = page.get_by_role("button", name="주문하기")
        tap(page, page.get_by_role("button", name="확인하기"), confirm)
        tap(page, confirm, page.locator(sid("trade-status")))
        expect(page.locator(sid("offline-banner"))).to_contain_text("보낼 주문: 1개", timeout=10_000)
        page.wait_for_timeout(600)
        page.screenshot(path=str(artifacts / "trade_offline_ko.png"))

        # a chart asked for now says it is offline (or shows the last one loaded), never "loading"
        tap(page, page.get_by_role("tab", name="홈"), page.locator(sid("home-total")))
        note = page.locator(sid("home-chart-note"))
        expect(note).to_contain_text("인터넷", timeout=BANNER_S * 1000)
        expect(page.get_by_text("불러오는 중")).to_have_count(0)
        page.wait_for_timeout(600)
        page.screenshot(path=str(artifacts / "home_offline_ko.png"))
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()

"""A parent mission in a real browser: a real server process, the real app launcher on the real client
core, and chromium (Korean).

The child enrols and buys Samsung (반도체·전자); a parent takes the device, gives the mission "2가지
업종에 나눠 투자하기" from the child's page; back on the child's home the mission reads "1/2 업종"; the
child buys Hyundai (자동차), and once the order is synced the server completes the mission and the
home says the reward came. Screenshots under tests/artifacts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.screens import Screen
from tests.helpers import PASSWORD
from tests.support.live import LiveServer

from .conftest import Served
from .test_family_flow import EMAIL, SAMSUNG, app, enrol_child, family_on, trade

__all__ = ["app"]  # fixtures

HYUNDAI = "005380.KS"


def buy_hyundai(screen: Screen) -> None:
    """The child's own way: the market tab, a search, the stock, one share."""
    from playwright.sync_api import expect

    screen.go_tab("주식 시장", screen.id("market-search"))
    screen.type_into("주식 찾기", "현대차")
    screen.tap(screen.id(f"stock-{HYUNDAI}"), screen.id("stock-price"))
    screen.tap(screen.id("buy"), screen.id("trade-input"))
    screen.type_into("몇 주?", "1")
    confirm = screen.button("주문하기")
    screen.tap(screen.button("확인하기"), confirm)
    screen.tap(confirm, screen.id("trade-status"))
    expect(screen.id("trade-status")).to_contain_text("주문 완료", timeout=20_000)


def test_a_parent_gives_a_mission_and_the_child_sees_progress_then_the_reward(
    browser: Any, live: LiveServer, app: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    from tests.support.market import refreshed_in

    child_id, code = family_on(live)
    refreshed_in(live.database_url, {SAMSUNG: 70_000, HYUNDAI: 200_000})
    screen = Screen.open(browser, "missions", app.entry, artifacts)
    page = screen.page
    try:
        enrol_child(page, code)
        trade(page, "buy", "1")  # one sector held: 반도체·전자

        # a parent takes the device and gives the mission from the child's page
        screen.tap(screen.id("open-parent-mode"), screen.box("이메일"))
        screen.type_into("이메일", EMAIL)
        screen.type_into("비밀번호", PASSWORD)
        screen.tap(screen.button("열기"), screen.id(f"dash-child-{child_id}"))
        screen.tap(screen.id(f"dash-settings-{child_id}"), screen.id("missions-card"))
        screen.type_into("업종 수 (2~10)", "2")
        screen.type_into("상금 (G₩)", "5000")
        given, prompt = screen.id("mission-0-progress"), screen.id("stepup-prompt")
        screen.tap(screen.button("미션 주기"), given.or_(prompt))
        if prompt.is_visible():  # the elevation from the mode switch ran out: the screen asks again
            screen.type_into("내 비밀번호", PASSWORD)
            screen.tap(screen.button("확인", exact=True), given)
        expect(given).to_have_text("1/2 업종", timeout=20_000)
        screen.shot("parent-mission")

        # the child's home: the mission and how far it is
        screen.tap(screen.id("leave-parent-mode"), screen.id("home-total"))
        expect(screen.id("mission-0-title")).to_have_text("2가지 업종에 나눠 투자하기", timeout=20_000)
        expect(screen.id("mission-0-progress")).to_have_text("1/2 업종")
        expect(screen.id("mission-0-status")).to_have_text("진행 중")
        screen.shot("child-mission-progress")

        buy_hyundai(screen)  # a second sector: 자동차
        screen.go_tab("홈", screen.id("home-total"))
        expect(screen.id("mission-0-progress")).to_have_text("2/2 업종", timeout=20_000)
        expect(screen.id("mission-0-status")).to_have_text("완료! 상금을 받았어요", timeout=30_000)
        screen.shot("child-mission-done")
    except Exception:
        screen.failure_shot()
        raise
    finally:
        screen.close()

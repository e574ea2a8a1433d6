"""The glossary in chromium: on the portfolio, the ⓘ beside a holding's average price opens 평균 단가
explained with that child's own numbers, and the market sentence stands beside the value chart; in the
inbox, the ⓘ beside a delisting's notification opens 상장 폐지 with the shares and the last price.
Screenshots under tests/artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Served, serve
from .test_family_flow import keep_failure_screen, sid, tap
from .test_screens import PHONE, SAMSUNG, open_at


@pytest.fixture(scope="module")
def child_app() -> Iterator[Served]:
    env = {"YONGDON_TEST_LOCALE": "ko", "YONGDON_TEST_MARKET": "1", "YONGDON_TEST_DELISTED": "1"}
    yield from serve(["-m", "tests.client.browser.fake_app", "{port}"], env)


def test_the_average_price_opens_its_word_with_the_childs_numbers(
    browser: Any, child_app: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    page = open_at(browser, child_app, "/child/portfolio", sid("portfolio-chart"), PHONE)
    try:
        # the market beside the child's value, in one sentence (the child made 0.5 points less)
        expect(page.locator(sid("portfolio-market"))).to_contain_text("시장 전체보다 0.50% 덜 벌었어요")
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "portfolio_market_ko.png"))
        info = page.locator(sid(f"avg-cost-info-{SAMSUNG}"))
        tap(page, info, page.locator(sid("glossary-example")))
        expect(page.locator(sid("glossary-title"))).to_contain_text("평균 단가가 뭐예요?")
        # 3 shares for 200,000 G₩: 66,666 G₩ a share (rounded down)
        expect(page.locator(sid("glossary-example"))).to_contain_text("네 삼성전자 평균 단가는 66,666 G₩이야")
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "glossary_avg_cost_ko.png"))
        page.locator(sid("glossary-close")).click()
        expect(page.locator(sid("glossary-example"))).to_have_count(0)
        # the ⓘ sits on the holding's card, which opens the stock when tapped: the ⓘ only explained
        expect(page.locator(sid("portfolio-chart"))).to_have_count(1)
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()


def test_a_delisting_in_the_inbox_opens_its_word_with_the_settled_shares(
    browser: Any, child_app: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    page = open_at(browser, child_app, "/child/inbox", sid("inbox-n-delisted"), PHONE)
    try:
        tap(page, page.locator(sid("inbox-info-n-delisted")), page.locator(sid("glossary-example")))
        expect(page.locator(sid("glossary-title"))).to_contain_text("상장 폐지가 뭐예요?")
        expect(page.locator(sid("glossary-meaning"))).to_contain_text("더는 사고팔리지 않게 되는 거야")
        # the child's own numbers: 4 shares of Yuhan at its last price, 55,000 G₩ each
        expect(page.locator(sid("glossary-example"))).to_contain_text(
            "4주를 마지막 가격 55,000 G₩에 정리해서 220,000 G₩을 받았어요"
        )
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "glossary_delisting_ko.png"))
        page.locator(sid("glossary-close")).click()
        expect(page.locator(sid("glossary-example"))).to_have_count(0)
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()

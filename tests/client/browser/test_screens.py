"""Issue 15's screens in chromium, in Korean and English, kept as screenshots under tests/artifacts:
the portfolio (value chart, a holding that opens its stock, dated orders, cancel asks first) at a
phone's size, and the parent's rules form at 360 px with nothing clipped — measured from the layout:
every label and choice, drawn in the app's own font, fits the box Flutter laid out for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.i18n import load_catalogs
from client.viewmodels.parent.child_settings import APPROVAL_FIELD, FIELDS
from sync.rules import FillPolicy
from tests.support.font_metrics import Font

from .conftest import ROOT, Served, serve
from .test_family_flow import keep_failure_screen, sid, tap

SAMSUNG = "005930.KS"
PHONE = {"width": 412, "height": 915}
NARROW = {"width": 360, "height": 780}


def _served(locale: str, role: str = "child") -> Iterator[Served]:
    env = {"YONGDON_TEST_LOCALE": locale, "YONGDON_TEST_AS": role}
    yield from serve(["-m", "tests.client.browser.fake_app", "{port}"], env)


@pytest.fixture(scope="module", params=["ko", "en"])
def child_app(request: pytest.FixtureRequest) -> Iterator[tuple[str, Served]]:
    for served in _served(request.param):
        yield request.param, served


@pytest.fixture(scope="module", params=["ko", "en"])
def parent_app(request: pytest.FixtureRequest) -> Iterator[tuple[str, Served]]:
    for served in _served(request.param, "parent"):
        yield request.param, served


def open_at(browser: Any, served: Served, path: str, ready: str, viewport: dict[str, int]) -> Any:
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{served.base}{path}?key={served.secret}")
    page.wait_for_function("!document.getElementById('loading')")
    page.locator("flt-semantics-placeholder").dispatch_event("click")
    page.wait_for_function("document.querySelectorAll('flt-semantics').length > 1")
    page.locator(ready).wait_for()
    return page


def test_the_portfolio_at_phone_size(browser: Any, child_app: tuple[str, Served], artifacts: Path) -> None:
    from playwright.sync_api import expect

    locale, served = child_app
    words = load_catalogs()[locale]
    page = open_at(browser, served, "/child/portfolio", sid("portfolio-chart"), PHONE)
    try:
        expect(page.locator(sid("portfolio-twr"))).to_contain_text(words["home.twr"].split("{")[0].strip())
        ordered = words["portfolio.ordered_at"].split("{")[0].strip()
        expect(page.locator(sid("trade-when-t-queued"))).to_contain_text(ordered)
        page.wait_for_timeout(600)
        page.screenshot(path=str(artifacts / f"portfolio_{locale}.png"))

        # every order says when it was made; cancelling asks first, "keep" leaves the order alone
        page.mouse.move(200, 450)
        page.mouse.wheel(0, 900)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / f"portfolio_orders_{locale}.png"))
        tap(page, page.locator(sid("cancel-t-queued")), page.locator(sid("cancel-dialog-body")))
        name = "삼성전자" if locale == "ko" else "Samsung Electronics"
        expect(page.locator(sid("cancel-dialog-body"))).to_contain_text(name)  # which order, in words
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / f"portfolio_cancel_dialog_{locale}.png"))
        page.locator(sid("cancel-keep")).click()
        expect(page.locator(sid("cancel-dialog-body"))).to_have_count(0)
        expect(page.locator(sid("cancel-t-queued"))).to_have_count(1)

        # a holding opens its stock page, where the child can sell
        page.mouse.wheel(0, -2000)
        tap(page, page.locator(sid(f"holding-{SAMSUNG}")), page.locator(sid("sell")))
        expect(page).to_have_url(re.compile(f"/child/stock/{re.escape(SAMSUNG)}"))
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / f"stock_from_portfolio_{locale}.png"))
        tap(page, page.locator(sid("back")), page.locator(sid("portfolio-value-card")))
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()


# how Flutter lays out an outlined Material 3 field: 12 px of padding each side of the text
FIELD_PADDING = 24
DROPDOWN_ICON = 48


def text_width(texts: list[str], size: int) -> list[float]:
    """Each text's width drawn in the app's own font (the NanumGothic it ships), at ``size`` px."""
    font = Font.load(ROOT / "assets" / "fonts" / "NanumGothic.ttf")
    return [font.width(t, size) for t in texts]


def test_the_rules_form_has_nothing_clipped_at_360_px(
    browser: Any, parent_app: tuple[str, Served], artifacts: Path
) -> None:
    locale, served = parent_app
    words = load_catalogs()[locale]
    page = open_at(browser, served, "/parent/child/kid-1", sid("rules-card"), NARROW)
    try:
        card = page.locator(sid("rules-card")).bounding_box()
        assert card is not None and card["width"] <= NARROW["width"]
        inner = card["width"] - 2 * 16 - 8  # the card's padding and margins
        # the approval numbers show only beside the approval mode that reads them (off here)
        shown = [f for f in FIELDS if f.name not in APPROVAL_FIELD.values()]
        labels = [words[f"parent.rule.{f.name}"] for f in shown]
        label_px = text_width(labels, 16)  # the label's size before it floats: the widest
        helps = [words[f"parent.help.{f.name}"] for f in shown]
        help_px = text_width(helps, 12)
        for f, label, need, help_need in zip(shown, labels, label_px, help_px, strict=True):
            box = page.locator(sid(f"rule-{f.name}")).bounding_box()
            assert box is not None, f.name
            assert box["width"] >= inner - 4, f"{f.name} is narrower than its card ({box['width']} < {inner})"
            room = box["width"] - FIELD_PADDING
            assert need <= room, f"label {label!r} needs {need:.0f} px, has {room:.0f}"
            assert help_need <= 2.6 * room, f"the sentence under {f.name} needs more than its 3 lines"
        dropdown = page.locator(sid("fill-policy")).bounding_box()
        assert dropdown is not None and dropdown["width"] >= inner - 4, (
            "the dropdown is narrower than its card"
        )
        choices = [words[f"parent.fill.{p.value}"] for p in FillPolicy]
        for choice, need in zip(choices, text_width(choices, 16), strict=True):
            room = dropdown["width"] - FIELD_PADDING - DROPDOWN_ICON
            assert need <= room, f"choice {choice!r} needs {need:.0f} px, has {room:.0f}"
        # the whole form, screen by screen, for a person to look at
        page.wait_for_timeout(600)
        for n in range(5):
            page.screenshot(path=str(artifacts / f"rules_form_360_{locale}_{n}.png"))
            page.mouse.move(180, 400)
            page.mouse.wheel(0, 650)
            page.wait_for_timeout(400)
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()


DESKTOP = {"width": 1280, "height": 800}


def test_a_desktop_window_has_a_rail_and_the_stock_beside_the_portfolio(
    browser: Any, child_app: tuple[str, Served], artifacts: Path
) -> None:
    from playwright.sync_api import expect

    locale, served = child_app
    page = open_at(browser, served, "/child/portfolio", sid("portfolio-chart"), DESKTOP)
    try:
        rail = page.locator(sid("nav-rail"))
        expect(rail).to_be_visible()
        box = rail.bounding_box()
        assert box is not None and box["x"] < 40 and box["height"] > 600  # down the left edge
        home = "홈" if locale == "ko" else "Home"
        expect(rail.get_by_text(home).or_(rail.get_by_label(home)).first).to_be_visible()
        main, side = page.locator(sid("main-column")), page.locator(sid("side-column"))
        expect(side.locator(sid("sell"))).to_have_count(1)  # the holding's stock, with sell, beside
        left, right = main.bounding_box(), side.bounding_box()
        assert left is not None and right is not None and right["x"] >= left["x"] + left["width"]
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / f"desktop_portfolio_{locale}.png"))
        page.set_viewport_size(PHONE)  # the window made narrow: the bottom bar and one column again
        expect(rail).to_have_count(0)
        expect(side).to_have_count(0)
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()


def test_a_desktop_window_shows_a_request_beside_the_childs_profile(
    browser: Any, parent_app: tuple[str, Served], artifacts: Path
) -> None:
    from playwright.sync_api import expect

    locale, served = parent_app
    page = open_at(browser, served, "/parent/approvals", sid("approval-r-1"), DESKTOP)
    try:
        expect(page.locator(sid("nav-rail"))).to_be_visible()
        expect(page.locator(sid("side-column")).locator(sid("dash-child-kid-1"))).to_have_count(1)
        page.wait_for_timeout(800)
        page.screenshot(path=str(artifacts / f"desktop_approvals_{locale}.png"))
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()

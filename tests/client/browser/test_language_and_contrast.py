"""What a screen reader and a dark room get, in chromium, in Korean and in English: the home screen in
dark mode with the child's session ended. The "locked" chip is readable (text against its own
background, measured from the pixels) and leaves the screen's title beside it; everything the
semantics tree reads out — Flutter's own words and the value chart's summary and axes included — is
in the app's language. Screenshots are kept under tests/artifacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.i18n import load_catalogs

from .conftest import Served, serve
from .test_family_flow import sid
from .test_screens import PHONE, open_at
from .test_smoke import pixels

HANGUL = re.compile(r"[\uac00-\ud7a3]")
WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module", params=["ko", "en"])
def dark_locked(request: pytest.FixtureRequest) -> Iterator[tuple[str, Served]]:
    env = {
        "YONGDON_TEST_LOCALE": request.param,
        "YONGDON_TEST_DARK": "1",
        "YONGDON_TEST_STATUS": "signed_out",
    }
    for served in serve(["-m", "tests.client.browser.fake_app", "{port}"], env):
        yield request.param, served


def _luminance(grey: int) -> float:
    c = grey / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def contrast(png: bytes) -> float:
    """Text against background inside a crop: its most common grey against the one farthest from it."""
    grey = pixels(png)
    background = max(set(grey), key=grey.count)
    text = max(grey, key=lambda g: abs(g - background))
    high, low = sorted((_luminance(background), _luminance(text)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def spoken(page: Any) -> list[str]:
    """Every label and text the semantics tree exposes (what a screen reader can read out)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('flt-semantics')].flatMap(n =>
               [n.getAttribute('aria-label') || '', n.childElementCount ? '' : n.textContent || '',
                [...n.querySelectorAll(':scope > span')].map(s => s.textContent).join('\\n')])
             .filter(t => t.trim())"""
    )
    return found


def test_home_in_dark_mode_reads_in_its_language_with_the_title_beside_the_locked_chip(
    browser: Any, dark_locked: tuple[str, Served], artifacts: Path
) -> None:
    from playwright.sync_api import expect

    locale, served = dark_locked
    words = load_catalogs()[locale]
    page = open_at(browser, served, "/child", sid("home-chart"), PHONE)
    try:
        chip = page.locator(sid("sync-chip"))
        expect(chip).to_contain_text(words["sync.signed_out"])
        page.wait_for_timeout(800)  # the theme's and the chart's transitions
        page.screenshot(path=str(artifacts / f"home_dark_locked_{locale}.png"))

        # the title stays whole beside the chip (a long chip once pushed it out of the app bar)
        title, box = page.get_by_role("heading").first, chip.bounding_box()
        expect(title).to_have_text(re.compile(r"\S"))
        heading = title.bounding_box()
        assert heading and box and heading["width"] > 60, (heading, box)
        assert heading["x"] + heading["width"] <= box["x"], (heading, box)

        # the chip's words against its own colour, in dark mode (WCAG AA for small text: 4.5)
        inner = {
            "x": box["x"] + 8,
            "y": box["y"] + 5,
            "width": box["width"] - 16,
            "height": box["height"] - 10,
        }
        ratio = contrast(page.screenshot(clip=inner))
        assert ratio >= 4.5, f"the sync chip's text has a contrast of {ratio:.2f} in dark mode"

        # what a screen reader says is in the app's language, the chart's summary and axes too
        said = spoken(page)
        chart = " ".join(t for t in said if "G₩" in t and ("그래프" in t or "Chart" in t))
        assert chart, said
        if locale == "ko":
            assert "그래프" in chart and re.search(r"\d[\d,]* G₩", chart), chart
            english = sorted({w for t in said for w in WORD.findall(t)})
            assert english == [], f"English read out in Korean mode: {english}"
        else:
            assert chart.startswith("Chart from") and re.search(r"G₩\d", chart), chart
            name = "민수"  # the child's own name is the one Korean word an English screen keeps
            korean = [t for t in said if HANGUL.search(t.replace(name, ""))]
            assert korean == [], f"Korean read out in English mode: {korean}"
    finally:
        page.context.close()

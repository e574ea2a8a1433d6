"""Issue 15's last words, in chromium, in Korean and English (screenshots under tests/artifacts):

- the review of an order that waits for the market restates it — how many shares at which price,
  the estimated total, and why more is held than the order costs — on screen, not only in the
  view-model;
- a parent screen reads out in the app's language too: the family screen's name field has a
  40-character limit, and Flutter's own counter ("40 characters remaining") is read in Korean in
  Korean mode ("40자 남음"), because the app tells Flutter its locale (``client.app.flutter_locale``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.i18n import load_catalogs

from .conftest import Served, serve
from .test_family_flow import keep_failure_screen, sid, tap, type_into
from .test_language_and_contrast import HANGUL, WORD, spoken
from .test_screens import PHONE, open_at

# 2 Samsung shares at the fake market's 71,200 while orders wait for the open (house rules
# "next_open", collar 5%, no fee): 142,400 to pay, 2 × 74,760 = 149,520 held
REVIEW = {
    "ko": {
        "lines": [
            "2주 × 71,200 G₩ (지금 가격)",
            "쓰는 돈(예상): 142,400 G₩",
            "142,400 G₩짜리 주문에 149,520 G₩을 맡아 둬요.",
            "시작 가격이 지금보다 5%까지 오를 수 있어서 2주 × 74,760 G₩에 수수료를 더한 만큼 맡아 둬요.",
        ],
        "counter": "40자 남음",
    },
    "en": {
        "lines": [
            "2 shares × G₩71,200 (today's price)",
            "You pay (estimate): G₩142,400",
            "G₩149,520 is held for a G₩142,400 order.",
            "The opening price may be up to 5% higher than now, so we hold 2 shares × G₩74,760 plus the fee.",
        ],
        "counter": "40 characters remaining",
    },
}


def _serve(locale: str, **env: str) -> Iterator[Served]:
    yield from serve(
        ["-m", "tests.client.browser.fake_app", "{port}"], {"YONGDON_TEST_LOCALE": locale, **env}
    )


@pytest.fixture(scope="module", params=["ko", "en"])
def locale(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def queueing_child(locale: str) -> Iterator[Served]:
    yield from _serve(locale, YONGDON_TEST_FILL="next_open")


@pytest.fixture(scope="module")
def parent(locale: str) -> Iterator[Served]:
    yield from _serve(locale, YONGDON_TEST_AS="parent")


def read_out(page: Any) -> list[str]:
    """What the semantics tree reads, and the text fields' own labels (on their inputs)."""
    labels: list[str] = page.evaluate(
        "() => [...document.querySelectorAll('input, textarea')].map(n => n.getAttribute('aria-label') || '')"
    )
    return spoken(page) + [t for t in labels if t.strip()]


def in_its_language(locale: str, said: list[str], *, keep: tuple[str, ...] = ()) -> None:
    """Nothing read out in the other language (``keep``: names that stay as they are)."""
    if locale == "ko":
        english = sorted({w for t in said for w in WORD.findall(t)} - set(keep))
        assert english == [], f"English read out in Korean mode: {english}"
    else:
        korean = [t for t in said if HANGUL.search(re.sub("|".join(keep) or "^$", "", t))]
        assert korean == [], f"Korean read out in English mode: {korean}"


def test_the_review_of_a_queued_order_restates_it(
    browser: Any, locale: str, queueing_child: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    words, catalog = REVIEW[locale], load_catalogs()[locale]
    page = open_at(browser, queueing_child, "/child/trade/005930.KS", sid("trade-input"), PHONE)
    try:
        type_into(page, catalog["trade.by_quantity_label"], "2")
        confirm = page.locator(sid("trade-confirm"))
        tap(page, page.get_by_role("button", name=catalog["trade.review"]), confirm)
        lines = page.locator(sid("trade-prediction"))
        for line in words["lines"]:
            expect(lines.filter(has_text=line)).to_have_count(1)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / f"review_queued_{locale}.png"))
        in_its_language(locale, read_out(page), keep=("민수",))
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()


def test_the_family_screen_reads_out_in_the_apps_language(
    browser: Any, locale: str, parent: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    words, catalog = REVIEW[locale], load_catalogs()[locale]
    page = open_at(browser, parent, "/parent/devices", sid("child-name"), PHONE)
    try:
        # Flutter's own counter under the name field (max 40), read out in the app's language
        expect(page.locator(sid("child-name"))).to_contain_text(words["counter"])
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / f"family_screen_{locale}.png"))
        said = read_out(page)
        assert catalog["parent.family.child_name"] in said, said  # the field's own label, too
        # "PIN" is the Korean screen's own word for it (the PIN field's label)
        in_its_language(locale, said, keep=("민수", "엄마", "PIN"))
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()

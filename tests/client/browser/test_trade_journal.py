"""The trade journal in chromium (Korean): the child writes why on the ticket, sees it restated on the
review, and finds it in the order history after sending (screenshots under tests/artifacts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.i18n import load_catalogs

from .conftest import Served
from .test_family_flow import keep_failure_screen, sid, tap, type_into
from .test_review_and_parent_words import _serve
from .test_screens import PHONE, open_at

WHY = "삼성전자가 새 휴대폰을 많이 팔 것 같아서"


@pytest.fixture(scope="module")
def child() -> Iterator[Served]:
    yield from _serve("ko")


def test_a_reason_typed_on_the_ticket_shows_in_the_order_history(
    browser: Any, child: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    catalog = load_catalogs()["ko"]
    mine = catalog["trade.journal_line"].format(text=WHY)
    page = open_at(browser, child, "/child/trade/005930.KS", sid("trade-journal"), PHONE)
    try:
        expect(page.locator(sid("trade-journal"))).to_contain_text(catalog["trade.journal_optional"])
        type_into(page, catalog["trade.by_quantity_label"], "1")
        type_into(page, catalog["trade.journal_label_buy"], WHY)
        confirm = page.locator(sid("trade-confirm"))
        tap(page, page.get_by_role("button", name=catalog["trade.review"]), confirm)
        expect(page.locator(sid("trade-journal-line"))).to_have_text(mine)
        page.screenshot(path=str(artifacts / "journal_review_ko.png"))
        tap(page, confirm, page.locator(sid("trade-done")))
        expect(page.locator(sid("trade-journal-line"))).to_have_text(mine)
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()

    history = open_at(browser, child, "/child/portfolio", sid("portfolio-chart"), PHONE)
    try:
        written = history.locator('[flt-semantics-identifier^="trade-journal-"]')
        expect(written).to_have_count(1)  # the order placed above, and no other order has one
        expect(written).to_have_text(mine)
        history.mouse.move(200, 450)
        history.mouse.wheel(0, 1200)  # down to the order history
        history.wait_for_timeout(800)
        history.screenshot(path=str(artifacts / "journal_history_ko.png"))
    except Exception:
        keep_failure_screen(history, artifacts)
        raise
    finally:
        history.context.close()

"""A parent in the web view (real server process, the real launcher, chromium): signing in on this
computer is a new device, so the family's security alert arrives in the parent's inbox (its tab
shows the unread count); then the payout account for Toss is registered with the password again
and shown masked. One short test: each step waits on what the screen shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import PASSWORD
from tests.support.live import LiveServer

from .conftest import Served
from .test_family_flow import EMAIL, app, family_on, keep_failure_screen, open_page, sid, tap, type_into

__all__ = ["app"]  # fixtures


def test_a_parent_reads_the_security_alert_and_registers_the_payout_account(
    browser: Any, live: LiveServer, app: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    child_id, _ = family_on(live)
    page = open_page(browser, app)
    try:
        type_into(page, "이메일", EMAIL)
        type_into(page, "비밀번호", PASSWORD)
        tap(page, page.get_by_role("button", name="로그인"), page.locator(sid(f"dash-child-{child_id}")))

        # the sign-in on this computer was a new device: every parent hears it, this one too
        inbox_tab = page.get_by_role("tab", name="알림")
        tap(page, inbox_tab, page.locator(sid("inbox-unread")))
        title = page.locator("[flt-semantics-identifier^=note-title-]")
        expect(title).to_have_text("보안 알림", timeout=20_000)  # delivered, poked, pulled
        expect(page.locator("[flt-semantics-identifier^=note-body-]")).to_contain_text("새 기기")
        expect(page.locator(sid("inbox-alerts"))).to_have_text("확인할 보안 알림 1개")

        tap(page, page.get_by_role("tab", name="지급"), page.locator(sid("account-none")))
        tap(page, page.get_by_role("button", name="계좌 등록하기"), page.locator(sid("account-form")))
        shinhan = page.get_by_role("button", name="신한은행", exact=True)  # the bank menu's entry
        tap(page, page.locator(sid("account-bank")), shinhan)
        shinhan.click()
        type_into(page, "계좌번호", "110-123-456789")
        type_into(page, "예금주", "김엄마")
        tap(page, page.get_by_role("button", name="계좌 저장하기"), page.locator(sid("stepup-prompt")))
        type_into(page, "내 비밀번호", PASSWORD)
        tap(page, page.get_by_role("button", name="확인", exact=True), page.locator(sid("account-current")))
        expect(page.locator(sid("account-current"))).to_have_text("신한은행 · ********6789 · 김엄마")
        expect(page.get_by_text("110-123-456789")).to_have_count(0)  # never shown in full again
    except Exception:
        keep_failure_screen(page, artifacts)
        raise
    finally:
        page.context.close()

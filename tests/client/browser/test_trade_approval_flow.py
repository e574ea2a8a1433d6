"""Graded trade approval between two devices, each in its own browser context: the child's tablet
and the parent's laptop (two app processes on their own data dirs, one real server).

The family's rule is "every trade waits for a parent". The child's review says so before the order
is sent; the order waits as "부모님 확인 대기"; the parent, on their own laptop, sees it on the
approvals screen and declines it with a reason, which the child reads in the order history; the child
orders again, the parent approves (with the password again), and the child sees it done (the beginner
rules fill practice orders at the latest price, whatever the market's hours)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD
from tests.support.live import LiveServer

from .conftest import Served
from .test_family_flow import (
    EMAIL,
    app_on,
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

NOT_NOW = "이번 주는 저축하기로 했잖아"


@pytest.fixture
def tablet(live: LiveServer, tmp_path: Path) -> Iterator[Served]:
    yield from app_on(live, tmp_path / "tablet")


@pytest.fixture
def laptop(live: LiveServer, tmp_path: Path) -> Iterator[Served]:
    yield from app_on(live, tmp_path / "laptop")


def every_trade_waits(live: LiveServer, child_id: str) -> None:
    """The parent's house rule, set over HTTP with the password again: every trade waits."""
    with httpx.Client(base_url=live.url) as http:
        tokens = http.post("/api/users/login", json={
            "email": EMAIL, "password": PASSWORD, "client_id": "mom-laptop-0001",
        }).raise_for_status().json()  # fmt: skip
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        up = http.post("/api/auth/step-up", json={"password": PASSWORD}, headers=auth).raise_for_status()
        auth = {"Authorization": f"Bearer {up.json()['access_token']}"}
        url = f"/api/family/children/{child_id}/rules"
        http.put(url, json={"trade_approval": "every"}, headers=auth).raise_for_status()


def order_one(kid: Any) -> None:
    """The child orders one share; the review says a parent must approve, and what happens next."""
    from playwright.sync_api import expect

    open_stock(kid)
    tap(kid, kid.locator(sid("buy")), kid.locator(sid("trade-input")))
    type_into(kid, "몇 주?", "1")
    confirm = kid.get_by_role("button", name="주문하기")
    tap(kid, kid.get_by_role("button", name="확인하기"), confirm)
    for line in (
        "부모님 확인 대기: 우리 집 규칙이라 모든 주문은 부모님이 확인해야 진행돼요.",
        "부모님이 승인하면 그때 가격으로 바로 체결돼요.",  # practice rules: at any hour
        "부모님이 안 된다고 하면 이유를 알려 주고",
    ):
        expect(kid.get_by_text(line).or_(kid.get_by_label(line)).first).to_be_visible()
    tap(kid, confirm, kid.locator(sid("trade-status")))
    expect(kid.locator(sid("trade-status"))).to_contain_text("부모님 확인 대기", timeout=30_000)


def parent_signs_in(mom: Any, child_id: str) -> None:
    type_into(mom, "이메일", EMAIL)
    type_into(mom, "비밀번호", PASSWORD)
    tap(mom, mom.locator(sid("enroll-sign-in")), mom.locator(sid(f"dash-child-{child_id}")))


def stepped_up(mom: Any, action: Any, done: Any) -> None:
    prompt = mom.locator(sid("stepup-prompt"))
    tap(mom, action, done.or_(prompt))
    if prompt.is_visible():
        type_into(mom, "내 비밀번호", PASSWORD)
        tap(mom, mom.get_by_role("button", name="확인", exact=True), done)


def test_the_child_orders_the_parent_declines_with_a_reason_then_approves(
    browser: Any, live: LiveServer, tablet: Served, laptop: Served, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    child_id, code = family_on(live)
    every_trade_waits(live, child_id)
    samsung_trades_at(live, 70_000)
    kid, mom = open_page(browser, tablet), open_page(browser, laptop)
    try:
        enrol_child(kid, code)
        order_one(kid)
        parent_signs_in(mom, child_id)
        expect(mom.locator(sid(f"dash-awaiting-{child_id}"))).to_contain_text(
            "승인을 기다리는 거래 1건", timeout=30_000
        )
        what = mom.locator("[flt-semantics-identifier^=trade-approval-what-]")
        tap(mom, mom.get_by_role("tab", name="승인"), what)
        expect(what).to_contain_text("삼성전자 1주 사기")
        type_into(mom, "이유 (아이에게 보여요)", NOT_NOW)
        notice = mom.locator(sid("parent-notice"))
        tap(mom, mom.locator("[flt-semantics-identifier^=decline-trade-]"), notice)
        expect(notice).to_contain_text("거절했어요", timeout=30_000)
        mom.screenshot(path=str(artifacts / "trade_approval_parent_ko.png"))

        # the child's tablet: the order is declined, and the history says why in the parent's words
        expect(kid.locator(sid("trade-status"))).to_contain_text("부모님이 안 된대요", timeout=60_000)
        tap(kid, kid.locator(sid("trade-done")), kid.locator(sid("home-total")))
        tap(kid, kid.get_by_role("tab", name="내 주식"), kid.locator("[flt-semantics-identifier^=trade-]"))
        reason = f"부모님이 알려 준 이유: {NOT_NOW}"
        expect(kid.get_by_text(reason).or_(kid.get_by_label(reason)).first).to_be_visible(timeout=30_000)
        kid.screenshot(path=str(artifacts / "trade_declined_child_ko.png"))

        # again, and this time the parent says yes (approving asks for the password again)
        tap(kid, kid.get_by_role("tab", name="홈"), kid.locator(sid("home-total")))
        order_one(kid)
        approve = mom.locator("[flt-semantics-identifier^=approve-trade-]")
        approve.first.wait_for(timeout=60_000)
        stepped_up(mom, approve, notice.filter(has_text="승인했어요"))
        expect(kid.locator(sid("trade-status"))).to_contain_text("주문 완료", timeout=60_000)
    except Exception:
        keep_failure_screen(kid, artifacts)
        keep_failure_screen(mom, artifacts)
        raise
    finally:
        kid.context.close()
        mom.context.close()

"""The parent's inbox, the notification settings and the payout account form, in process (Flet's
real Session/Page) on the real client core and the real server, in Korean and in English: reached
from the app's own navigation, showing what the server holds, changing it through the screens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import flet as ft
import pytest
import sqlalchemy as sa

from client.app import make_main
from client.config import load_config
from server.db.models import BankAccount, NotificationPref
from tests.client.core.conftest import anyio_backend, server  # noqa: F401 - fixtures
from tests.client.parent.conftest import (  # noqa: F401 - fixtures
    Family,
    Providers,
    family,
    paying_family,
    providers,
)
from tests.helpers import PASSWORD

from .harness import Harness, settle, start

pytestmark = pytest.mark.anyio


async def open_app(f: Family, runtime: Any, tmp_path: Path, route: str, locale: str) -> Harness:
    main = make_main(runtime, load_config(), data_dir=tmp_path / "ui", clock=f.server.clock, locale=locale)
    return await start(main, route)


def inbox_tab(h: Harness) -> Any:
    bar = h.all(ft.NavigationBar)[0]
    return bar.destinations[5]


def badge(h: Harness) -> str | None:
    """The unread count on the inbox tab's icon (none when everything was read)."""
    icon = inbox_tab(h).icon
    return icon.badge if isinstance(icon, ft.Icon) else None


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        ("ko", ("알림", "읽지 않은 알림 2개", "확인할 보안 알림 1개", "승인 화면으로", "읽지 않은 알림 1개")),
        ("en", ("Inbox", "Unread: 2", "Security alerts to look at: 1", "Open approvals", "Unread: 1")),
    ],
)
async def test_the_parents_inbox_from_the_navigation(
    family: Family,  # noqa: F811
    tmp_path: Path,
    locale: str,
    texts: tuple[str, ...],
) -> None:
    f = family
    tab, two, alerts, open_approvals, one = texts
    f.server.dispatch()  # the request and the child's new device, told to the parent
    await f.parent.sync_now()
    h = await open_app(f, f.runtime, tmp_path, "/parent", locale)
    assert inbox_tab(h).label == tab and badge(h) == "2"  # the count on the tab
    await h.fire(h.all(ft.NavigationBar)[0], "change", "5")
    assert h.route == "/parent/inbox"
    assert h.text_of("inbox-unread") == two and h.text_of("inbox-alerts") == alerts
    notes = {n["event"]: n["notification_id"] for n in f.parent.view().notifications}
    device, request = notes["DeviceEnrolled"], notes["AllowanceRequested"]
    assert h.has_id(f"note-{device}") and h.has_id(f"open-{device}")
    await h.click(f"read-{device}")
    await settle()
    assert h.text_of("inbox-unread") == one and not h.has_id(f"read-{device}")
    assert badge(h) == "1"
    assert h.by_id(f"open-{request}").content == open_approvals
    await h.click(f"open-{request}")
    await settle()
    assert h.route == "/parent/approvals"
    assert badge(h) is None  # opening it marked it read too


async def test_notification_settings_for_a_parent_in_english(
    paying_family: Family,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = paying_family
    h = await open_app(f, f.runtime, tmp_path, "/parent", "en")
    await h.click("open-settings")
    await h.click("settings-notifications")
    await settle()
    assert h.route == "/settings/notifications"
    assert h.has_id("email-AllowancePaid") and h.has_id("push-AllowancePaid")
    assert "Pocket money was paid" in h.text_of("notify-AllowancePaid")
    assert "install the ntfy app" in h.text_of("notify-ntfy")
    email = h.by_id("email-AllowancePaid")
    assert email.value is False and not email.disabled
    h.session.apply_patch(email._i, {"value": True})
    await h.fire(email, "change")
    await settle()
    assert h.text_of("notify-notice") == "Saved." and h.by_id("email-AllowancePaid").value is True
    with f.server.app.state.db.read() as session:
        pref = session.get(NotificationPref, (f.parent.identity.user_id, "AllowancePaid"))
        assert pref is not None and (pref.email, pref.push) == (True, True)
    await h.click("back")
    assert h.route == "/settings"


async def test_notification_settings_for_a_child_in_korean_have_no_email(
    paying_family: Family,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = paying_family
    h = await open_app(f, f.home.kids[0][0], tmp_path, "/settings/notifications", "ko")
    await settle()
    assert h.route == "/settings/notifications"
    assert "주문이 체결됐을 때" in h.text_of("notify-TradeExecuted")
    assert h.has_id("push-TradeExecuted") and not h.has_id("email-TradeExecuted")
    assert not h.has_id("notify-SecurityAlert")
    # the server sends SMS, but never to a child: no phone number to give, no SMS switch
    assert not h.has_id("notify-phone") and not h.has_id("sms-TradeExecuted")
    assert not h.has_id("notify-no-sms")
    assert "푸시 알림을 받을 수 없어요" in h.text_of("notify-device")


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("ko", ("010-****-6789로 인증번호를", "인증번호가 맞지 않아요", "확인 완료", "번호를 지웠어요")),
        ("en", ("We texted a code to 010-****-6789", "That code isn't right", "is confirmed", "was removed")),
    ],
)
async def test_a_parent_proves_a_phone_number_and_chooses_sms_per_event(
    paying_family: Family,  # noqa: F811
    providers: Providers,  # noqa: F811
    tmp_path: Path,
    locale: str,
    words: tuple[str, ...],
) -> None:
    f = paying_family
    sent, wrong, confirmed, removed = words
    h = await open_app(f, f.runtime, tmp_path, "/settings/notifications", locale)
    await settle()
    sms = h.by_id("sms-SecurityAlert")
    assert sms.value is False and sms.disabled  # no verified number yet
    await h.type("phone-number", "010-2345-6789")
    await h.type("phone-password", PASSWORD)
    await h.click("phone-send")
    assert sent in h.text_of("notify-notice")
    text = providers.sms_api.seen[-1].body["message"]
    assert text["to"] == "01023456789"
    code = re.search(r"\d{6}", text["text"])
    assert code is not None
    await h.type("phone-code", f"{(int(code.group()) + 1) % 10**6:06d}")
    await h.click("phone-verify")
    assert wrong in h.text_of("notify-error")
    await h.type("phone-code", code.group())
    await h.click("phone-verify")
    assert confirmed in h.text_of("notify-notice")
    assert "010-****-6789" in h.text_of("phone-state")
    sms = h.by_id("sms-SecurityAlert")
    assert not sms.disabled
    h.session.apply_patch(sms._i, {"value": True})
    await h.fire(sms, "change")
    await settle()
    assert h.by_id("sms-SecurityAlert").value is True
    with f.server.app.state.db.read() as session:
        pref = session.get(NotificationPref, (f.parent.identity.user_id, "SecurityAlert"))
        assert pref is not None and pref.sms is True
    await h.type("phone-password", PASSWORD)
    await h.click("phone-remove")
    assert removed in h.text_of("notify-notice")
    assert h.has_id("phone-number") and h.by_id("sms-SecurityAlert").disabled


@pytest.mark.parametrize(
    ("locale", "shown"),
    [("ko", "신한은행 · ********6789 · 김엄마"), ("en", "Shinhan · ********6789 · 김엄마")],
)
async def test_the_payout_account_form_asks_the_password_and_shows_the_number_masked(
    paying_family: Family,  # noqa: F811
    providers: Providers,  # noqa: F811
    tmp_path: Path,
    locale: str,
    shown: str,
) -> None:
    f = paying_family
    h = await open_app(f, f.runtime, tmp_path, "/parent/payouts", locale)
    await settle()
    assert h.has_id("account-none")
    await h.click("account-edit")
    await h.click("account-save")  # nothing typed yet: each field says what it needs, nothing is sent
    assert h.by_id("account-number").error and h.by_id("account-holder").error
    assert h.by_id("account-bank").error_text and not h.has_id("stepup-prompt")
    bank = h.by_id("account-bank")
    h.session.apply_patch(bank._i, {"value": "088"})
    await h.fire(bank, "select")
    await h.type("account-number", "110-123-456789")
    await h.type("account-holder", "김엄마")
    await h.click("account-save")
    assert h.has_id("stepup-prompt")  # the password again
    await h.type("stepup-inline-password", PASSWORD)
    await h.click("stepup-confirm")
    await settle()
    assert h.text_of("account-current") == shown
    assert h.text_of("parent-notice").endswith(shown)
    assert not h.has_id("account-form") and "110-123-456789" not in " ".join(h.texts())
    with f.server.app.state.db.read() as session:
        assert session.scalars(sa.select(BankAccount.number_masked)).one() == "********6789"


async def _approve_on_screen(h: Harness, f: Family) -> str:
    (request,) = f.parent.view().books[f.child_id].requests()
    await h.goto("/parent/approvals")
    await h.click(f"approve-{request.request_id}")
    await h.type("stepup-inline-password", PASSWORD)
    await h.click("stepup-confirm")
    await f.parent.sync_now()
    return str(request.request_id)


async def test_toss_from_the_payouts_screen_shows_the_reference_in_english(
    paying_family: Family,  # noqa: F811
    providers: Providers,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = paying_family
    h = await open_app(f, f.runtime, tmp_path, "/parent", "en")
    rid = await _approve_on_screen(h, f)
    await h.goto("/parent/payouts")
    await settle()
    await h.click("account-edit")
    bank = h.by_id("account-bank")
    h.session.apply_patch(bank._i, {"value": "004"})
    await h.fire(bank, "select")
    await h.type("account-number", "123456-01-234567")
    await h.type("account-holder", "Kim Mom")
    await h.click("account-save")  # still elevated from the approval: saved at once
    await settle()
    assert h.text_of("account-current") == "KB Kookmin · **********4567 · Kim Mom"
    await h.click(f"method-{rid}-toss")
    await h.click(f"pay-{rid}")
    await settle()
    reference = f"po_{providers.toss_api.seen[-1].body['refPayoutId'][:8]}"
    assert h.text_of("parent-notice") == f"Paid ₩1,500 to 지우 through Toss. Reference: {reference}"
    assert h.has_id("payouts-empty")


async def test_kakaopay_from_the_payouts_screen_in_korean(
    paying_family: Family,  # noqa: F811
    providers: Providers,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = paying_family
    h = await open_app(f, f.runtime, tmp_path, "/parent", "ko")
    rid = await _approve_on_screen(h, f)
    await h.goto("/parent/payouts")
    await h.click(f"method-{rid}-kakaopay")
    await h.click(f"pay-{rid}")
    await settle()
    assert h.text_of("parent-notice") == "카카오페이에서 결제를 마쳐 주세요."
    button = h.by_id("payout-link-open")
    assert button.content == "카카오페이 열기" and button.url.url.startswith("https://kakao.test/m/T")
    assert "가족 서버의 확인 페이지" in h.text_of("payout-link-card")
    # KakaoPay returns the parent's browser to the server's page, which completes the payout
    approval = providers.kakao_api.seen[-1].body["approval_url"]
    page = f.server.client.get(approval.split("127.0.0.1:8787", 1)[1] + "?pg_token=pg-ok")
    assert page.status_code == 200
    await f.parent.sync_now()
    await settle()
    assert h.has_id("payouts-empty") and "카카오페이 · A" in " ".join(h.texts())


def label(h: Harness, identifier: str) -> str:
    """The words on the button with this test id."""
    return str(h.by_id(identifier).controls[0].content)


async def test_the_family_screen_offers_export_and_a_confirmed_erase_in_korean(
    family: Family,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = family
    h = await open_app(f, f.runtime, tmp_path, "/parent/devices", "ko")
    await settle()
    assert label(h, "export-family") == "가족 데이터 내려받기"
    assert label(h, f"export-{f.child_id}") == "지우의 데이터 내려받기"
    await h.click(f"erase-{f.child_id}")  # asks first: nothing is sent yet
    await settle()
    assert h.text_of(f"confirm-{f.child_id}").startswith("지우의 모든 기록")
    assert label(h, f"erase-no-{f.child_id}") == "아니요, 그대로 둘게요"
    await h.click(f"erase-no-{f.child_id}")
    await settle()
    assert not h.has_id(f"confirm-{f.child_id}") and h.has_id(f"erase-{f.child_id}")

"""KakaoPay's return page (``/payment/kakaopay/{payout}/{signature}/approved|cancelled|failed``):
the parent's browser lands there after paying, with KakaoPay's ``pg_token``, and no credentials.

Against the local KakaoPay fake of ``test_payment_rails`` (ready/approve shaped like the provider's),
on SQLite and PostgreSQL: the page completes the payout through the same path as the API (the
request is marked paid with KakaoPay's approval id), a reload never approves twice, a cancelled or
failed payment pays nothing, and an address that was not signed for that payout changes nothing.
"""

# ruff: noqa: F811 - the provider fakes and the family are test_payment_rails' fixtures, used by name

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from server.db.models import Payout
from tests.helpers import PASSWORD, Member, link_code, step_up
from tests.server.channel_support import FakeApi
from tests.server.test_notifications import Home
from tests.server.test_payment_rails import (  # noqa: F401 - fixtures
    Kakao,
    _approved,
    _ok,
    _paid_entries,
    _status,
    fakes,
    home,
    kakao,
    settings,
    toss,
)

_FIELD = {"approved": "approval_url", "cancelled": "cancel_url", "failed": "fail_url"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _link(home: Home, request: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    body = {"request_id": request["request_id"], "rail": "kakaopay"}
    answer = _ok(home.client.post("/api/payment/transfer", json=body, headers=headers))
    assert answer["status"] == "pending"
    return dict(answer["payout"])


def _return_path(fakes: tuple[FakeApi, FakeApi], payout_id: str, outcome: str = "approved") -> str:
    """Where KakaoPay sends the browser back for this payout (from the ready call it received)."""
    ready = next(s.body for s in fakes[1].seen if s.body.get("partner_order_id") == payout_id)
    return urlsplit(ready[_FIELD[outcome]]).path


def _approvals(fakes: tuple[FakeApi, FakeApi]) -> list[dict[str, Any]]:
    return [s.body for s in fakes[1].seen if s.path.endswith("/approve")]


def _payout(home: Home, payout_id: str) -> Payout:
    with home.app.state.db.read() as session:
        row = session.get(Payout, payout_id)
        assert row is not None
        session.expunge(row)
        return row


def test_the_approval_return_completes_the_payout_with_kakaopays_approval_id(
    home: Home, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    request = _approved(home)
    link = _link(home, request, home.ours.elevated(client))
    path = _return_path(fakes, link["payout_id"])
    assert path.startswith(f"/payment/kakaopay/{link['payout_id']}/") and path.endswith("/approved")

    page = client.get(f"{path}?pg_token=pg-ok", headers=BROWSER)  # the browser: no Authorization
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "용돈을 보냈어요" in page.text and "지우에게 1,000원을 카카오페이로 보냈어요." in page.text
    (approval,) = _approvals(fakes)
    assert approval["pg_token"] == "pg-ok" and approval["tid"] == link["reference"]
    paid = _payout(home, link["payout_id"])
    assert paid.status == "paid" and paid.reference == "A" + link["reference"][1:]
    assert f"카카오페이 승인번호: {paid.reference}" in page.text
    assert _status(home, request["request_id"]) == "paid"
    assert [e["reason"] for e in _paid_entries(home)] == [f"kakaopay {paid.reference}"] * 2  # two legs
    for header, value in {
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        "x-content-type-options": "nosniff",
    }.items():
        assert page.headers[header] == value
    assert page.headers["content-security-policy"].startswith("default-src 'none'")

    again = client.get(f"{path}?pg_token=pg-ok", headers=BROWSER)  # a reload, or the back button
    assert again.status_code == 200 and "용돈을 보냈어요" in again.text
    assert len(_approvals(fakes)) == 1 and len(_paid_entries(home)) == 2  # approved and paid once


def test_an_address_not_signed_for_the_payout_changes_nothing(
    home: Home, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    request = _approved(home)
    elevated = home.ours.elevated(client)
    first = _link(home, request, elevated)
    path = _return_path(fakes, first["payout_id"])
    _, _, _, payout_id, signature, _ = path.split("/")
    forged = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    tries = [
        f"/payment/kakaopay/{payout_id}/{forged}/approved?pg_token=pg-ok",
        f"/payment/kakaopay/{payout_id}/{forged}/cancelled",
        f"/payment/kakaopay/{uuid.uuid4()}/{signature}/approved?pg_token=pg-ok",  # another id
        f"/payment/kakaopay/{payout_id}/{signature[:-1]}%C3%A9/failed",  # not ASCII: no 500
    ]
    for address in tries:
        page = client.get(address, headers=BROWSER)
        assert page.status_code == 404 and "이 결제 링크는 유효하지 않아요" in page.text, address
        problem = client.get(address)  # not a browser: the usual problem JSON
        assert problem.status_code == 404 and problem.json()["code"] == "NOT_FOUND"
    assert _approvals(fakes) == [] and _payout(home, first["payout_id"]).status == "pending"
    assert _status(home, request["request_id"]) == "approved"


def test_cancelled_and_failed_returns_close_the_link_and_pay_nothing(
    home: Home, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    request = _approved(home)
    elevated = home.ours.elevated(client)
    cancelled = _link(home, request, elevated)
    page = client.get(_return_path(fakes, cancelled["payout_id"], "cancelled"), headers=BROWSER)
    assert page.status_code == 200 and "결제를 취소했어요" in page.text
    assert "돈은 나가지 않았어요" in page.text
    assert _payout(home, cancelled["payout_id"]).status == "failed"
    # KakaoPay's approval address for the cancelled payment: shown as cancelled, never approved
    late = client.get(f"{_return_path(fakes, cancelled['payout_id'])}?pg_token=pg-ok", headers=BROWSER)
    assert "결제를 취소했어요" in late.text and _approvals(fakes) == []

    failed = _link(home, request, elevated)
    page = client.get(_return_path(fakes, failed["payout_id"], "failed"), headers=BROWSER)
    assert "결제가 끝나지 않았어요" in page.text and "KakaoPay reported that the payment failed" in page.text
    assert _status(home, request["request_id"]) == "approved" and _paid_entries(home) == []

    # the parent starts again from the app and this time pays
    paid = _link(home, request, elevated)
    assert "용돈을 보냈어요" in client.get(f"{_return_path(fakes, paid['payout_id'])}?pg_token=pg-ok").text
    assert _status(home, request["request_id"]) == "paid"


def test_a_refused_approval_is_explained_in_the_parents_language(
    home: Home, kakao: Kakao, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    code = link_code(client, home.mom, "parent_invite")
    join = {
        "code": code,
        "client_id": f"grandma-{uuid.uuid4().hex[:12]}",
        "device_name": "tablet",
        "email": f"grandma-{uuid.uuid4().hex[:8]}@example.org",
        "password": PASSWORD,
        "display_name": "Grandma",
        "locale": "en",
    }
    tokens = _ok(client.post("/api/users/family/join", json=join))
    grandma = Member(tokens["user_id"], join["client_id"], tokens)
    request = _approved(home)
    link = _link(home, request, step_up(client, grandma))
    kakao.refuse_approve = True
    page = client.get(f"{_return_path(fakes, link['payout_id'])}?pg_token=pg-ok", headers=BROWSER)
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "The payment did not go through" in page.text
    assert "No money moved. 지우&#x27;s request for ₩1,000 is still approved" in page.text
    assert "KakaoPay said: 400 -780: approval failure" in page.text
    assert _payout(home, link["payout_id"]).status == "failed"
    assert _status(home, request["request_id"]) == "approved" and _paid_entries(home) == []


def test_a_request_paid_another_way_meanwhile_is_not_charged_again(
    home: Home, fakes: tuple[FakeApi, FakeApi]
) -> None:
    client = home.client
    request = _approved(home)
    elevated = home.ours.elevated(client)
    link = _link(home, request, elevated)
    cash = {"request_id": request["request_id"], "rail": "manual", "method": "cash", "reference": "봉투"}
    _ok(client.post("/api/payment/transfer", json=cash, headers=elevated))  # paid in cash meanwhile
    page = client.get(f"{_return_path(fakes, link['payout_id'])}?pg_token=pg-ok", headers=BROWSER)
    assert "결제가 끝나지 않았어요" in page.text and _approvals(fakes) == []  # KakaoPay never approved
    assert _payout(home, link["payout_id"]).status == "failed"
    with home.app.state.db.read() as session:
        statuses = sorted(session.scalars(sa.select(Payout.status)))
    assert statuses == ["failed", "paid"] and len(_paid_entries(home)) == 2  # the cash payout only

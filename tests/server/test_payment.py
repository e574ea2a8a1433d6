"""Payouts (issue 5) end to end: a child asks, the parents get an e-mail on a real SMTP server, a
parent approves and pays through the manual rail, the child sees 'paid', and the ledger shows every
step with its actor. Also: the two payout routes share one path, and the hosted-only route."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.db.models import Payout
from server.settings import Settings
from tests.server.channel_support import Mailbox, text_of
from tests.server.test_notifications import Home, _setup_trading, _trade, quiet_home


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings()


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
    return quiet_home(client, app)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def _approved_request(home: Home, amount_game: int = 10_000) -> dict[str, Any]:
    """지우 sells at a profit, asks to convert ``amount_game``, and 엄마 approves (stepped up)."""
    client, jiwoo = home.client, home.kid("지우")
    _setup_trading(home)
    _trade(home, jiwoo, "buy", 70_000, 20)
    _trade(home, jiwoo, "sell", 80_000, 10)
    made = _ok(
        client.post("/api/allowance/request", json={"amount_game": amount_game}, headers=jiwoo.headers), 201
    )
    request = dict(made["request"])
    approve = {"version": request["version"], "amount_real": request["amount_real"]}
    elevated = home.ours.elevated(client)
    _ok(client.put(f"/api/allowance/{request['request_id']}/approve", json=approve, headers=elevated))
    return request


def test_ask_mail_approve_pay_and_every_step_in_the_ledger(
    home: Home, smtp: tuple[Mailbox, int, Path]
) -> None:
    mailbox = smtp[0]
    client, jiwoo = home.client, home.kid("지우")
    _setup_trading(home)
    _trade(home, jiwoo, "buy", 70_000, 20)
    _trade(home, jiwoo, "sell", 80_000, 10)
    made = _ok(
        client.post("/api/allowance/request", json={"amount_game": 10_000}, headers=jiwoo.headers), 201
    )
    request = made["request"]
    home.dispatch(channels=home.app.state.channels.all())
    # the e-mail reached both parents through the real SMTP server (STARTTLS), nobody else
    assert len(mailbox.messages) == 2 and all(tls for _, _, tls in mailbox.messages)
    assert all("1,000원 요청이 승인을 기다립니다" in text_of(m) for _, m, _ in mailbox.messages)

    elevated = home.ours.elevated(client)
    approve = {"version": request["version"], "amount_real": request["amount_real"]}
    _ok(client.put(f"/api/allowance/{request['request_id']}/approve", json=approve, headers=elevated))
    transfer = {
        "request_id": request["request_id"],
        "rail": "manual",
        "method": "bank_transfer",
        "reference": "국민 0412",
    }
    paid = _ok(client.post("/api/payment/transfer", json=transfer, headers=elevated))
    assert paid["status"] == "applied" and paid["request"]["status"] == "paid"
    assert paid["payout"]["rail"] == "manual" and paid["payout"]["status"] == "paid"
    assert paid["payout"]["reference"] == "국민 0412" and paid["payout"]["amount_real"] == 1_000

    # the child sees it paid, and hears about it in its own words
    (mine,) = _ok(client.get(f"/api/allowance/history/{jiwoo.user_id}", headers=jiwoo.headers))
    assert mine["status"] == "paid" and mine["paid_method"] == "bank_transfer"
    home.dispatch(channels=home.app.state.channels.all())
    paid_note = [n for n in home.inbox(jiwoo)["notifications"] if n["event"] == "AllowancePaid"]
    assert paid_note and paid_note[0]["title"] == "용돈을 받았어요!"

    ledger = _ok(client.get(f"/api/game/ledger/{jiwoo.user_id}?limit=100", headers=home.mom.headers))
    steps = {
        (e["kind"], e["account"], e["amount"], e["actor_id"])
        for e in ledger
        if e["ref_id"] == request["request_id"]
    }
    mom, kid = home.mom.user_id, jiwoo.user_id
    assert steps == {
        ("allowance.request", "cash", -10_000, kid),
        ("allowance.request", "reserved", 10_000, kid),
        ("allowance.decide", "reserved", -10_000, mom),
        ("allowance.decide", "conversion_sink", 10_000, mom),
        ("allowance.decide", "family_expense", -1_000, mom),
        ("allowance.decide", "allowance_payable", 1_000, mom),
        ("allowance.mark_paid", "allowance_payable", -1_000, mom),
        ("allowance.mark_paid", "allowance_paid", 1_000, mom),
    }
    payout_reasons = {e["reason"] for e in ledger if e["kind"] == "allowance.mark_paid"}
    assert payout_reasons == {"bank_transfer 국민 0412"}  # the rail's reference is in the ledger


def test_put_paid_is_the_manual_rail_and_a_second_payout_is_refused(home: Home) -> None:
    request = _approved_request(home)
    client = home.client
    elevated = home.ours.elevated(client)
    url = f"/api/allowance/{request['request_id']}/paid"
    first = _ok(client.put(url, json={"method": "cash"}, headers=elevated))
    assert first["payout"]["rail"] == "manual" and first["payout"]["method"] == "cash"
    again = client.post(
        "/api/payment/transfer",
        json={"request_id": request["request_id"], "method": "cash"},
        headers=elevated,
    )
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_DECIDED"
    with home.app.state.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 1


def test_a_retried_payout_with_the_same_key_pays_once(home: Home) -> None:
    request = _approved_request(home)
    client = home.client
    headers = {**home.ours.elevated(client), "Idempotency-Key": "pay-once-1"}
    body = {"request_id": request["request_id"], "method": "cash"}
    first = _ok(client.post("/api/payment/transfer", json=body, headers=headers))
    second = _ok(client.post("/api/payment/transfer", json=body, headers=headers))
    # one payout, under the id the caller's key names (a key is the caller's own: never another's id)
    assert first["payout"]["payout_id"] == second["payout"]["payout_id"]
    ledger = _ok(
        client.get(f"/api/game/ledger/{home.kid('지우').user_id}?limit=100", headers=home.mom.headers)
    )
    assert sum(1 for e in ledger if e["kind"] == "allowance.mark_paid") == 2  # one pair of entries


def test_pending_requests_cannot_be_paid_and_children_cannot_pay(home: Home) -> None:
    client, jiwoo = home.client, home.kid("지우")
    _setup_trading(home)
    _trade(home, jiwoo, "buy", 70_000, 20)
    _trade(home, jiwoo, "sell", 80_000, 10)
    request = _ok(
        client.post("/api/allowance/request", json={"amount_game": 10_000}, headers=jiwoo.headers), 201
    )
    body = {"request_id": request["request"]["request_id"], "method": "cash"}
    pending = client.post("/api/payment/transfer", json=body, headers=home.ours.elevated(client))
    assert pending.status_code == 409 and pending.json()["code"] == "ALREADY_DECIDED"
    assert client.post("/api/payment/transfer", json=body, headers=jiwoo.headers).status_code == 403
    no_step_up = client.post("/api/payment/transfer", json=body, headers=home.mom.headers)
    assert no_step_up.status_code == 403 and no_step_up.json()["code"] == "STEP_UP_REQUIRED"
    other = client.post("/api/payment/transfer", json=body, headers=home.theirs.elevated(client))
    assert other.status_code == 404
    unknown_rail = client.post(
        "/api/payment/transfer", json={**body, "rail": "toss"}, headers=home.ours.elevated(client)
    )
    assert unknown_rail.status_code == 422  # no Toss key on this server


def test_subscribe_does_not_exist_on_a_family_server(home: Home) -> None:
    answer = home.client.post("/api/payment/subscribe", headers=home.mom.headers)
    assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"

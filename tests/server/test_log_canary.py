"""The log canary, focused: unique values planted in every kind of request, and every log line grepped.

The session-wide check (``tests/conftest.py``) greps the whole suite's logs for the helpers' secrets;
this test plants values used nowhere else — an e-mail, a password, a PIN, names, a device name, the
codes and tokens the server hands out, mutation arguments (a trade journal among them), a parent's
phone number and the SMS code sent to it — through register, login, a wrong login, PIN sign-in
(right and wrong), pairing, refresh (and a reused refresh token), logout, a push, adding a phone
number (accepted and refused by the SMS provider), a wrong and a right code, and two database
errors, then requires that no line of any logger at any level carries one of them.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from server.settings import Settings
from tests.conftest import MovableClock
from tests.server.channel_support import FakeApi, Seen
from tests.support.logs import leaks


def _unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(6)}"


def _solapi(seen: Seen) -> tuple[int, Any]:
    """Solapi's answers (tests/server/test_sms.py has the full fake): a number it cannot deliver
    to is refused, quoting it back as providers do."""
    to = seen.body["message"]["to"]
    if to.startswith("0100000"):
        return 400, {"errorCode": "ValidationError", "errorMessage": f"invalid recipient {to}"}
    return 200, {"messageId": "M4V1", "statusCode": "2000", "to": to, "from": "0212345678"}


@pytest.fixture
def solapi() -> Iterator[FakeApi]:
    api = FakeApi(_solapi)
    yield api
    api.close()


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str, solapi: FakeApi) -> Settings:
    return make_settings(
        database_url=database_url,
        sms_provider="solapi",
        solapi_url=solapi.url,
        solapi_api_key="NCSCANARY",
        solapi_api_secret="canary-secret",
        sms_sender="0212345678",
    )


def test_no_log_line_carries_a_planted_value(
    client: TestClient[Any],
    solapi: FakeApi,
    clock: MovableClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    email = f"{_unique('canary')}@example.org"
    password, pin = _unique("Pw-canary-"), "570293"
    parent_name, family_name, child_name = _unique("엄마"), _unique("집"), _unique("아이")
    device, reason = _unique("device-"), _unique("reason-")
    planted = [email, password, pin, parent_name, family_name, child_name, device, reason]

    def ok(response: Any, status: int) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    register = {
        "email": email,
        "password": password,
        "display_name": parent_name,
        "family_name": family_name,
        "client_id": f"dev-{uuid.uuid4().hex}",
        "device_name": device,
    }
    tokens = ok(client.post("/api/users/register", json=register), 201)
    ok(client.post("/api/users/register", json=register), 409)  # the e-mail is taken
    parent = {"Authorization": f"Bearer {tokens['access_token']}"}
    login = {"email": email, "password": password, "client_id": f"dev-{uuid.uuid4().hex}"}
    tokens = ok(client.post("/api/users/login", json=login), 200)
    ok(client.post("/api/users/login", json={**login, "password": password + "x"}), 401)
    ok(client.post("/api/users/login", json={**login, "email": "x" + email}), 401)
    child = {"display_name": child_name, "birth_year": 2015, "pin": pin}
    child_id = ok(client.post("/api/users/children", json=child, headers=parent), 201)["child_id"]
    link = {"kind": "child_device", "child_id": child_id}
    code = ok(client.post("/api/users/family/link", json=link, headers=parent), 201)["code"]
    kid_device = f"dev-{uuid.uuid4().hex}"
    kid = ok(client.post("/api/users/family/join", json={"code": code, "client_id": kid_device}), 200)
    ok(client.post("/api/users/family/join", json={"code": code, "client_id": kid_device}), 404)  # spent
    pin_login = {"client_id": kid_device, "child_id": child_id, "pin": pin}
    kid = ok(client.post("/api/users/login/pin", json=pin_login), 200)
    ok(client.post("/api/users/login/pin", json={**pin_login, "pin": "480263"}), 401)
    step_up = ok(client.post("/api/auth/step-up", json={"password": password}, headers=parent), 200)
    # a phone number for SMS: refused by the provider, then sent a code; a wrong code, then the right one
    elevated = {"Authorization": f"Bearer {step_up['access_token']}"}
    phone, refused_phone = f"010{secrets.randbelow(10**8):08d}", f"0100000{secrets.randbelow(10**4):04d}"
    ok(client.put("/api/notifications/phone", json={"phone": refused_phone}, headers=elevated), 502)
    ok(client.put("/api/notifications/phone", json={"phone": phone}, headers=elevated), 200)
    found = re.search(r"\d{6}", solapi.seen[-1].body["message"]["text"])
    assert found is not None
    sms_code = found.group()
    wrong_code = f"{(int(sms_code) + 1) % 10**6:06d}"
    ok(client.post("/api/notifications/phone/verify", json={"code": wrong_code}, headers=parent), 422)
    ok(client.post("/api/notifications/phone/verify", json={"code": sms_code}, headers=parent), 200)
    planted += [phone, phone[3:], refused_phone, sms_code, wrong_code]
    ok(client.post("/api/family/grants", json={"child_id": child_id, "amount": 500, "reason": reason},
                   headers=parent), 201)  # fmt: skip
    # a mission: set (step-up), listed by the child; the journal sentence below completes it
    missions = f"/api/family/children/{child_id}/missions"
    mission = {"kind": "journals", "target": 1, "reward": 1_000}
    ok(client.post(missions, json=mission, headers=elevated), 201)
    ok(client.get(missions, headers={"Authorization": f"Bearer {kid['access_token']}"}), 200)
    push = {
        "client_id": kid_device,
        "protocol": 1,
        "mutations": [
            {
                "mutation_id": str(uuid.uuid4()),
                "seq": 1,
                "name": "allowance.request/v1",
                "args": {"request_id": str(uuid.uuid4()), "amount_game": 12_345, "note": reason},
                "base_cursor": 0,
                "created_at": "2026-01-01T00:00:00Z",
            }
        ],
    }
    client.post("/api/sync/push", json=push, headers={"Authorization": f"Bearer {kid['access_token']}"})
    # a child's sentence on a trade (the trade journal), once well formed and once too long to take
    journal = _unique("일기-")
    planted.append(journal)
    orders = [
        {
            "trade_id": str(uuid.uuid4()),
            "side": "buy",
            "symbol": "005930.KS",
            "amount": 10_000,
            "journal": text,
        }
        for text in (journal, journal * 20)
    ]
    journal_push = {
        "client_id": kid_device,
        "protocol": 1,
        "mutations": [
            {"id": str(uuid.uuid4()), "seq": seq, "name": "trade.place/v1", "args": args}
            for seq, args in enumerate(orders, start=1)
        ],
    }
    answer = client.post(
        "/api/sync/push", json=journal_push, headers={"Authorization": f"Bearer {kid['access_token']}"}
    )
    # taken, then refused (too long); taken may be "adjusted" when the market is open at the wall
    # clock's time and the order cites no quote: the fill is not this test's subject, the log is
    taken, refused = (r["status"] for r in ok(answer, 200)["results"])
    assert (taken in ("applied", "adjusted"), refused) == (True, "rejected")
    old_refresh = tokens["refresh_token"]
    ok(client.post("/api/auth/refresh", json={"refresh_token": old_refresh}), 200)
    clock.advance(minutes=1)  # past the grace for a lost answer
    ok(client.post("/api/auth/refresh", json={"refresh_token": old_refresh}), 401)  # reuse ends the chain
    ok(client.post("/api/auth/logout", json={"refresh_token": kid["refresh_token"]}), 204)

    family_id = _unique("fam-canary-")
    planted.append(family_id)

    def database_error(db: Any, *_: Any) -> Any:
        """An unexpected database failure whose statement carries the planted values and whose driver
        message quotes one (PostgreSQL: ``DETAIL: Key (id)=(…) already exists``)."""
        row = {"id": family_id, "name": password, "created_at": clock()}
        insert = text("INSERT INTO families (id, name, created_at) VALUES (:id, :name, :created_at)")
        for _ in range(2):
            with db.write() as session:
                session.execute(insert, row)

    monkeypatch.setattr("server.family.services.overview", database_error)
    ok(client.get("/api/family", headers={"Authorization": f"Bearer {step_up['access_token']}"}), 500)

    planted += [code, old_refresh, kid["refresh_token"], kid["access_token"], step_up["access_token"]]
    lines = [logging.Formatter("%(name)s %(message)s").format(record) for record in caplog.records]
    assert any("/api/users/register" in line for line in lines)  # the requests were logged …
    assert any("unhandled error" in line and "Traceback" in line for line in lines)  # … and the 500
    found = leaks(lines, planted)
    assert not found, "\n".join(found)

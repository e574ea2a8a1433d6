"""SMS to parents (issue 18): the Solapi adapter against a local HTTP server shaped like its API
(``POST /messages/v4/send``, HMAC-SHA256 authorization), a parent's number proved by a code, SMS
chosen per event, never for a child, and the number sealed at rest."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.db.models import Notification, User
from server.notify.alerts import security_alert
from server.notify.sms import SmsError, SmsText, SolapiSms
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Member, step_up
from tests.server.channel_support import FakeApi, Seen
from tests.server.test_notifications import Home
from tests.server.test_push import _home

API_KEY = "NCSYONGDONTESTKEY"
API_SECRET = "YONGDONTESTSECRETYONGDONTESTSECR"
SENDER = "02-1234-5678"
MOM_PHONE, DAD_PHONE = "010-2345-6789", "010-9876-5432"


class Solapi:
    """Solapi's ``POST /messages/v4/send``: checks the HMAC signature of ``date + salt`` under the
    API secret; answers the accepted message, or ``{"errorCode", "errorMessage"}``. A number
    starting ``0100000`` is refused as the provider refuses a number it cannot deliver to."""

    def __call__(self, seen: Seen) -> tuple[int, Any]:
        fields = dict(
            part.split("=", 1)
            for part in seen.headers.get("Authorization", "").removeprefix("HMAC-SHA256 ").split(", ")
            if "=" in part
        )
        expected = hmac.new(
            API_SECRET.encode(), (fields.get("date", "") + fields.get("salt", "")).encode(), hashlib.sha256
        ).hexdigest()
        if fields.get("apiKey") != API_KEY or fields.get("signature") != expected:
            return 403, {"errorCode": "SignatureDoesNotMatch", "errorMessage": "signature mismatch"}
        if seen.path != "/messages/v4/send":
            return 404, {"errorCode": "NotFound", "errorMessage": "no such resource"}
        message = seen.body["message"]
        if message["from"] != "0212345678":
            return 400, {"errorCode": "ValidationError", "errorMessage": "unregistered sender number"}
        if message["to"].startswith("0100000"):
            return 400, {"errorCode": "ValidationError", "errorMessage": "invalid recipient"}
        return 200, {
            "groupId": "G4V20261206000000ABCDEFGHIJKLMNO",
            "messageId": f"M4V{len(seen.body['message']['text']):029d}",
            "statusCode": "2000",
            "statusMessage": "정상 접수(이통사로 접수 예정) ",
            "type": "SMS",
            "country": "82",
            "to": message["to"],
            "from": message["from"],
        }


@pytest.fixture
def solapi() -> Iterator[FakeApi]:
    api = FakeApi(Solapi())
    yield api
    api.close()


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str, solapi: FakeApi) -> Settings:
    return make_settings(
        database_url=database_url,
        notify_dispatcher=False,
        sms_provider="solapi",
        solapi_url=solapi.url,
        solapi_api_key=API_KEY,
        solapi_api_secret=API_SECRET,
        sms_sender=SENDER,
    )


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
    return _home(client, app)


def _texts(api: FakeApi, to: str) -> list[str]:
    return [s.body["message"]["text"] for s in api.seen if s.body["message"]["to"] == to]


def _code(api: FakeApi, phone: str) -> str:
    found = re.search(r"\d{6}", _texts(api, re.sub(r"\D", "", phone))[-1])
    assert found is not None
    return found.group()


def _answer(response: Any, status: int) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else None


def _add(home: Home, parent: Member, phone: str, status: int = 200) -> Any:
    headers = step_up(home.client, parent)
    return _answer(
        home.client.put("/api/notifications/phone", json={"phone": phone}, headers=headers), status
    )


def _verify(home: Home, parent: Member, code: str, status: int = 200) -> Any:
    body = {"code": code}
    return _answer(
        home.client.post("/api/notifications/phone/verify", json=body, headers=parent.headers), status
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _prefs(home: Home, member: Member) -> dict[str, Any]:
    return dict(_answer(home.client.get("/api/notifications/preferences", headers=member.headers), 200))


# -- the adapter against the provider's shape ------------------------------------------------------------
def test_solapi_sends_a_signed_message_and_answers_its_id(solapi: FakeApi) -> None:
    adapter = SolapiSms(solapi.url, API_KEY, API_SECRET, SENDER)
    message_id = adapter.send(SmsText("01023456789", "[용돈] 안녕하세요"))
    assert message_id.startswith("M4V")
    (seen,) = solapi.seen
    assert seen.path == "/messages/v4/send"
    assert seen.body == {"message": {"to": "01023456789", "from": "0212345678", "text": "[용돈] 안녕하세요"}}
    assert seen.headers["Authorization"].startswith(f"HMAC-SHA256 apiKey={API_KEY}, date=")


def test_solapi_refusals_are_sms_errors_that_name_no_number(solapi: FakeApi) -> None:
    with pytest.raises(SmsError) as refused:
        SolapiSms(solapi.url, API_KEY, API_SECRET, SENDER).send(SmsText("01000001234", "hi"))
    assert str(refused.value) == "solapi answered 400 ValidationError"
    with pytest.raises(SmsError, match="403 SignatureDoesNotMatch"):
        SolapiSms(solapi.url, API_KEY, "another-secret", SENDER).send(SmsText("01023456789", "hi"))
    solapi.close()
    with pytest.raises(SmsError, match="unreachable"):
        SolapiSms(solapi.url, API_KEY, API_SECRET, SENDER).send(SmsText("01023456789", "hi"))


# -- a parent's number, proved by a code -----------------------------------------------------------------
def test_a_parent_adds_a_number_and_proves_it_with_the_code_sent_to_it(home: Home, solapi: FakeApi) -> None:
    add = {"phone": MOM_PHONE}
    refused = home.client.put("/api/notifications/phone", json=add, headers=home.mom.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "STEP_UP_REQUIRED")
    assert solapi.seen == []
    assert _add(home, home.mom, MOM_PHONE) == {"number": "010-****-6789", "verified": False}
    (text,) = _texts(solapi, "01023456789")
    assert text.startswith("[용돈] 인증번호 ") and "10분" in text
    code = _code(solapi, MOM_PHONE)
    wrong = _verify(home, home.mom, _wrong(code), 422)
    assert (wrong["code"], wrong["tries_left"]) == ("PHONE_CODE_WRONG", 4)
    assert _prefs(home, home.mom)["phone"] == {"number": "010-****-6789", "verified": False}
    assert _verify(home, home.mom, code) == {"number": "010-****-6789", "verified": True}
    prefs = _prefs(home, home.mom)
    assert prefs["phone"] == {"number": "010-****-6789", "verified": True}
    assert prefs["channels"]["sms"] is True
    assert all(choice["sms"] is False for choice in prefs["events"].values())  # SMS is opt-in per event
    assert _verify(home, home.mom, code, 409)["code"] == "PHONE_CODE_EXPIRED"  # a code works once


def test_a_code_expires_after_ten_minutes(home: Home, solapi: FakeApi, clock: MovableClock) -> None:
    _add(home, home.mom, MOM_PHONE)
    code = _code(solapi, MOM_PHONE)
    clock.advance(minutes=10)
    assert _verify(home, home.mom, code, 409)["code"] == "PHONE_CODE_EXPIRED"
    assert _prefs(home, home.mom)["phone"]["verified"] is False
    clock.advance(minutes=1)
    _add(home, home.mom, MOM_PHONE)  # a new code, and this one works
    assert _verify(home, home.mom, _code(solapi, MOM_PHONE))["verified"] is True


def test_five_wrong_codes_spend_the_code(home: Home, solapi: FakeApi) -> None:
    _add(home, home.mom, MOM_PHONE)
    code = _code(solapi, MOM_PHONE)
    left = [_verify(home, home.mom, _wrong(code), 422)["tries_left"] for _ in range(4)]
    assert left == [4, 3, 2, 1]
    assert _verify(home, home.mom, _wrong(code), 409)["code"] == "PHONE_CODE_EXPIRED"
    assert _verify(home, home.mom, code, 409)["code"] == "PHONE_CODE_EXPIRED"  # the right one too, now
    assert _prefs(home, home.mom)["phone"]["verified"] is False


def test_a_new_code_waits_a_minute_and_a_refused_one_does_not(
    home: Home, solapi: FakeApi, clock: MovableClock
) -> None:
    _add(home, home.mom, MOM_PHONE)
    again = _add(home, home.mom, MOM_PHONE, 429)
    assert again["code"] == "RATE_LIMITED" and 0 < again["retry_after"] <= 60
    clock.advance(seconds=61)
    _add(home, home.mom, MOM_PHONE)
    assert len(_texts(solapi, "01023456789")) == 2
    # the provider refuses a number: nothing arrived, so trying another one at once is fine
    assert _add(home, home.dad, "010-0000-1234", 502)["code"] == "PROVIDER_FAILED"
    assert _add(home, home.dad, DAD_PHONE)["verified"] is False


def test_bad_numbers_and_codes_are_refused(home: Home) -> None:
    assert _add(home, home.mom, "02-1234-5678", 422)["code"] == "INVALID_ARGS"  # a landline
    assert _add(home, home.mom, "not a phone", 422)["code"] == "INVALID_ARGS"
    bad = home.client.post(
        "/api/notifications/phone/verify", json={"code": "12345"}, headers=home.mom.headers
    )
    assert bad.status_code == 422


def test_a_removed_number_gets_no_sms(home: Home, solapi: FakeApi) -> None:
    _add(home, home.mom, MOM_PHONE)
    _verify(home, home.mom, _code(solapi, MOM_PHONE))
    sms_on = {"events": {"SecurityAlert": {"sms": True}}}
    _answer(home.client.put("/api/notifications/preferences", json=sms_on, headers=home.mom.headers), 200)
    no_step_up = home.client.delete("/api/notifications/phone", headers=home.mom.headers)
    assert no_step_up.json()["code"] == "STEP_UP_REQUIRED"
    headers = step_up(home.client, home.mom)
    _answer(home.client.delete("/api/notifications/phone", headers=headers), 204)
    assert "phone" not in _prefs(home, home.mom)
    # both parents heard that the number was confirmed, then removed (masked, never whole)
    home.dispatch()
    dad_heard = [n["body"] for n in home.inbox(home.dad)["notifications"] if n["event"] == "SecurityAlert"]
    assert sorted(dad_heard) == [
        "엄마: 문자 알림 번호 010-****-6789를 지웠습니다. 이제 문자는 가지 않습니다.",
        "엄마: 문자 알림을 받을 번호 010-****-6789를 확인했습니다. "
        "본인이 아니라면 번호를 지우고 비밀번호를 바꾸세요.",
    ]
    sent = len(solapi.seen)
    _alert(home, home.mom)
    home.dispatch(channels=home.app.state.channels.all())
    assert len(solapi.seen) == sent


# -- delivery by SMS -------------------------------------------------------------------------------------
def _alert(home: Home, about: Member) -> None:
    db = home.app.state.db
    with db.write(home.ours.family_id) as session:
        user = session.get(User, about.user_id)
        assert user is not None
        security_alert(session, user, "refresh_reuse", home.app.state.clock(), device="mom's laptop")


def test_a_security_alert_reaches_a_verified_parent_who_chose_sms(home: Home, solapi: FakeApi) -> None:
    for parent, phone in ((home.mom, MOM_PHONE), (home.dad, DAD_PHONE)):
        _add(home, parent, phone)
        _verify(home, parent, _code(solapi, phone))
    home.dispatch(channels=home.app.state.channels.all())  # the numbers' confirmations, before SMS is on
    sms_on = {"events": {"SecurityAlert": {"sms": True}}}
    _answer(home.client.put("/api/notifications/preferences", json=sms_on, headers=home.mom.headers), 200)
    assert _prefs(home, home.mom)["events"]["SecurityAlert"]["sms"] is True
    codes = len(solapi.seen)
    _alert(home, home.mom)
    home.dispatch(channels=home.app.state.channels.all())
    sent = solapi.seen[codes:]
    assert [s.body["message"]["to"] for s in sent] == ["01023456789"]  # not 아빠: he did not choose SMS
    with home.app.state.db.read() as session:
        alerts = session.execute(
            sa.select(Notification.title, Notification.body).where(
                Notification.user_id == home.mom.user_id, Notification.event == "SecurityAlert"
            )
        ).all()
    # the two numbers' confirmations came before (every parent hears each), then this alert
    (title, body), *_ = [(t, b) for t, b in alerts if "이미 사용된 로그인 토큰" in b]
    assert sent[0].body["message"]["text"] == f"[용돈] {title}\n{body}"


def test_sms_retries_when_the_provider_fails(home: Home, solapi: FakeApi) -> None:
    _add(home, home.mom, MOM_PHONE)
    _verify(home, home.mom, _code(solapi, MOM_PHONE))
    home.dispatch(channels=home.app.state.channels.all())  # the number's confirmation, before SMS is on
    sms_on = {"events": {"SecurityAlert": {"sms": True}}}
    _answer(home.client.put("/api/notifications/preferences", json=sms_on, headers=home.mom.headers), 200)
    solapi.respond = lambda seen: (500, {"errorCode": "InternalError", "errorMessage": "try later"})
    _alert(home, home.mom)
    report = home.dispatch(channels=home.app.state.channels.all())
    assert report.failed == 1  # kept for a retry with backoff, like e-mail and push


# -- never for a child -----------------------------------------------------------------------------------
def test_a_child_has_no_phone_and_no_sms(home: Home, solapi: FakeApi) -> None:
    jiwoo = home.kid("지우")
    refused = home.client.put("/api/notifications/phone", json={"phone": MOM_PHONE}, headers=jiwoo.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    verify = {"code": "123456"}
    refused = home.client.post("/api/notifications/phone/verify", json=verify, headers=jiwoo.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    sms_on = {"events": {"AllowanceApproved": {"sms": True}}}
    refused = home.client.put("/api/notifications/preferences", json=sms_on, headers=jiwoo.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    prefs = _prefs(home, jiwoo)
    assert prefs["channels"]["sms"] is False and "phone" not in prefs
    assert solapi.seen == []


# -- at rest ---------------------------------------------------------------------------------------------
def test_the_number_is_sealed_at_rest(home: Home, solapi: FakeApi) -> None:
    _add(home, home.mom, MOM_PHONE)
    code = _code(solapi, MOM_PHONE)
    _verify(home, home.mom, code)
    engine = sa.create_engine(str(home.app.state.settings.database_url))  # no data keys: what a thief reads
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT number, code_hash FROM phone_numbers")).one()
            dump = "\n".join(
                str(value)
                for table in ("phone_numbers", "notification_prefs", "users", "outbox", "changelog")
                for row in connection.execute(sa.text(f"SELECT * FROM {table}"))  # noqa: S608
                for value in row
            )
    finally:
        engine.dispose()
    assert stored.number.startswith("\x01s1:") and stored.code_hash is None
    for plain in ("01023456789", "2345-6789", "23456789"):
        assert plain not in dump

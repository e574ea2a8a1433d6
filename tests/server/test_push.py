"""Push (issue 5): the ntfy and FCM adapters against local HTTP servers shaped like their APIs
(ntfy's JSON publish; FCM HTTP v1 ``messages:send``), through the dispatcher and the test route."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.accounts.setup import new_setup_token
from server.app import create_app
from server.db.models import Outbox, PushTarget
from server.notify.push import FcmPush, NtfyPush, PushError, PushNote
from server.settings import Settings
from tests.helpers import PASSWORD, Family
from tests.server.channel_support import FakeApi, Seen, free_port
from tests.server.test_notifications import Home, _join_second_parent
from tests.support.market import ScriptedMarket

NTFY_TOKEN = "tk_yongdon_ntfy_test_token_0001"
FCM_TOKEN = "ya29.yongdon-test-access-token"


class Ntfy:
    """ntfy's JSON publishing: ``POST /`` with the topic in the body; 200 with the stored message."""

    def __init__(self) -> None:
        self.down = False

    def __call__(self, seen: Seen) -> tuple[int, Any]:
        if seen.headers.get("Authorization") != f"Bearer {NTFY_TOKEN}":
            return 403, {"code": 40301, "http": 403, "error": "forbidden"}
        if self.down:
            return 507, {"code": 50701, "http": 507, "error": "insufficient storage"}
        body = seen.body
        return 200, {"id": "hwQ2YpKdmg", "time": 1764000000, "event": "message", **body}


class Fcm:
    """FCM HTTP v1: ``POST /v1/projects/<p>/messages:send``; an unknown token is 404 UNREGISTERED."""

    def __call__(self, seen: Seen) -> tuple[int, Any]:
        if seen.headers.get("Authorization") != f"Bearer {FCM_TOKEN}":
            return 401, {
                "error": {"code": 401, "message": "invalid credentials", "status": "UNAUTHENTICATED"}
            }
        if seen.path != "/v1/projects/yongdon-test/messages:send":
            return 404, {"error": {"code": 404, "message": "no such project", "status": "NOT_FOUND"}}
        token = seen.body["message"]["token"]
        if token.startswith("gone"):
            return 404, {
                "error": {
                    "code": 404,
                    "message": "Requested entity was not found.",
                    "status": "NOT_FOUND",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                            "errorCode": "UNREGISTERED",
                        }
                    ],
                }
            }
        if token.startswith("busy"):
            return 503, {"error": {"code": 503, "message": "try later", "status": "UNAVAILABLE"}}
        return 200, {"name": f"projects/yongdon-test/messages/{len(token)}"}


@pytest.fixture
def ntfy() -> Iterator[tuple[Ntfy, FakeApi]]:
    behaviour = Ntfy()
    api = FakeApi(behaviour)
    yield behaviour, api
    api.close()


@pytest.fixture
def fcm() -> Iterator[FakeApi]:
    api = FakeApi(Fcm())
    yield api
    api.close()


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], database_url: str, ntfy: tuple[Ntfy, FakeApi]
) -> Settings:
    return make_settings(
        database_url=database_url,
        notify_dispatcher=False,
        push_provider="ntfy",
        ntfy_url=ntfy[1].url,
        ntfy_token=NTFY_TOKEN,
    )


def _home(client: TestClient[Litestar], app: Litestar) -> Home:
    ours = Family.create(client, ("지우", "하늘"))
    home = Home(
        client,
        app,
        ours,
        Family.create(client, ("민수",)),
        _join_second_parent(client, ours),
        ScriptedMarket(app.state.clock).attach(app),
    )
    with app.state.db.write() as session:
        session.execute(sa.delete(Outbox))
    return home


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
    return _home(client, app)


def _topic(home: Home, member: Any) -> str:
    prefs = home.client.get("/api/notifications/preferences", headers=member.headers)
    assert prefs.status_code == 200, prefs.text
    return str(prefs.json()["ntfy"]["topic"])


def test_ntfy_pushes_each_recipient_on_its_own_topic_in_its_own_words(
    home: Home, ntfy: tuple[Ntfy, FakeApi]
) -> None:
    jiwoo = home.kid("지우")
    home.emit(jiwoo, "AllowanceApproved", {"request_id": "r-1", "amount_real": 5_000}, home.mom)
    home.dispatch(channels=home.app.state.channels.all())
    by_topic = {s.body["topic"]: s.body for s in ntfy[1].seen}
    assert set(by_topic) == {_topic(home, jiwoo), _topic(home, home.dad)}  # not 엄마 (she approved)
    assert by_topic[_topic(home, jiwoo)]["title"] == "용돈 요청이 승인됐어요!"  # the child's words
    assert by_topic[_topic(home, home.dad)]["title"] == "요청이 승인되었습니다"
    topics = {_topic(home, m) for m in home.everyone().values()}
    assert len(topics) == 6 and all(t.startswith("yongdon-") and len(t) == 40 for t in topics)


def test_a_failing_ntfy_server_is_retried_and_turning_push_off_is_respected(
    home: Home, ntfy: tuple[Ntfy, FakeApi]
) -> None:
    behaviour, api = ntfy
    off = {"events": {"AllowanceApproved": {"push": False}}}
    assert (
        home.client.put("/api/notifications/preferences", json=off, headers=home.dad.headers).status_code
        == 200
    )
    behaviour.down = True
    home.emit(home.kid("지우"), "AllowanceApproved", {"request_id": "r-1", "amount_real": 5_000}, home.mom)
    first = home.dispatch(channels=home.app.state.channels.all())
    assert first.failed == 1 and first.finished == 0  # the child's push waits; the dad turned it off
    behaviour.down = False
    home.app.state.clock.advance(minutes=1)
    second = home.dispatch(channels=home.app.state.channels.all())
    assert second.delivered == 1 and second.finished == 1
    assert {s.body["topic"] for s in api.seen} == {_topic(home, home.kid("지우"))}


def test_the_test_push_route(home: Home, ntfy: tuple[Ntfy, FakeApi]) -> None:
    client, jiwoo = home.client, home.kid("지우")
    sent = client.post("/api/notifications/push", json={"user_id": jiwoo.user_id}, headers=home.mom.headers)
    assert sent.status_code == 200 and sent.json()["provider"] == "ntfy"
    (call,) = ntfy[1].seen
    assert call.body["topic"] == _topic(home, jiwoo) and call.body["title"] == "안녕!"
    assert client.post("/api/notifications/push", json={}, headers=jiwoo.headers).status_code == 403
    announcement = {"user_id": jiwoo.user_id, "message": "저녁 먹자!"}
    assert (
        client.post("/api/notifications/push", json=announcement, headers=home.mom.headers).status_code == 200
    )
    assert (ntfy[1].seen[-1].body["title"], ntfy[1].seen[-1].body["message"]) == ("엄마", "저녁 먹자!")
    other = {"user_id": home.theirs.child("민수").user_id}
    assert client.post("/api/notifications/push", json=other, headers=home.mom.headers).status_code == 404


def test_the_operator_reaches_itself_alone(home: Home, ntfy: tuple[Ntfy, FakeApi]) -> None:
    """The operator may send itself a test push; a family's member does not exist for it (404)."""
    client = home.client
    operator = _operator(home)
    itself = client.post("/api/notifications/push", json={}, headers=operator.headers)
    assert itself.status_code == 200 and itself.json()["user_id"] == operator.user_id, itself.text
    for member in (home.kid("지우"), home.mom):
        named = client.post(
            "/api/notifications/push", json={"user_id": member.user_id}, headers=operator.headers
        )
        assert (named.status_code, named.json()["code"]) == (404, "NOT_FOUND")
    assert len(ntfy[1].seen) == 1  # only the operator's own


@dataclass(frozen=True)
class _Operator:
    user_id: str
    headers: dict[str, str]


def _operator(home: Home) -> _Operator:
    token = new_setup_token(home.app.state.db)
    body = {"email": "ops@example.org", "password": PASSWORD, "display_name": "운영자", "token": token}
    made = home.client.post("/api/admin/setup", json=body)
    assert made.status_code == 201, made.text
    answer = made.json()
    return _Operator(answer["user_id"], {"Authorization": f"Bearer {answer['access_token']}"})


@pytest.fixture
def fcm_home(make_settings: Callable[..., Settings], database_url: str, fcm: FakeApi) -> Iterator[Home]:
    """The family on a server that pushes through FCM (the local fake)."""
    settings = make_settings(
        database_url=database_url,
        notify_dispatcher=False,
        push_provider="fcm",
        fcm_url=fcm.url,
        fcm_project_id="yongdon-test",
        fcm_access_token=FCM_TOKEN,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield _home(client, app)


def test_fcm_sends_to_each_registered_device_and_forgets_uninstalled_ones(
    fcm_home: Home, fcm: FakeApi
) -> None:
    home, client, app = fcm_home, fcm_home.client, fcm_home.app
    jiwoo = home.kid("지우")
    for member, token in ((jiwoo, "fcm-jiwoo-phone"), (home.dad, "gone-dads-old-phone")):
        body = {"token": token}  # each device registers its own (test_push_tokens.py)
        assert (
            client.put("/api/notifications/push-token", json=body, headers=member.headers).status_code == 200
        )
    home.emit(jiwoo, "AllowanceApproved", {"request_id": "r-1", "amount_real": 5_000}, home.mom)
    report = home.dispatch(channels=app.state.channels.all())
    assert report.finished == 1 and report.failed == 0
    sent = {s.body["message"]["token"]: s.body["message"] for s in fcm.seen}
    assert set(sent) == {"fcm-jiwoo-phone", "gone-dads-old-phone"}
    assert sent["fcm-jiwoo-phone"]["notification"]["title"] == "용돈 요청이 승인됐어요!"
    assert sent["fcm-jiwoo-phone"]["data"]["request_id"] == "r-1"
    assert all(isinstance(v, str) for v in sent["fcm-jiwoo-phone"]["data"].values())
    with app.state.db.read() as session:
        assert list(session.scalars(sa.select(PushTarget.token))) == ["fcm-jiwoo-phone"]
    # 엄마 has no device registered: she gets no push delivery at all, and the test route says so
    answer = client.post("/api/notifications/push", json={}, headers=home.mom.headers)
    assert answer.status_code == 409 and answer.json()["code"] == "CONFLICT"


def test_adapters_report_refusals(fcm: FakeApi, ntfy: tuple[Ntfy, FakeApi]) -> None:
    note = PushNote("t", "b", {"k": "v"})
    busy = FcmPush(fcm.url, "yongdon-test", FCM_TOKEN)
    with pytest.raises(PushError) as raised:
        busy.send("busy-token", note)
    assert not raised.value.gone
    with pytest.raises(PushError) as raised:
        busy.send("gone-token", note)
    assert raised.value.gone
    with pytest.raises(PushError, match="403"):
        NtfyPush(ntfy[1].url, b"k" * 32, token="wrong").send("topic", note)
    with pytest.raises(PushError, match="unreachable"):
        NtfyPush(f"http://127.0.0.1:{free_port()}", b"k" * 32).send("topic", note)
    assert NtfyPush(ntfy[1].url, b"k" * 32, token=NTFY_TOKEN).send("topic", note) == "hwQ2YpKdmg"


def test_push_settings_from_the_environment_and_their_mistakes() -> None:
    from server.settings import SettingsError

    secrets = {
        "YONGDON_JWT_SECRET": "j" + "Q7x!p2Lm9#vR4t" * 4,
        "YONGDON_PIN_PEPPER": "p" + "Zk8@w3Nd6$hY1c" * 4,
    }
    env = {**secrets, "YONGDON_PUSH_PROVIDER": "ntfy", "YONGDON_NTFY_URL": "https://push.home.lan"}
    settings = Settings.from_env(env)
    assert settings.push_provider == "ntfy" and settings.ntfy_url == "https://push.home.lan"
    with pytest.raises(SettingsError, match="ntfy or fcm"):
        Settings.from_env({**secrets, "YONGDON_PUSH_PROVIDER": "pigeon"})
    with pytest.raises(SettingsError, match="FCM_PROJECT_ID"):
        Settings.from_env({**secrets, "YONGDON_PUSH_PROVIDER": "fcm"})
    with pytest.raises(SettingsError, match="SMTP_TLS"):
        Settings.from_env({**secrets, "YONGDON_SMTP_HOST": "mail.home.lan", "YONGDON_SMTP_TLS": "maybe"})
    smtp = Settings.from_env(
        {
            **secrets,
            "YONGDON_SMTP_HOST": "mail.home.lan",
            "YONGDON_SMTP_PORT": "465",
            "YONGDON_SMTP_TLS": "tls",
        }
    )
    assert (smtp.smtp_host, smtp.smtp_port, smtp.smtp_tls) == ("mail.home.lan", 465, "tls")

"""SecurityAlert and DeviceEnrolled (issue 5): written with the thing they report, delivered to every
parent of the family (the one concerned too), never to a child or another family; e-mailed by default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.db.models import Notification, Outbox
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, Member, create_child, enroll_device
from tests.server.channel_support import Mailbox, text_of
from tests.server.test_notifications import Home, _join_second_parent
from tests.support.market import ScriptedMarket


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings()


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
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


def _dispatch(home: Home) -> None:
    home.dispatch(channels=home.app.state.channels.all())


def _heard(home: Home) -> dict[str, list[tuple[str, str]]]:
    """Everyone's inbox as (event, body), read from the database (a revoked session cannot ask)."""
    with home.app.state.db.read() as session:
        rows = session.execute(sa.select(Notification.user_id, Notification.event, Notification.body)).all()
    return {
        name: sorted((event, body) for user_id, event, body in rows if user_id == member.user_id)
        for name, member in home.everyone().items()
    }


def _only_parents(heard: dict[str, list[tuple[str, str]]], event: str) -> list[str]:
    assert all(not heard[name] for name in ("지우", "하늘", "other_parent", "민수")), heard
    assert [e for e, _ in heard["mom"]] == [event] and [e for e, _ in heard["dad"]] == [event]
    return [heard["mom"][0][1], heard["dad"][0][1]]


def test_refresh_token_reuse_alerts_every_parent(home: Home, clock: MovableClock) -> None:
    client, jiwoo = home.client, home.kid("지우")
    first = client.post("/api/auth/refresh", json={"refresh_token": jiwoo.refresh})
    assert first.status_code == 200
    clock.advance(seconds=11)
    assert client.post("/api/auth/refresh", json={"refresh_token": jiwoo.refresh}).status_code == 401
    _dispatch(home)
    mom, _ = _only_parents(_heard(home), "SecurityAlert")
    assert mom.startswith("지우: 이미 사용된 로그인 토큰이 다시 쓰여")


def test_pin_lockout_alerts_the_parents_once(home: Home) -> None:
    jiwoo = home.kid("지우")
    wrong = "".join(str((int(d) + 1) % 10) for d in str(jiwoo.pin))
    for _ in range(12):
        home.client.post(
            "/api/users/login/pin",
            json={"client_id": jiwoo.client_id, "child_id": jiwoo.user_id, "pin": wrong},
        )
    _dispatch(home)
    mom, _ = _only_parents(_heard(home), "SecurityAlert")
    assert mom == "지우: PIN이 10번 틀려 잠겼습니다. 부모 모드에서 PIN을 다시 설정해 주세요."


def test_a_parent_signing_in_on_a_new_device_is_told_and_mailed(
    home: Home, smtp: tuple[Mailbox, int, Path]
) -> None:
    home.set_locale(home.dad, "en")
    client = home.client
    login = {
        "email": home.mom.email,
        "password": PASSWORD,
        "client_id": "a-new-laptop",
        "device_name": "laptop",
    }
    assert client.post("/api/users/login", json=login).status_code == 200
    assert client.post("/api/users/login", json=login).status_code == 200  # the same device again: no alert
    _dispatch(home)
    mom, dad = _only_parents(_heard(home), "SecurityAlert")
    assert "새 기기 'laptop'에서 로그인했습니다" in mom
    assert dad == "엄마: signed in on a new device 'laptop'. If it was not you, revoke the device."
    mailbox = smtp[0]
    assert len(mailbox.messages) == 2  # security is e-mailed by default
    english = next(m for _, m, _ in mailbox.messages if m["Subject"].startswith("[Yongdon]"))
    assert english["Subject"] == "[Yongdon] Security alert" and "revoke the device" in text_of(english)


def test_enrolling_a_childs_device_tells_the_parents(home: Home) -> None:
    client = home.client
    child_id, _ = create_child(client, home.mom, "바다")
    enrolled: Member = enroll_device(client, home.mom, child_id, name="바다")
    assert enrolled.user_id == child_id
    _dispatch(home)
    mom, _ = _only_parents(_heard(home), "DeviceEnrolled")
    assert mom == "바다의 기기 'tablet'가 가족에 등록되었습니다."


def test_alerts_stay_in_their_family(home: Home, clock: MovableClock) -> None:
    other = home.theirs.parent
    client = home.client
    assert client.post("/api/auth/refresh", json={"refresh_token": other.refresh}).status_code == 200
    clock.advance(seconds=11)
    client.post("/api/auth/refresh", json={"refresh_token": other.refresh})
    _dispatch(home)
    heard: dict[str, Any] = _heard(home)
    assert all(not heard[name] for name in ("mom", "dad", "지우", "하늘", "민수"))
    assert [e for e, _ in heard["other_parent"]] == ["SecurityAlert"]


def test_an_erasure_asked_for_and_called_off_is_told_to_every_parent(home: Home, clock: MovableClock) -> None:
    """One parent cannot erase a child unseen by the other: both hear when it is asked for (and the
    day it runs) and when it is called off; no child hears it, and the alert names no child (it
    stays in the parents' inboxes after the child is erased)."""
    home.set_locale(home.dad, "en")
    sky = home.kid("하늘")
    url = f"/api/family/children/{sky.user_id}/erasure"
    elevated = home.ours.elevated(home.client)
    asked = home.client.post(url, json={"confirm": True}, headers=elevated)
    assert asked.status_code == 202, asked.text
    assert home.client.post(url, json={"confirm": True}, headers=elevated).status_code == 202  # asked again
    _dispatch(home)
    due = asked.json()["due_at"][:10]
    mom, dad = _only_parents(_heard(home), "SecurityAlert")
    assert mom.startswith(f"엄마: 아이 한 명의 기록 삭제를 요청했습니다({due}에 삭제). 원하지 않으면 그 전에")
    assert dad.startswith(f"엄마: asked to erase a child's records (on {due}).")
    assert "하늘" not in mom + dad and sky.user_id not in mom + dad

    clock.advance(minutes=1)
    assert home.client.delete(url, headers=elevated).status_code == 204
    _dispatch(home)
    heard = _heard(home)
    assert (
        "SecurityAlert",
        "엄마: called off the erasure of a child's records. Nothing will be erased.",
    ) in heard["dad"]
    assert len(heard["mom"]) == 2 and not any(
        heard[name] for name in ("지우", "하늘", "other_parent", "민수")
    )

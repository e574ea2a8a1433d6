"""Rate limits: per user (never per address for signed-in calls), per group, each with its own counter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, link_code

TRADE = "/api/game/trade/buy"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limited(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings], clock: MovableClock
) -> Iterator[TestClient[Litestar]]:
    """An app with rate limits on, counting in memory or in Redis (a fresh key prefix per test)."""
    extra: dict[str, Any] = {}
    if request.param == "redis":
        import uuid

        extra = {"redis_url": request.getfixturevalue("redis_url"), "redis_prefix": f"t{uuid.uuid4().hex}"}
    app = create_app(make_settings(rate_limits=True, **extra), clock=clock)
    with TestClient(app) as client:
        yield client
    app.state.db.dispose()


def _problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) >= 1
    body = response.json()
    assert body["code"] == "RATE_LIMITED"
    return body


def test_general_and_trading_counters_are_separate(limited: TestClient[Any], clock: MovableClock) -> None:
    family = Family.create(limited, ("지우", "하늘"))
    kid, sibling = family.child("지우"), family.child("하늘")
    # 100 general requests in this minute (the family was built in the same window: stay inside the budget)
    used = 0
    while (response := limited.get("/api/family", headers=kid.headers)).status_code == 200:
        used += 1
    _problem(response)
    assert used <= 100
    # the first trade is not blocked by the exhausted general counter
    trades = [limited.post(TRADE, json={}, headers=kid.headers).status_code for _ in range(11)]
    assert 429 not in trades[:10]
    _problem(limited.post(TRADE, json={}, headers=kid.headers))
    # per user, not per address: the sibling behind the same address is unaffected
    assert limited.get("/api/family", headers=sibling.headers).status_code == 200
    assert limited.post(TRADE, json={}, headers=sibling.headers).status_code != 429
    clock.advance(minutes=1)
    assert limited.get("/api/family", headers=kid.headers).status_code == 200
    assert limited.post(TRADE, json={}, headers=kid.headers).status_code != 429


def test_the_101st_request_in_a_minute_is_refused(limited: TestClient[Any], clock: MovableClock) -> None:
    family = Family.create(limited, ("지우",))
    kid = family.child("지우")
    clock.advance(minutes=1)  # a fresh window
    statuses = [limited.get("/api/family", headers=kid.headers).status_code for _ in range(101)]
    assert statuses[:100] == [200] * 100
    assert statuses[100] == 429


def test_password_login_is_limited_per_account(limited: TestClient[Any]) -> None:
    family = Family.create(limited, ("지우",))
    email = family.parent.email
    body = {"email": email, "password": "wrong password!", "client_id": "attacker-box"}
    statuses = [limited.post("/api/users/login", json=body).status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    _problem(limited.post("/api/users/login", json={**body, "password": PASSWORD}))


def test_pin_login_is_limited(limited: TestClient[Any]) -> None:
    kid = Family.create(limited, ("지우",)).child("지우")
    body = {"client_id": kid.client_id, "child_id": kid.user_id, "pin": "000000"}
    statuses = [limited.post("/api/users/login/pin", json=body).status_code for _ in range(5)]
    assert 429 not in statuses
    _problem(limited.post("/api/users/login/pin", json={**body, "pin": kid.pin}))


def test_guessing_codes_never_succeeds_and_is_throttled(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    family = Family.create(limited, ("지우",))
    real = link_code(limited, family.parent, "child_device", family.child("지우").user_id)
    clock.advance(hours=1)  # the family's own enrolment used a redemption: start a fresh hour
    statuses = []
    for guess in range(1000):
        body = {"code": f"{guess:04d}-0000-ZZZZ", "client_id": f"guesser-{guess:05d}", "device_name": "x"}
        statuses.append(limited.post("/api/users/family/join", json=body).status_code)
    assert statuses.count(200) == 0
    assert statuses[:5] == [404] * 5 and set(statuses[5:]) == {429}
    # even the real code is throttled for the rest of the hour, then works
    blocked = limited.post("/api/users/family/join", json={"code": real, "client_id": "kid-tablet-9"})
    _problem(blocked)
    clock.advance(hours=1)
    joined = limited.post("/api/users/family/join", json={"code": real, "client_id": "kid-tablet-9"})
    assert joined.status_code == 200


def test_login_guessing_backs_off(limited: TestClient[Any], clock: MovableClock) -> None:
    family = Family.create(limited, ("지우",))
    hour = clock.now.replace(minute=0, second=0, microsecond=0)
    clock.now = hour + timedelta(hours=1)  # fresh windows of every length
    body = {"email": family.parent.email, "password": "wrong password!", "client_id": "attacker-box"}

    def attempts(n: int) -> list[int]:
        return [limited.post("/api/users/login", json=body).status_code for _ in range(n)]

    assert attempts(5) == [401] * 5
    first_wait = int(_problem(limited.post("/api/users/login", json=body))["retry_after"])
    assert first_wait <= 60
    clock.advance(seconds=first_wait)
    assert attempts(4) == [401] * 4  # a new minute, but the ten-minute tier allows only 10 in all
    second_wait = int(_problem(limited.post("/api/users/login", json=body))["retry_after"])
    assert second_wait > 5 * 60  # the wait grew from a minute to the rest of ten minutes

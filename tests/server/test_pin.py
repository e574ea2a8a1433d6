"""Child PIN sign-in: enrolled devices only, lockout after 10 misses that survives a restart."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import Family, bearer, enroll_device, step_up

PIN_LOGIN = "/api/users/login/pin"


def _pin(client: TestClient[Any], kid: Any, pin: str, client_id: str | None = None) -> Any:
    body = {"client_id": client_id or kid.client_id, "child_id": kid.user_id, "pin": pin}
    return client.post(PIN_LOGIN, json=body)


def _wrong(pin: str) -> str:
    return "".join(str((int(d) + 1) % 10) for d in pin)


def test_pin_signs_in_on_the_enrolled_device(client: TestClient[Any]) -> None:
    kid = Family.create(client, ("지우",)).child("지우")
    response = _pin(client, kid, kid.pin)
    assert response.status_code == 200 and response.json()["role"] == "child"
    assert client.get("/api/family", headers=bearer(response.json()["access_token"])).status_code == 200


def test_pin_from_a_device_not_enrolled_for_that_child_is_refused(client: TestClient[Any]) -> None:
    family = Family.create(client)
    kid, sibling = family.child("지우"), family.child("하늘")
    assert _pin(client, kid, kid.pin, client_id="never-enrolled-1").status_code == 403
    assert _pin(client, kid, kid.pin, client_id=sibling.client_id).status_code == 403
    assert _pin(client, kid, kid.pin, client_id=family.parent.client_id).status_code == 403
    # refusals on foreign devices do not count towards the lockout
    assert _pin(client, kid, kid.pin).status_code == 200


def test_ten_misses_lock_the_pin_even_for_the_right_pin_and_across_a_restart(
    client: TestClient[Any], settings: Settings, clock: MovableClock
) -> None:
    family = Family.create(client, ("지우",))
    kid = family.child("지우")
    for attempt in range(1, 11):
        response = _pin(client, kid, _wrong(kid.pin))
        if attempt < 10:
            assert response.status_code == 401
            assert response.json()["attempts_left"] == 10 - attempt
    assert response.status_code == 403 and response.json()["pin_locked"] is True
    assert _pin(client, kid, kid.pin).status_code == 403  # the 11th attempt, with the right PIN
    with TestClient(create_app(settings, clock=clock)) as restarted:
        assert _pin(restarted, kid, kid.pin).status_code == 403
        profile = restarted.get(f"/api/users/{kid.user_id}/profile", headers=family.parent.headers).json()
        assert profile["pin_locked"] is True
        # a parent reset (with step-up) unlocks
        reset = restarted.post(
            f"/api/users/children/{kid.user_id}/pin",
            json={"pin": "570394"},
            headers=step_up(restarted, family.parent),
        )
        assert reset.status_code == 204
        assert _pin(restarted, kid, kid.pin).status_code == 401  # the old PIN is gone
        assert _pin(restarted, kid, "570394").status_code == 200


def test_a_success_resets_the_failure_count(client: TestClient[Any]) -> None:
    kid = Family.create(client, ("지우",)).child("지우")
    for _ in range(9):
        assert _pin(client, kid, _wrong(kid.pin)).status_code == 401
    assert _pin(client, kid, kid.pin).status_code == 200
    assert _pin(client, kid, _wrong(kid.pin)).json()["attempts_left"] == 9


def test_pin_reset_is_for_a_parent_of_that_child(client: TestClient[Any]) -> None:
    family, other = Family.create(client, ("지우",)), Family.create(client, ("민수",))
    kid = family.child("지우")
    url = f"/api/users/children/{kid.user_id}/pin"
    assert client.post(url, json={"pin": "570394"}, headers=step_up(client, other.parent)).status_code == 404
    assert client.post(url, json={"pin": "570394"}, headers=kid.headers).status_code == 403
    assert client.post(url, json={"pin": "1111"}, headers=step_up(client, family.parent)).status_code == 422


def test_a_second_device_can_be_enrolled_for_a_child(client: TestClient[Any]) -> None:
    family = Family.create(client, ("지우",))
    kid = family.child("지우")
    laptop = enroll_device(client, family.parent, kid.user_id, pin=kid.pin)
    assert laptop.client_id != kid.client_id
    assert _pin(client, laptop, kid.pin).status_code == 200

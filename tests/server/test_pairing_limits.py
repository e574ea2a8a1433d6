"""Pairing codes: failures are counted, never successes and never per address (issue 13 finding 3).

A family behind one home address enrols as many devices as it wants. Wrong codes (they name no code
and no family) count against one server-wide budget that keeps 60-bit codes unguessable; refusals of
a real code count against that code and its family.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.testing import TestClient

from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, enroll_device, link_code
from tests.server.limits_support import refused

JOIN = "/api/users/family/join"


def _fresh_window(clock: MovableClock) -> None:
    """Move to the start of the next hour (also the start of a ten-minute window)."""
    clock.now = clock.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def test_a_family_enrols_eight_devices_in_a_row(limited: TestClient[Any]) -> None:
    family = Family.create(limited, ("지우", "하늘"))  # two enrolments already
    kid = family.child("지우")
    devices = [enroll_device(limited, family.parent, kid.user_id, pin=kid.pin) for _ in range(8)]
    assert len({device.client_id for device in devices}) == 8
    pin = {"client_id": devices[-1].client_id, "child_id": kid.user_id, "pin": kid.pin}
    assert limited.post("/api/users/login/pin", json=pin).status_code == 200


def test_a_thousand_wrong_codes_win_nothing_then_the_server_wide_budget_stops_guessing(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    _fresh_window(clock)  # every window starts empty
    family = Family.create(limited, ("지우",))
    real = link_code(limited, family.parent, "child_device", family.child("지우").user_id)
    statuses = []
    for guess in range(1000):  # from 20 addresses (one address may send 100 requests a minute)
        body = {"code": f"{guess:04d}-0000-ZZZZ", "client_id": f"guesser-{guess:05d}", "device_name": "x"}
        source = {"X-Forwarded-For": f"203.0.113.{guess % 20}"}
        statuses.append(limited.post(JOIN, json=body, headers=source).status_code)
    assert statuses == [404] * 1000  # 0 successes
    body = {"code": "9999-9999-ZZZZ", "client_id": "guesser-99999"}
    brake = refused(limited.post(JOIN, json=body, headers={"X-Forwarded-For": "192.0.2.1"}))
    assert "wrong codes" in brake["detail"] and 0 < brake["retry_after"] <= 600
    wait = brake["retry_after"]
    # the brake is server-wide (a wrong code names no family): the real code waits too, then works
    refused(limited.post(JOIN, json={"code": real, "client_id": "kid-tablet-9"}))
    clock.advance(seconds=wait)
    assert limited.post(JOIN, json={"code": real, "client_id": "kid-tablet-9"}).status_code == 200


def test_refusals_of_a_real_code_count_against_that_code_and_its_family(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    _fresh_window(clock)  # every window starts empty
    ours, theirs = Family.create(limited, ("지우",)), Family.create(limited, ("민수",))

    def join_as(code: str, email: str, client_id: str) -> Any:
        body = {
            "code": code,
            "client_id": client_id,
            "email": email,
            "password": PASSWORD,
            "display_name": "아빠",
        }
        return limited.post(JOIN, json=body)

    # an invite redeemed with an e-mail that is taken is refused, and the code stays usable ...
    invites = [link_code(limited, ours.parent, "parent_invite") for _ in range(4)]
    for n, code in enumerate(invites[:3]):
        statuses = [
            join_as(code, str(theirs.parent.email), f"dads-phone-{n}-{i}").status_code for i in range(10)
        ]
        assert statuses == [409] * 10
        refused(join_as(code, "dad@example.org", f"dads-phone-{n}-x"))  # ... until the code has 10 refusals
    # 30 refusals in the family's codes: its other codes wait for the hour too
    refused(join_as(invites[3], "dad@example.org", "dads-phone-3"))
    # another family is not affected
    minsu = theirs.child("민수")
    assert enroll_device(limited, theirs.parent, minsu.user_id).user_id == minsu.user_id
    clock.advance(hours=1)
    assert join_as(invites[0], "dad@example.org", "dads-phone-0-y").status_code == 200

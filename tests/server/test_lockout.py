"""Wrong passwords and PINs throttle the guesser, never the owner (issue 13 finding 3, issue 14 hole 4).

A stranger who knows a parent's e-mail, or a child's id, must not be able to keep the real person
out: failures count per (account, device); the account-wide budget only binds devices that never
signed in to the account; successes never count; a PIN from a device not enrolled for the child is
refused before anything is counted against the child.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.db.models import Outbox
from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, Member, bearer
from tests.server.limits_support import refused

LOGIN = "/api/users/login"
PIN_LOGIN = "/api/users/login/pin"
WRONG = "wrong password!"


def _login(
    client: TestClient[Any], email: str | None, password: str, client_id: str, *, source: str | None = None
) -> Any:
    """A password sign-in; ``source``: the caller's address, when not the family's home."""
    headers = {"X-Forwarded-For": source} if source else {}
    return client.post(
        LOGIN, json={"email": email, "password": password, "client_id": client_id}, headers=headers
    )


def _pin(client: TestClient[Any], kid: Member, pin: str, client_id: str | None = None) -> Any:
    body = {"client_id": client_id or kid.client_id, "child_id": kid.user_id, "pin": pin}
    return client.post(PIN_LOGIN, json=body)


def _wrong_pin(pin: str | None) -> str:
    return "".join(str((int(d) + 1) % 10) for d in str(pin))


def _fresh_hour(clock: MovableClock) -> None:
    """Move to the start of the next hour: every window (minute, ten minutes, hour) starts empty."""
    clock.now = clock.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def test_a_strangers_wrong_passwords_never_keep_the_parent_out_of_a_known_device(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    _fresh_hour(clock)  # every window starts empty
    parent = Family.create(limited, ("지우",)).parent  # signed in on its phone when it registered
    # the probe of the issue: 12 wrong passwords for the parent's e-mail from the attacker's box
    attack = [_login(limited, parent.email, WRONG, "attacker-box", source="203.0.113.9") for _ in range(12)]
    statuses = [response.status_code for response in attack]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}  # the guesser is slowed
    assert _login(limited, parent.email, PASSWORD, parent.client_id).status_code == 200
    # ... and kept up for the hour, about 20 requests from ever new devices: still no effect on the owner
    for minute in range(3, 60, 3):
        clock.advance(minutes=3)
        _login(limited, parent.email, WRONG, f"attacker-{minute:02d}", source=f"198.51.100.{minute}")
    assert _login(limited, parent.email, PASSWORD, parent.client_id).status_code == 200


def test_devices_that_never_signed_in_share_one_budget_per_account(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    _fresh_hour(clock)  # every window starts empty
    parent = Family.create(limited, ("지우",)).parent
    # rotating the client_id does not give a guesser new budgets
    statuses = [_login(limited, parent.email, WRONG, f"guesser-{i:04d}").status_code for i in range(5)]
    assert statuses == [401] * 5
    first = refused(_login(limited, parent.email, WRONG, "guesser-9999"))
    assert first["retry_after"] <= 60
    # it binds every device new to the account, the parent's own new laptop too, for that minute
    refused(_login(limited, parent.email, PASSWORD, "moms-new-laptop"))
    assert _login(limited, parent.email, PASSWORD, parent.client_id).status_code == 200
    # and backs off like the per-device budget: 10 in ten minutes, 20 in the hour
    clock.advance(minutes=1)
    assert [_login(limited, parent.email, WRONG, f"guesser2-{i}").status_code for i in range(5)] == [401] * 5
    assert refused(_login(limited, parent.email, WRONG, "guesser2-9"))["retry_after"] > 5 * 60
    clock.advance(minutes=10)
    assert _login(limited, parent.email, PASSWORD, "moms-new-laptop").status_code == 200
    # once signed in there, the laptop is a known device with a budget of its own
    for i in range(5):
        _login(limited, parent.email, WRONG, f"guesser3-{i}")
    refused(_login(limited, parent.email, WRONG, "guesser3-9"))
    assert _login(limited, parent.email, PASSWORD, "moms-new-laptop").status_code == 200


def test_each_device_has_its_own_budget(limited: TestClient[Any], clock: MovableClock) -> None:
    _fresh_hour(clock)  # every window starts empty
    parent = Family.create(limited, ("지우",)).parent
    assert _login(limited, parent.email, PASSWORD, "moms-laptop-01").status_code == 200
    # five misses on the phone: the phone waits the minute out (the right password too) ...
    assert [_login(limited, parent.email, WRONG, parent.client_id).status_code for _ in range(5)] == [401] * 5
    refused(_login(limited, parent.email, PASSWORD, parent.client_id))
    # ... the laptop does not
    assert _login(limited, parent.email, PASSWORD, "moms-laptop-01").status_code == 200
    clock.advance(minutes=1)
    assert _login(limited, parent.email, PASSWORD, parent.client_id).status_code == 200


def test_successful_sign_ins_are_never_counted(limited: TestClient[Any], clock: MovableClock) -> None:
    _fresh_hour(clock)  # every window starts empty
    parent = Family.create(limited, ("지우",)).parent
    statuses = [_login(limited, parent.email, PASSWORD, parent.client_id).status_code for _ in range(25)]
    assert statuses == [200] * 25
    statuses = [_login(limited, parent.email, PASSWORD, f"new-{i:04d}").status_code for i in range(8)]
    assert statuses == [200] * 8  # a sign-in on a new device is no failure either


def test_an_unknown_email_is_throttled_exactly_like_a_wrong_password(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    _fresh_hour(clock)  # every window starts empty
    parent = Family.create(limited, ("지우",)).parent
    answers = {}
    for email in (parent.email, "nobody-here@example.org"):
        responses = [_login(limited, email, WRONG, f"probe-{i:04d}") for i in range(6)]
        answers[email] = [(r.status_code, r.json()["detail"]) for r in responses]
    known, unknown = answers.values()
    assert known == unknown and [status for status, _ in known] == [401] * 5 + [429]


def test_step_up_counts_wrong_passwords_per_device_and_never_successes(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    _fresh_hour(clock)  # every window starts empty
    family = Family.create(limited, ("지우",))
    parent = family.parent
    laptop = _login(limited, parent.email, PASSWORD, "moms-laptop-02").json()
    step_up = "/api/auth/step-up"
    for _ in range(25):  # a parent approving a busy afternoon
        ok = limited.post(step_up, json={"password": PASSWORD}, headers=parent.headers)
        assert ok.status_code == 200, ok.text
    misses = [limited.post(step_up, json={"password": WRONG}, headers=parent.headers) for _ in range(5)]
    assert [r.status_code for r in misses] == [403] * 5
    refused(limited.post(step_up, json={"password": PASSWORD}, headers=parent.headers))
    # the same device's password sign-in shares that budget; the parent's other device does not
    refused(_login(limited, parent.email, PASSWORD, parent.client_id))
    other = limited.post(step_up, json={"password": PASSWORD}, headers=bearer(laptop["access_token"]))
    assert other.status_code == 200


def test_pin_guesses_from_devices_not_enrolled_for_the_child_never_touch_it(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    _fresh_hour(clock)  # every window starts empty
    family = Family.create(limited, ("지우", "하늘"))
    kid, sibling = family.child("지우"), family.child("하늘")
    strangers = [_pin(limited, kid, _wrong_pin(kid.pin), f"unenrolled-{i}").status_code for i in range(12)]
    assert strangers == [403] * 12
    siblings = [_pin(limited, kid, _wrong_pin(kid.pin), sibling.client_id).status_code for _ in range(12)]
    assert siblings == [403] * 12
    assert _pin(limited, kid, kid.pin).status_code == 200
    profile = limited.get(f"/api/users/{kid.user_id}/profile", headers=family.parent.headers).json()
    assert (profile["pin_failures"], profile["pin_locked"]) == (0, False)
    assert _pin(limited, sibling, str(sibling.pin)).status_code == 200


def test_the_pin_lock_counts_the_enrolled_device_and_still_alerts_the_parents(
    limited: TestClient[Any], limited_app: Litestar, clock: MovableClock
) -> None:
    _fresh_hour(clock)  # every window starts empty
    family = Family.create(limited, ("지우",))
    kid = family.child("지우")
    wrong = _wrong_pin(kid.pin)
    first = [_pin(limited, kid, wrong) for _ in range(5)]
    assert [r.json()["attempts_left"] for r in first] == [9, 8, 7, 6, 5]
    refused(_pin(limited, kid, wrong))  # a throttled attempt is no guess: not counted towards the lock
    clock.advance(minutes=1)
    second = [_pin(limited, kid, wrong) for _ in range(5)]
    assert [r.status_code for r in second] == [401] * 4 + [403]
    assert second[-1].json()["pin_locked"] is True
    clock.advance(minutes=15)
    assert _pin(limited, kid, kid.pin).status_code == 403  # locked until a parent resets it
    with limited_app.state.db.read() as session:
        alerts = session.scalars(sa.select(Outbox.payload).where(Outbox.event == "SecurityAlert")).all()
    assert [alert["kind"] for alert in alerts] == ["pin_lockout"]


def test_a_success_on_the_enrolled_device_is_not_counted(
    limited: TestClient[Any], clock: MovableClock
) -> None:
    _fresh_hour(clock)  # every window starts empty
    kid = Family.create(limited, ("지우",)).child("지우")
    assert [_pin(limited, kid, str(kid.pin)).status_code for _ in range(12)] == [200] * 12

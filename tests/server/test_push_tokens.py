"""``PUT /api/notifications/push-token``: a device registers its FCM token, for itself only, inside
its family; the FCM channel sends to the tokens of devices that still stand (SQLite and PostgreSQL,
FCM being the local fake of ``test_push``)."""

# ruff: noqa: F811 - the FCM and ntfy fakes and the family are test_push's fixtures, used by name

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar

from server.db.models import PushTarget
from tests.helpers import Member, step_up
from tests.server.channel_support import FakeApi
from tests.server.test_notifications import Home
from tests.server.test_push import fcm, fcm_home, home, ntfy, settings  # noqa: F401 - fixtures

URL = "/api/notifications/push-token"


def _register(home: Home, member: Member, token: str) -> Any:
    return home.client.put(URL, json={"token": token}, headers=member.headers)


def _targets(app: Litestar) -> set[tuple[str, str, str]]:
    with app.state.db.read() as session:
        rows = session.scalars(sa.select(PushTarget))
        return {(r.user_id, r.client_id, r.token) for r in rows}


def _pushed_to(home: Home, fcm: FakeApi, child: Member) -> set[str]:
    """Tokens FCM was asked to reach for one approval of ``child``'s request (by 엄마)."""
    fcm.seen.clear()
    home.emit(child, "AllowanceApproved", {"request_id": "r-1", "amount_real": 5_000}, home.mom)
    home.dispatch(channels=home.app.state.channels.all())
    return {s.body["message"]["token"] for s in fcm.seen}


def test_a_device_registers_its_own_token_and_the_fcm_channel_reaches_it(
    fcm_home: Home, fcm: FakeApi
) -> None:
    home, jiwoo = fcm_home, fcm_home.kid("지우")
    answer = _register(home, jiwoo, "fcm:jiwoo-tablet-1")
    assert answer.status_code == 200 and answer.json() == {"registered": True, "provider": "fcm"}
    assert _targets(home.app) == {(jiwoo.user_id, jiwoo.client_id, "fcm:jiwoo-tablet-1")}
    assert _pushed_to(home, fcm, jiwoo) == {"fcm:jiwoo-tablet-1"}

    # FCM rotated the token: the device registers the new one, which replaces the old
    assert _register(home, jiwoo, "fcm:jiwoo-tablet-2").status_code == 200
    assert _targets(home.app) == {(jiwoo.user_id, jiwoo.client_id, "fcm:jiwoo-tablet-2")}

    # the tablet was enrolled again for 하늘: the token follows the installation, 지우's binding goes
    haneul = home.kid("하늘")
    assert _register(home, haneul, "fcm:jiwoo-tablet-2").status_code == 200
    assert _targets(home.app) == {(haneul.user_id, haneul.client_id, "fcm:jiwoo-tablet-2")}
    assert _pushed_to(home, fcm, jiwoo) == set()  # 지우's news no longer lands on 하늘's tablet


def test_a_revoked_device_gets_no_push_and_cannot_register_again(fcm_home: Home, fcm: FakeApi) -> None:
    home, jiwoo = fcm_home, fcm_home.kid("지우")
    assert _register(home, jiwoo, "fcm:jiwoo-lost-phone").status_code == 200
    revoked = home.client.delete(
        f"/api/family/devices/{jiwoo.client_id}", headers=step_up(home.client, home.mom)
    )
    assert revoked.status_code in (200, 204), revoked.text
    assert _pushed_to(home, fcm, jiwoo) == set()  # the lost phone shows nothing on its lock screen
    assert _register(home, jiwoo, "fcm:jiwoo-lost-phone-2").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"token": "fcm:ok-token", "client_id": "someone-elses-device"},  # only the caller's device
        {"token": "short"},
        {"token": "fcm token with spaces"},
        {"token": "x" * 401},
        {},
    ],
)
def test_bad_registrations_are_refused_and_store_nothing(fcm_home: Home, body: dict[str, Any]) -> None:
    answer = fcm_home.client.put(URL, json=body, headers=fcm_home.mom.headers)
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_ARGS"
    assert _targets(fcm_home.app) == set()


def test_another_familys_member_cannot_take_our_devices_token(fcm_home: Home, fcm: FakeApi) -> None:
    home, jiwoo = fcm_home, fcm_home.kid("지우")
    assert _register(home, jiwoo, "fcm:jiwoo-tablet-1").status_code == 200
    assert _register(home, home.theirs.child("민수"), "fcm:jiwoo-tablet-1").status_code == 200
    assert _pushed_to(home, fcm, jiwoo) == {"fcm:jiwoo-tablet-1"}  # our binding stands


def test_without_fcm_the_token_is_kept_for_later_and_the_answer_says_so(home: Home) -> None:
    answer = _register(home, home.mom, "fcm:moms-phone-1")
    assert answer.status_code == 200 and answer.json() == {"registered": True, "provider": "ntfy"}
    assert _targets(home.app) == {(home.mom.user_id, home.mom.client_id, "fcm:moms-phone-1")}

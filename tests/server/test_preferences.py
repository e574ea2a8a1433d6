"""Notification preferences (issue 5): per user and event, defaults that bother nobody, a child's
list without parent-only events and without e-mail, and the choices kept per person."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.db.models import Outbox
from server.notify.preferences import defaults, events_for
from server.settings import Settings
from tests.helpers import Family
from tests.server.test_notifications import Home, _join_second_parent

URL = "/api/notifications/preferences"


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(database_url=database_url, notify_dispatcher=False)


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
    ours = Family.create(client, ("지우",))
    home = Home(client, app, ours, Family.create(client, ("민수",)), _join_second_parent(client, ours))
    with app.state.db.write() as session:
        session.execute(sa.delete(Outbox))
    return home


def test_defaults_per_role(home: Home) -> None:
    parent = home.client.get(URL, headers=home.mom.headers).json()["events"]
    child = home.client.get(URL, headers=home.kid("지우").headers).json()["events"]
    assert parent["AllowanceRequested"] == {"email": True, "push": True}  # waiting for her approval
    assert parent["SecurityAlert"] == {"email": True, "push": True}
    assert parent["AllowancePaid"] == {"email": False, "push": True}
    assert parent["WeeklySummary"] == {"email": False, "push": False}  # opt-in
    assert "TradeExecuted" not in parent  # a parent does not hear trades at all
    assert "SecurityAlert" not in child and "AllowanceRequested" not in child
    assert all(not c["email"] for c in child.values()) and child["TradeExecuted"]["push"] is True
    assert "ntfy" not in home.client.get(URL, headers=home.mom.headers).json()  # no push provider here


def test_choices_are_kept_per_person_and_merged(home: Home) -> None:
    client = home.client
    first = client.put(URL, json={"events": {"AllowancePaid": {"email": True}}}, headers=home.dad.headers)
    assert first.json()["events"]["AllowancePaid"] == {"email": True, "push": True}
    second = client.put(URL, json={"events": {"AllowancePaid": {"push": False}}}, headers=home.dad.headers)
    assert second.json()["events"]["AllowancePaid"] == {"email": True, "push": False}  # email kept
    assert client.get(URL, headers=home.mom.headers).json()["events"]["AllowancePaid"] == defaults(
        "AllowancePaid", "parent"
    )
    other = client.get(URL, headers=home.theirs.parent.headers).json()["events"]["AllowancePaid"]
    assert other == {"email": False, "push": True}


@pytest.mark.parametrize(
    ("who", "body"),
    [
        ("child", {"events": {"SecurityAlert": {"push": False}}}),  # not an event a child hears
        ("child", {"events": {"TradeExecuted": {"email": True}}}),  # children have no e-mail
        ("parent", {"events": {"NoSuchEvent": {"push": True}}}),
        ("parent", {"events": {"AllowancePaid": {"sms": True}}}),  # no such channel
        ("parent", {"events": {}, "surprise": 1}),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(home: Home, who: str, body: dict[str, object]) -> None:
    member = home.kid("지우") if who == "child" else home.mom
    before = home.client.get(URL, headers=member.headers).json()
    answer = home.client.put(URL, json=body, headers=member.headers)
    assert answer.status_code in (400, 422), answer.text
    assert home.client.get(URL, headers=member.headers).json() == before


def test_events_for_each_role_cover_what_the_dispatcher_sends() -> None:
    assert set(events_for("parent")) >= {
        "AllowanceRequested",
        "SecurityAlert",
        "DeviceEnrolled",
        "WeeklySummary",
    }
    assert set(events_for("child")) >= {"TradeExecuted", "AllowanceApproved", "AllowancePaid", "DividendPaid"}
    assert not {"SecurityAlert", "DeviceEnrolled", "AllowanceRequested"} & set(events_for("child"))

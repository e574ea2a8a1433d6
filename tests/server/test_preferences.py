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
from tests.support.market import ScriptedMarket

URL = "/api/notifications/preferences"


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(database_url=database_url, notify_dispatcher=False)


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
    ours = Family.create(client, ("지우",))
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


def test_defaults_per_role(home: Home) -> None:
    parent = home.client.get(URL, headers=home.mom.headers).json()["events"]
    child = home.client.get(URL, headers=home.kid("지우").headers).json()["events"]
    assert parent["AllowanceRequested"] == {
        "email": True,
        "push": True,
        "sms": False,
    }  # waiting for her approval
    assert parent["SecurityAlert"] == {"email": True, "push": True, "sms": False}
    assert parent["AllowancePaid"] == {"email": False, "push": True, "sms": False}
    assert parent["WeeklySummary"] == {"email": False, "push": False, "sms": False}  # opt-in
    assert "TradeExecuted" not in parent  # a parent does not hear trades at all
    assert "SecurityAlert" not in child and "AllowanceRequested" not in child
    assert all(not c["email"] for c in child.values()) and child["TradeExecuted"]["push"] is True
    assert "ntfy" not in home.client.get(URL, headers=home.mom.headers).json()  # no push provider here


def test_the_answer_says_what_this_server_delivers_to_the_caller(home: Home) -> None:
    """The app's settings screen follows it: no e-mail switch for a child or without a mail server."""
    parent = home.client.get(URL, headers=home.mom.headers).json()
    child = home.client.get(URL, headers=home.kid("지우").headers).json()
    assert parent["channels"] == {
        "email": False,
        "push": False,
        "sms": False,
    }  # no SMTP server, no push provider
    assert parent["opt_in"] == ["WeeklySummary"] and child["opt_in"] == []
    assert child["channels"] == {"email": False, "push": False, "sms": False}


def test_with_mail_and_push_a_parent_is_offered_both_and_a_child_push_only(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    from server.app import create_app

    settings = make_settings(
        database_url=database_url,
        notify_dispatcher=False,
        smtp_host="127.0.0.1",
        push_provider="ntfy",
        ntfy_url="http://127.0.0.1:9",
    )
    app = create_app(settings)
    with TestClient(app) as client:
        family = Family.create(client, ("지우",))
        parent = client.get(URL, headers=family.parent.headers).json()
        child = client.get(URL, headers=family.child("지우").headers).json()
    assert parent["channels"] == {"email": True, "push": True, "sms": False}
    assert child["channels"] == {"email": False, "push": True, "sms": False}  # children have no e-mail


def test_choices_are_kept_per_person_and_merged(home: Home) -> None:
    client = home.client
    first = client.put(URL, json={"events": {"AllowancePaid": {"email": True}}}, headers=home.dad.headers)
    assert first.json()["events"]["AllowancePaid"] == {"email": True, "push": True, "sms": False}
    second = client.put(URL, json={"events": {"AllowancePaid": {"push": False}}}, headers=home.dad.headers)
    assert second.json()["events"]["AllowancePaid"] == {
        "email": True,
        "push": False,
        "sms": False,
    }  # email kept
    assert client.get(URL, headers=home.mom.headers).json()["events"]["AllowancePaid"] == defaults(
        "AllowancePaid", "parent"
    )
    other = client.get(URL, headers=home.theirs.parent.headers).json()["events"]["AllowancePaid"]
    assert other == {"email": False, "push": True, "sms": False}


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("child", {"events": {"SecurityAlert": {"push": False}}}, 403),  # not an event a child hears
        ("child", {"events": {"TradeExecuted": {"email": True}}}, 403),  # children have no e-mail
        ("child", {"events": {"TradeExecuted": {"sms": True}}}, 403),  # children have no phone either
        ("parent", {"events": {"NoSuchEvent": {"push": True}}}, 422),
        ("parent", {"events": {"AllowancePaid": {"fax": True}}}, 422),  # no such channel
        ("parent", {"events": {}, "surprise": 1}, 422),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(
    home: Home, who: str, body: dict[str, object], status: int
) -> None:
    member = home.kid("지우") if who == "child" else home.mom
    before = home.client.get(URL, headers=member.headers).json()
    answer = home.client.put(URL, json=body, headers=member.headers)
    assert answer.status_code == status, answer.text
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

"""Retention (issue 18): a family nobody used for three years is told by e-mail, then erased after the
grace period unless someone comes back; old notifications and delivery records are pruned, and so are
refresh tokens and pairing codes dead for more than a month. The clock is the app's movable one; the
e-mail goes to a real SMTP server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.app import create_app
from server.db.models import (
    Delivery,
    Erasure,
    Notification,
    OperatorAction,
    Outbox,
    PairingCode,
    RefreshToken,
    User,
)
from server.notify.dispatcher import Dispatcher
from server.privacy.retention import NOTICE_EVENT
from server.settings import Settings
from tests.conftest import MovableClock
from tests.helpers import PASSWORD, Family, bearer, link_code

from .channel_support import Mailbox, text_of

YEARS_3 = timedelta(days=1095)


@pytest.fixture
def app(
    mail_settings: Callable[..., Settings], smtp: tuple[Mailbox, int, Path]
) -> Iterator[tuple[Litestar, TestClient[Any], MovableClock]]:
    clock = MovableClock()
    application = create_app(mail_settings(), clock=clock)
    with TestClient(application) as client:
        yield application, client, clock
    application.state.db.dispose()


def _users(app: Litestar, family_id: str) -> int:
    with app.state.db.read() as session:
        query = sa.select(sa.func.count()).select_from(User).where(User.family_id == family_id)
        return int(session.scalar(query) or 0)


def _sign_in(client: TestClient[Any], family: Family) -> dict[str, str]:
    body = {"email": family.parent.email, "password": PASSWORD, "client_id": f"back-{uuid.uuid4().hex}"}
    answer = client.post("/api/users/login", json=body)
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


def test_an_inactive_family_is_told_then_erased_and_an_active_one_stays(
    app: tuple[Litestar, TestClient[Any], MovableClock], smtp: tuple[Mailbox, int, Path]
) -> None:
    application, client, clock = app
    mailbox = smtp[0]
    gone, kept = Family.create(client, ("지우",)), Family.create(client, ("하늘",))
    clock.advance(days=YEARS_3.days - 10)
    _sign_in(client, kept)  # the other family signs in ten days before its three years are up
    retention, eraser = application.state.retention, application.state.eraser
    assert retention.run_once() == 0  # nobody is three years inactive yet
    clock.advance(days=11)

    assert retention.run_once() == 1
    assert mailbox.recipients() == [gone.parent.email]
    (letter,) = mailbox.to(str(gone.parent.email))
    due = (clock.now + timedelta(days=30)).date().isoformat()
    assert "삭제" in str(letter["Subject"]) and due in text_of(letter)
    with application.state.db.read() as session:
        inbox = [
            (n.user_id, due in n.body)
            for n in session.scalars(sa.select(Notification).where(Notification.event == NOTICE_EVENT))
        ]
        erasures = [(e.family_id, e.child_id, e.reason) for e in session.scalars(sa.select(Erasure))]
    assert inbox == [(gone.parent.user_id, True)]
    assert erasures == [(gone.family_id, None, "retention")]
    assert retention.run_once() == 0 and len(mailbox.messages) == 1  # told once

    clock.advance(days=29)
    assert eraser.run_once() == 0 and _users(application, gone.family_id) == 2  # the grace period
    clock.advance(days=2)
    assert eraser.run_once() == 1
    assert _users(application, gone.family_id) == 0
    assert _users(application, kept.family_id) == 2
    with application.state.db.read() as session:
        audit = [tuple(r) for r in session.execute(sa.select(OperatorAction.actor, OperatorAction.action))]
    assert audit == [("retention", "erase-family")]  # no id, no name


def test_a_family_that_comes_back_after_the_notice_is_kept(
    app: tuple[Litestar, TestClient[Any], MovableClock], smtp: tuple[Mailbox, int, Path]
) -> None:
    application, client, clock = app
    family = Family.create(client, ("지우",))
    clock.advance(days=YEARS_3.days + 1)
    assert application.state.retention.run_once() == 1
    clock.advance(days=20)
    back = _sign_in(client, family)
    pending = client.get("/api/family/erasures", headers=back)
    assert pending.status_code == 200 and pending.json()["erasures"] == []  # the app shows none
    assert application.state.retention.run_once() == 0
    with application.state.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Erasure)) == 0  # called off
    clock.advance(days=11)
    assert application.state.eraser.run_once() == 0
    assert _users(application, family.family_id) == 2
    with application.state.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Erasure)) == 0  # the notice is withdrawn
    clock.advance(days=YEARS_3.days + 1)  # and three more years later, a new notice
    assert application.state.retention.run_once() == 1
    assert len(smtp[0].messages) == 2


def test_a_refused_notice_is_retried_and_nothing_is_erased_meanwhile(
    app: tuple[Litestar, TestClient[Any], MovableClock], smtp: tuple[Mailbox, int, Path]
) -> None:
    application, client, clock = app
    mailbox = smtp[0]
    family = Family.create(client, ("지우",))
    clock.advance(days=YEARS_3.days + 1)
    mailbox.refuse = True
    assert application.state.retention.run_once() == 0
    clock.advance(days=60)
    assert application.state.eraser.run_once() == 0 and _users(application, family.family_id) == 2
    mailbox.refuse = False
    assert application.state.retention.run_once() == 1
    assert mailbox.recipients() == [family.parent.email]


def test_old_notifications_and_delivery_records_are_pruned(
    app: tuple[Litestar, TestClient[Any], MovableClock],
) -> None:
    application, client, clock = app
    state = application.state

    def grant(family: Family) -> None:
        grant = {"child_id": family.child("지우").user_id, "amount": 10_000, "reason": "생일"}
        answer = client.post("/api/family/grants", json=grant, headers=family.elevated(client))
        assert answer.status_code == 201, answer.text
        Dispatcher(state.db, state.clock, 1.0, state.channels.all()).run_once()

    def counts() -> tuple[int, ...]:
        with state.db.read() as session:
            return tuple(
                int(session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
                for table in (Notification, Delivery, Outbox)
            )

    first = Family.create(client, ("지우",))
    grant(first)
    old = counts()
    assert all(old)
    clock.advance(days=300)
    grant(Family.create(client, ("지우",)))
    both = counts()
    assert all(b > o for b, o in zip(both, old, strict=True))
    clock.advance(days=70)  # the first family's records are 370 days old, the second's 70
    state.retention.run_once()
    assert counts() == tuple(b - o for b, o in zip(both, old, strict=True))
    assert _users(application, first.family_id) == 2  # pruning is not erasing


def test_dead_sessions_and_pairing_codes_are_pruned_a_month_after_they_die(
    app: tuple[Litestar, TestClient[Any], MovableClock],
) -> None:
    application, client, clock = app
    state = application.state
    family = Family.create(client, ("지우",))  # the parent's sign-up, the child's enrolment: used codes
    kid = family.child("지우")
    parent_tokens = [family.parent.refresh]
    for _ in range(3):  # the parent's app refreshes its session: each use rotates the token
        answer = client.post("/api/auth/refresh", json={"refresh_token": parent_tokens[-1]})
        assert answer.status_code == 200, answer.text
        parent_tokens.append(answer.json()["refresh_token"])
    link_code(client, family.parent, "child_device", kid.user_id)  # a code nobody typed

    def rows(user_id: str | None = None) -> tuple[int, int]:
        with state.db.read() as session:
            tokens = sa.select(sa.func.count()).select_from(RefreshToken)
            if user_id is not None:
                tokens = tokens.where(RefreshToken.user_id == user_id)
            codes = sa.select(sa.func.count()).select_from(PairingCode)
            return int(session.scalar(tokens) or 0), int(session.scalar(codes) or 0)

    assert rows(family.parent.user_id) == (4, 2)  # the enrolment's code (used) and the untyped one
    clock.advance(days=30)  # the codes died within a day (used, or expired after 24 hours)
    state.retention.run_once()
    assert rows(family.parent.user_id) == (4, 2)  # nothing is pruned within the grace
    clock.advance(days=2)
    state.retention.run_once()
    assert rows(family.parent.user_id) == (4, 0)  # the codes are gone; the session died on day 7
    clock.advance(days=6)
    back = _sign_in(client, family)  # the parent comes back: a new session
    state.retention.run_once()
    assert rows(family.parent.user_id) == (1, 0)  # the old session's four rows are gone
    # the child has not been back: its newest token stays, the mark of when it was last here
    assert rows(kid.user_id)[0] == 1
    # an old token is refused as before, and the new session works
    stale = client.post("/api/auth/refresh", json={"refresh_token": parent_tokens[0]})
    assert stale.status_code == 401
    assert client.get("/api/family", headers=back).status_code == 200
    assert _users(application, family.family_id) == 2  # pruning is not erasing

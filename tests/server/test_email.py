"""E-mail to parents (issue 5) through a real SMTP server (aiosmtpd on 127.0.0.1, STARTTLS required,
a certificate made for the test and trusted through ``smtp_ca_file`` only)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.db.models import Delivery, NotificationPref, Outbox, User
from server.notify.email import SmtpMailer, letter_for, trial_letter
from server.notify.weekly import emit_weekly_summaries, week_of
from server.settings import Settings
from tests.helpers import Family, Member
from tests.server.channel_support import Mailbox, text_of
from tests.server.test_notifications import Home, _join_second_parent
from tests.support.market import ScriptedMarket


@pytest.fixture
def settings(mail_settings: Callable[..., Settings]) -> Settings:
    return mail_settings(smtp_from="Yongdon <family@yongdon.test>")


@pytest.fixture
def mailbox(smtp: tuple[Mailbox, int, Path]) -> Mailbox:
    return smtp[0]


@pytest.fixture
def home(client: TestClient[Litestar], app: Litestar) -> Home:
    ours = Family.create(client, ("지우", "하늘"))
    theirs = Family.create(client, ("민수",))
    home = Home(
        client,
        app,
        ours,
        theirs,
        _join_second_parent(client, ours),
        ScriptedMarket(app.state.clock).attach(app),
    )
    with app.state.db.write() as session:  # enrolment events are test_security_alerts.py's business
        session.execute(sa.delete(Outbox))
    return home


def _email_of(home: Home, member: Member) -> str:
    with home.app.state.db.read() as session:
        user = session.get(User, member.user_id)
        assert user is not None and user.email
        return user.email


def _dispatch(home: Home) -> Any:
    return home.dispatch(channels=home.app.state.channels.all())


def test_a_request_waiting_for_approval_mails_both_parents_in_their_language(
    home: Home, mailbox: Mailbox
) -> None:
    home.set_locale(home.dad, "en")
    home.emit(home.kid("지우"), "AllowanceRequested", {"request_id": "r-1", "amount_real": 5_000})
    _dispatch(home)
    mom, dad = _email_of(home, home.mom), _email_of(home, home.dad)
    assert mailbox.recipients() == sorted([mom, dad])  # no child, nobody of the other family
    assert all(tls for _, _, tls in mailbox.messages), "every message went over STARTTLS"
    (korean,) = mailbox.to(mom)
    assert korean["Subject"] == "[용돈] 용돈 요청이 왔습니다"
    assert korean["From"] == "Yongdon <family@yongdon.test>"
    assert "지우의 5,000원 요청이 승인을 기다립니다." in text_of(korean)
    assert text_of(korean).startswith("엄마님, 안녕하세요.")
    (english,) = mailbox.to(dad)
    assert english["Subject"] == "[Yongdon] A pocket-money request"
    assert "지우 asks for 5,000 won; it is waiting for your approval." in text_of(english)
    assert "Turn these e-mails off" in text_of(english)


def test_only_what_a_parent_must_act_on_is_mailed_by_default(home: Home, mailbox: Mailbox) -> None:
    home.emit(home.kid("지우"), "AllowanceApproved", {"request_id": "r-1", "amount_real": 5_000}, home.mom)
    home.emit(home.kid("지우"), "TradeExecuted", {"trade_id": "t-1"})
    home.emit(home.kid("지우"), "WeeklySummary", {"value": 1_200_000, "profit": 200_000, "pending": 1})
    report = _dispatch(home)
    assert report.finished == 3
    assert mailbox.messages == []  # approvals, trades and the (opt-in) summary: inbox only
    with home.app.state.db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).where(Delivery.channel == "email")) == 0


def test_the_weekly_summary_is_opt_in_and_a_parent_can_turn_requests_off(
    home: Home, mailbox: Mailbox
) -> None:
    client = home.client
    body = {"events": {"WeeklySummary": {"email": True}, "AllowanceRequested": {"email": False}}}
    prefs = client.put("/api/notifications/preferences", json=body, headers=home.dad.headers)
    assert prefs.status_code == 200, prefs.text
    assert prefs.json()["events"]["WeeklySummary"] == {"email": True, "push": False, "sms": False}
    home.emit(home.kid("지우"), "WeeklySummary", {"value": 1_200_000, "profit": 200_000, "pending": 1})
    home.emit(home.kid("지우"), "AllowanceRequested", {"request_id": "r-1", "amount_real": 5_000})
    _dispatch(home)
    mom, dad = _email_of(home, home.mom), _email_of(home, home.dad)
    assert [m["Subject"] for m in mailbox.to(dad)] == ["[용돈] 이번 주 요약"]
    assert "평가금액 1,200,000G₩, 수익 200,000G₩, 대기 요청 1건" in text_of(mailbox.to(dad)[0])
    assert [m["Subject"] for m in mailbox.to(mom)] == ["[용돈] 용돈 요청이 왔습니다"]
    # the inbox is the record: both still have both notifications there
    assert home.events(home.dad) == ["AllowanceRequested", "WeeklySummary"]


def test_a_child_is_never_mailed_even_with_a_forged_preference(home: Home, mailbox: Mailbox) -> None:
    jiwoo = home.kid("지우")
    with home.app.state.db.write() as session:
        session.add(
            NotificationPref(
                user_id=jiwoo.user_id,
                event="AllowanceApproved",
                family_id=home.ours.family_id,
                email=True,
                push=True,
            )
        )
    home.emit(jiwoo, "AllowanceApproved", {"request_id": "r-1", "amount_real": 5_000}, home.mom)
    _dispatch(home)
    assert mailbox.messages == []
    refused = home.client.put(
        "/api/notifications/preferences",
        json={"events": {"AllowanceApproved": {"email": True}}},
        headers=jiwoo.headers,
    )
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"  # a child has no e-mail


def test_a_refusing_mail_server_is_retried_and_the_inbox_is_not_held_back(
    home: Home, mailbox: Mailbox
) -> None:
    mailbox.refuse = True
    home.emit(home.kid("지우"), "AllowanceRequested", {"request_id": "r-1", "amount_real": 5_000})
    first = _dispatch(home)
    assert first.failed == 2 and first.finished == 0  # two parents' e-mails wait for a retry
    assert home.events(home.mom) == ["AllowanceRequested"]  # the inbox did not wait
    mailbox.refuse = False
    home.app.state.clock.advance(minutes=1)
    second = _dispatch(home)
    assert second.delivered == 2 and second.finished == 1
    assert len(mailbox.messages) == 2
    assert _dispatch(home).delivered == 0  # and never again


def test_the_family_keeps_writing_while_a_slow_mail_server_answers(home: Home, mailbox: Mailbox) -> None:
    arrived, release = threading.Event(), threading.Event()
    mailbox.hold = (arrived, release)
    home.emit(home.kid("지우"), "AllowanceRequested", {"request_id": "r-1", "amount_real": 5_000})
    worker = threading.Thread(target=_dispatch, args=(home,))
    worker.start()
    try:
        assert arrived.wait(10), "the dispatcher never reached the mail server"
        started = time.monotonic()
        # the mail server is still thinking: the family's write lock must not be held meanwhile
        with home.app.state.db.write(home.ours.family_id) as session:
            session.execute(sa.update(User).where(User.id == home.dad.user_id).values(locale="en"))
        assert time.monotonic() - started < 2 and not release.is_set()
    finally:
        release.set()
        worker.join(20)
    assert len(mailbox.messages) == 2


def test_a_parent_sends_itself_a_test_email(home: Home, mailbox: Mailbox) -> None:
    client = home.client
    sent = client.post("/api/notifications/email", json={}, headers=home.mom.headers)
    assert sent.status_code == 200, sent.text
    (message,) = mailbox.to(_email_of(home, home.mom))
    assert message["Subject"] == "[용돈] 테스트 메일"
    to_dad = client.post(
        "/api/notifications/email", json={"user_id": home.dad.user_id}, headers=home.mom.headers
    )
    assert to_dad.status_code == 200 and len(mailbox.to(_email_of(home, home.dad))) == 1
    child = {"user_id": home.kid("지우").user_id}
    assert client.post("/api/notifications/email", json=child, headers=home.mom.headers).status_code == 422
    other = {"user_id": home.theirs.parent.user_id}
    assert client.post("/api/notifications/email", json=other, headers=home.mom.headers).status_code == 404
    assert (
        client.post("/api/notifications/email", json={}, headers=home.kid("지우").headers).status_code == 403
    )
    assert len(mailbox.messages) == 2


def test_without_smtp_settings_the_test_email_says_so(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    from server.app import create_app

    app = create_app(make_settings(database_url=database_url, notify_dispatcher=False))
    with TestClient(app) as client:
        parent = Family.create(client, ()).parent
        answer = client.post("/api/notifications/email", json={}, headers=parent.headers)
        assert answer.status_code == 409 and answer.json()["code"] == "CONFLICT"


def test_letters_in_both_languages() -> None:
    ko = letter_for("a@example.org", "엄마", "ko", "용돈 요청이 왔습니다", "지우의 5,000원 요청")
    en = letter_for("a@example.org", "Mom", "en", "A pocket-money request", "지우 asks for 5,000 won")
    assert ko.subject == "[용돈] 용돈 요청이 왔습니다" and "엄마님" in ko.text and "설정" in ko.text
    assert en.subject == "[Yongdon] A pocket-money request" and en.text.startswith("Hello Mom,")
    assert trial_letter("a@example.org", "Mom", "fr").subject.startswith("[용돈]")  # unknown locale: Korean


def test_the_mailer_refuses_an_untrusted_certificate(smtp: tuple[Mailbox, int, Path]) -> None:
    mailbox, port, _ = smtp
    mailer = SmtpMailer(host="127.0.0.1", port=port)  # the system CAs do not know the test certificate
    with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
        mailer.send(trial_letter("a@example.org", "Mom", "en"))
    assert mailbox.messages == []


def test_weekly_summaries_are_written_once_a_week_and_reach_only_who_opted_in(
    home: Home, mailbox: Mailbox
) -> None:
    app = home.app
    clock = app.state.clock
    opt_in = {"events": {"WeeklySummary": {"email": True}}}
    assert (
        home.client.put("/api/notifications/preferences", json=opt_in, headers=home.dad.headers).status_code
        == 200
    )
    db = app.state.db
    assert emit_weekly_summaries(db, clock()) == 3  # 지우, 하늘 and the other family's 민수
    assert emit_weekly_summaries(db, clock()) == 0  # once per family and week, also after a restart
    _dispatch(home)
    dad = _email_of(home, home.dad)
    letters = sorted(text_of(m).split("\n\n")[1] for m in mailbox.to(dad))
    assert letters == [
        "지우: 평가금액 1,000,000G₩, 수익 0G₩, 대기 요청 0건.",
        "하늘: 평가금액 1,000,000G₩, 수익 0G₩, 대기 요청 0건.",
    ]
    assert mailbox.recipients() == [dad, dad]  # 엄마 did not opt in: no e-mail
    assert home.events(home.mom) == []  # and no inbox entry either
    assert home.events(home.dad) == ["WeeklySummary", "WeeklySummary"]
    clock.advance(days=7)
    assert week_of(clock()) != week_of(clock() - timedelta(days=7))
    assert emit_weekly_summaries(db, clock()) == 3


def test_an_smtp_server_that_cannot_be_reached_is_a_failing_provider(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    """502 PROVIDER_FAILED: the request was fine and this server works; the mail server did not."""
    from server.app import create_app

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = make_settings(
        database_url=database_url, notify_dispatcher=False, smtp_host="127.0.0.1", smtp_port=port
    )
    with TestClient(create_app(settings)) as client:
        parent = Family.create(client, ()).parent
        answer = client.post("/api/notifications/email", json={}, headers=parent.headers)
        assert (answer.status_code, answer.json()["code"]) == (502, "PROVIDER_FAILED"), answer.text

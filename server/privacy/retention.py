"""Retention (issue 18): a family nobody used for ``retention_days`` is erased, after its parents were
told; old notifications, delivery records and dead credentials are pruned.

Each pass of :class:`Retention`:

1. prunes inbox notifications, finished deliveries and delivered outbox events older than
   ``notification_keep_days`` (a pending delivery is never pruned: the dispatcher still owes it), and
   credentials dead for longer than :data:`CREDENTIAL_GRACE` (:func:`prune_credentials`): refresh
   tokens past their expiry, pairing codes past their expiry or used;
2. calls off the retention erasures of families active again since their notice;
3. tells the parents of every family inactive since the cutoff (:func:`.activity.last_active`: the
   last device sign-in or sync, or session refresh) that the family will be erased after
   ``retention_notice_days`` — an e-mail to each parent with an address (sent directly, whatever the
   parent's notification preferences: it is about their data, not an event) and an inbox entry —
   and records that as a pending family erasure with reason ``retention``.

The erasure then runs through the same machinery as a parent's (:func:`.erasure.run_due`, the
Eraser's job), which calls it off instead when any member was active after the notice. A parent may
also cancel it like any pending erasure. When e-mail is configured and a letter is refused, no notice
is recorded and the next pass tries again: a family is never erased before its parents were told.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session, aliased

from ..background import Periodic
from ..db import Database
from ..db.models import Delivery, Erasure, Family, Notification, Outbox, PairingCode, RefreshToken, User
from ..db.models.privacy import RETENTION
from ..ids import new_id
from ..logs import get_logger
from ..notify.email import Letter, SmtpMailer, letter_for
from ..notify.inbox import InboxChannel, Message
from .activity import last_active
from .erasure import withdrawn

__all__ = [
    "CREDENTIAL_GRACE",
    "NOTICE_EVENT",
    "Policy",
    "Retention",
    "notice_text",
    "prune",
    "prune_credentials",
]

NOTICE_EVENT = "RetentionNotice"
# how long a dead refresh token or pairing code is kept: an operator looking into a sign-in or an
# enrolment of last month still finds its row; nobody can use it any more either way
CREDENTIAL_GRACE = timedelta(days=30)

_NOTICE = {
    "ko": (
        "가족 데이터 삭제 예정",
        "{years}년 넘게 아무도 용돈 앱을 쓰지 않아, {date}에 가족의 모든 데이터(아이들의 기록 포함)가 "
        "삭제됩니다. 계속 쓰시려면 그 전에 앱에 로그인하세요. "
        "먼저 내보내기로 데이터를 받아 두실 수 있습니다.",
    ),
    "en": (
        "Your family's data will be deleted",
        "Nobody has used Yongdon for over {years} years, so all of your family's data (the children's "
        "records too) will be deleted on {date}. Sign in to the app before then to keep it. You can "
        "download it first with Export.",
    ),
}


def notice_text(locale: str, due: datetime, retention: timedelta) -> tuple[str, str]:
    """The notice's title and body in ``locale`` (Korean unless English)."""
    title, body = _NOTICE["en" if locale == "en" else "ko"]
    years = max(round(retention.days / 365), 1)
    return title, body.format(years=years, date=due.date().isoformat())


@dataclass(frozen=True)
class _Parent:
    id: str
    email: str | None
    name: str
    locale: str


@dataclass(frozen=True)
class Policy:
    retention: timedelta  # inactive this long: the family is erased (after the notice)
    notice: timedelta  # between the notice and the erasure
    keep_notifications: timedelta  # inbox entries and delivery records older than this are pruned


def prune(session: Session, now: datetime, keep: timedelta) -> int:
    """Delete old inbox entries, finished deliveries and delivered outbox events; how many rows."""
    cutoff = now - keep
    old_events = select(Outbox.id).where(Outbox.created_at < cutoff)
    done = 0
    done += session.execute(
        delete(Delivery).where(Delivery.status != "pending", Delivery.outbox_id.in_(old_events))
    ).rowcount
    pending = select(Delivery.outbox_id).where(Delivery.status == "pending")
    done += session.execute(
        delete(Outbox).where(
            Outbox.created_at < cutoff, Outbox.delivered_at.is_not(None), Outbox.id.not_in(pending)
        )
    ).rowcount
    done += session.execute(delete(Notification).where(Notification.created_at < cutoff)).rowcount
    return done


def prune_credentials(session: Session, now: datetime, grace: timedelta = CREDENTIAL_GRACE) -> int:
    """Delete refresh tokens that expired, and pairing codes that expired or were used, more than
    ``grace`` ago; how many rows. Each user's newest token stays, whatever its age: it is when that
    user last signed in or refreshed (:func:`.activity.last_active`), which decides retention."""
    cutoff = now - grace
    newer = aliased(RefreshToken)
    superseded = exists().where(
        newer.user_id == RefreshToken.user_id, newer.created_at > RefreshToken.created_at
    )
    done = session.execute(delete(RefreshToken).where(RefreshToken.expires_at < cutoff, superseded)).rowcount
    done += session.execute(
        delete(PairingCode).where(or_(PairingCode.expires_at < cutoff, PairingCode.used_at < cutoff))
    ).rowcount
    return done


def _inactive(session: Session, cutoff: datetime) -> list[str]:
    """Families last active before ``cutoff`` with no family erasure pending yet."""
    pending = select(Erasure.family_id).where(Erasure.child_id.is_(None))
    candidates = session.scalars(
        select(Family.id).where(Family.created_at < cutoff, Family.id.not_in(pending)).order_by(Family.id)
    )
    return [f for f in candidates if last_active(session, f) < cutoff]


class Retention(Periodic):
    """The background job of the module's docstring (on the server's clock, so a test can move it)."""

    thread_name = "yongdon-retention"

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        interval: float,
        policy: Policy,
        mailer: SmtpMailer | None,
    ) -> None:
        super().__init__()
        self.db, self.clock, self.interval, self.policy, self.mailer = db, clock, interval, policy, mailer

    def run_once(self) -> int:
        """One pass; the number of families told."""
        now = self.clock()
        with self.db.read() as session:
            families = _inactive(session, now - self.policy.retention)
        told = sum(self._notify(family_id, now) for family_id in families)
        with self.db.write() as session:
            pruned = prune(session, now, self.policy.keep_notifications) + prune_credentials(session, now)
            notices = session.scalars(select(Erasure).where(Erasure.reason == RETENTION)).all()
            for called_off in [e for e in notices if withdrawn(session, e)]:
                session.delete(called_off)  # someone came back after the notice
        if told or pruned:
            get_logger("yongdon.jobs").info(
                "retention", job=self.thread_name, families_told=told, rows_pruned=pruned
            )
        return told

    def _notify(self, family_id: str, now: datetime) -> bool:
        due = now + self.policy.notice
        with self.db.read() as session:
            parents = [
                _Parent(user.id, user.email, user.display_name, user.locale)
                for user in session.scalars(
                    select(User).where(User.family_id == family_id, User.role == "parent").order_by(User.id)
                )
            ]
        letters: list[Letter] = []
        for parent in parents:
            if parent.email:
                title, body = notice_text(parent.locale, due, self.policy.retention)
                letters.append(letter_for(parent.email, parent.name, parent.locale, title, body))
        if self.mailer is None:
            get_logger("yongdon.jobs").warning(
                "retention notice without e-mail (no SMTP configured): inbox only", job=self.thread_name
            )
        else:
            try:
                for letter in letters:
                    self.mailer.send(letter)
            except (smtplib.SMTPException, OSError):
                get_logger("yongdon.jobs").warning(
                    "retention notice refused by the mail server; the next pass retries", job=self.thread_name
                )
                return False
        with self.db.write(family_id) as session:
            if session.scalar(
                select(Erasure.id).where(Erasure.family_id == family_id, Erasure.child_id.is_(None))
            ):
                return False  # a parent asked meanwhile
            if last_active(session, family_id) >= now - self.policy.retention:
                return False  # someone came back meanwhile
            session.add(
                Erasure(
                    id=new_id(),
                    family_id=family_id,
                    child_id=None,
                    requested_by=None,
                    requested_at=now,
                    due_at=due,
                    reason=RETENTION,
                )
            )
            inbox = InboxChannel()
            for parent in parents:
                title, body = notice_text(parent.locale, due, self.policy.retention)
                message = Message(
                    outbox_id=0,
                    family_id=family_id,
                    child_id=None,
                    event=NOTICE_EVENT,
                    user_id=parent.id,
                    role="parent",
                    title=title,
                    body=body,
                    data={"due_at": due.isoformat()},
                )
                inbox.deliver(session, message, now)
        return True

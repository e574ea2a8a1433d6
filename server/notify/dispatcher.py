"""The outbox dispatcher: every domain event, at least once, to each recipient on each channel.

``dispatch_once`` reads undelivered outbox rows in order. For each event it decides the recipients
(the child concerned and/or its parents, never anyone outside the family, never a sibling), then
delivers to every (channel, recipient) that has no finished :class:`Delivery` yet, each in its own
savepoint. The unique ``(outbox_id, channel, user_id)`` delivery row is the idempotency key: it is
committed together with the inbox insert, so a crash or a rerun never delivers twice. A failed
delivery is retried with exponential backoff and becomes ``dead`` after ``max_attempts``. The outbox
row is marked delivered, in a later transaction, only once none of its deliveries is pending.

:class:`Dispatcher` runs ``dispatch_once`` on a background thread (started in the app's lifespan).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Database, TemporaryFailure
from ..db.models import Delivery, Outbox, RequestRow, TradeRow, User
from .inbox import InboxChannel, Message
from .texts import compose, recipients_for

__all__ = [
    "BASE_DELAY",
    "MAX_ATTEMPTS",
    "Channel",
    "DispatchReport",
    "Dispatcher",
    "backoff",
    "default_channels",
    "dispatch_once",
    "outbox_status",
    "requeue_dead",
]

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(hours=1)
BATCH = 200

_log = logging.getLogger("yongdon.notify")


class Channel(Protocol):
    """A way to reach a person. ``deliver`` raises on failure; it runs inside the dispatcher's
    transaction (a savepoint), so a database channel's write commits with its delivery record."""

    name: str

    def deliver(self, session: Session, message: Message, now: datetime) -> None: ...


def default_channels() -> list[Channel]:
    return [InboxChannel()]


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failures: 5 s, 10 s, 20 s, … capped at an hour."""
    return min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


@dataclass
class DispatchReport:
    """What one pass did: deliveries made, failed (to be retried), given up; events finished."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    finished: int = 0


@dataclass(frozen=True)
class _Recipient:
    user_id: str
    role: str
    locale: str


def _recipients(session: Session, row: Outbox) -> list[_Recipient]:
    audience = recipients_for(row.event)
    actor = row.payload.get("actor_id")
    users = session.scalars(select(User).where(User.family_id == row.family_id).order_by(User.id))
    found = []
    for user in users:
        if user.role == "child" and audience.child and user.id == row.child_id:
            found.append(_Recipient(user.id, "child", user.locale))
        elif user.role == "parent" and audience.parents and user.id != actor:
            found.append(_Recipient(user.id, "parent", user.locale))
    return found


def _facts(session: Session, row: Outbox) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the wording's facts, the ids a notification links to) for one event."""
    payload = row.payload
    facts: dict[str, Any] = {k: v for k, v in payload.items() if k not in ("actor_id", "txn_id")}
    link: dict[str, Any] = {k: payload[k] for k in ("trade_id", "request_id", "symbol") if k in payload}
    if row.child_id:
        child = session.get(User, row.child_id)
        facts["child"] = child.display_name if child else ""
    if "trade_id" in payload:
        trade = session.get(TradeRow, payload["trade_id"])
        if trade is not None:
            facts.setdefault("symbol", trade.symbol)
            link["symbol"] = trade.symbol
    if "request_id" in payload:
        request = session.get(RequestRow, payload["request_id"])
        if request is not None:
            facts.setdefault("amount_real", request.data.get("amount_real"))
    if "amount_real" in facts:
        facts["amount"] = facts["amount_real"]
    return facts, link


def _deliver_event(
    session: Session,
    outbox_id: int,
    channels: Sequence[Channel],
    now: datetime,
    max_attempts: int,
    report: DispatchReport,
) -> bool:
    """Deliver what is due of one event; returns whether none of its deliveries is left pending."""
    row = session.get(Outbox, outbox_id)
    if row is None or row.delivered_at is not None:
        return False
    existing = {
        (d.channel, d.user_id): d
        for d in session.scalars(select(Delivery).where(Delivery.outbox_id == outbox_id))
    }
    facts: tuple[dict[str, Any], dict[str, Any]] | None = None
    settled = True
    for person in _recipients(session, row):
        for channel in channels:
            delivery = existing.get((channel.name, person.user_id))
            if delivery is None:
                delivery = Delivery(
                    outbox_id=outbox_id,
                    channel=channel.name,
                    user_id=person.user_id,
                    status="pending",
                    attempts=0,
                )
                session.add(delivery)
                session.flush()
            if delivery.status != "pending":
                continue
            if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
                settled = False
                continue
            try:
                with session.begin_nested():
                    # looked up inside the try: an event whose facts cannot be read backs off and
                    # ends dead like any failed delivery, instead of blocking the events after it
                    facts = facts or _facts(session, row)
                    title, body = compose(row.event, person.role, person.locale, facts[0])
                    message = Message(
                        outbox_id=outbox_id,
                        family_id=row.family_id,
                        child_id=row.child_id,
                        event=row.event,
                        user_id=person.user_id,
                        role=person.role,
                        title=title,
                        body=body,
                        data={"event": row.event, "child_id": row.child_id, **facts[1]},
                    )
                    channel.deliver(session, message, now)
            except Exception as error:  # noqa: BLE001 - any channel failure is retried, then dead-lettered
                delivery.attempts += 1
                delivery.last_error = f"{type(error).__name__}: {error}"[:200]
                if delivery.attempts >= max_attempts:
                    delivery.status, delivery.next_attempt_at = "dead", None
                    report.dead += 1
                    _log.warning("notification dead-lettered", extra={"outbox_id": outbox_id})
                else:
                    delivery.next_attempt_at = now + backoff(delivery.attempts)
                    report.failed += 1
                    settled = False
            else:
                delivery.attempts += 1
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = "done", now, None
                report.delivered += 1
    session.flush()
    return settled


def _mark_delivered(db: Database, family_id: str, outbox_id: int, now: datetime) -> None:
    with db.write(family_id) as session:
        row = session.get(Outbox, outbox_id)
        if row is not None and row.delivered_at is None:
            row.delivered_at = now


def dispatch_once(
    db: Database,
    now: datetime,
    *,
    channels: Sequence[Channel] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    batch: int = BATCH,
) -> DispatchReport:
    """One pass over up to ``batch`` undelivered events, oldest first."""
    channels = default_channels() if channels is None else channels
    report = DispatchReport()
    with db.read() as session:
        due = session.execute(
            select(Outbox.id, Outbox.family_id)
            .where(Outbox.delivered_at.is_(None))
            .order_by(Outbox.id)
            .limit(batch)
        ).all()
    for outbox_id, family_id in due:
        try:
            with db.write(family_id) as session:
                settled = _deliver_event(session, outbox_id, channels, now, max_attempts, report)
        except TemporaryFailure:
            raise  # the database is busy or gone: the whole pass waits for the next tick
        except Exception:  # noqa: BLE001 - one broken event must not hold back the others
            _log.exception("notification dispatch failed for one event", extra={"outbox_id": outbox_id})
            continue
        if settled:
            _mark_delivered(db, family_id, outbox_id, now)
            report.finished += 1
    return report


def outbox_status(db: Database) -> dict[str, int]:
    """For the operator: events waiting, and deliveries by status (``dead`` ones need a look)."""
    with db.read() as session:
        waiting = session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.delivered_at.is_(None))
        )
        counts = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    return {
        "events_waiting": int(waiting or 0),
        "pending": int(counts.get("pending", 0)),
        "done": int(counts.get("done", 0)),
        "dead": int(counts.get("dead", 0)),
    }


def requeue_dead(db: Database) -> int:
    """For the operator, once the cause is fixed: dead deliveries go back to pending with fresh
    attempts, and their events back to the dispatcher. Returns how many deliveries were requeued."""
    with db.read() as session:
        dead = session.execute(
            select(Delivery.id, Outbox.id, Outbox.family_id)
            .join(Outbox, Outbox.id == Delivery.outbox_id)
            .where(Delivery.status == "dead")
        ).all()
    for delivery_id, outbox_id, family_id in dead:
        with db.write(family_id) as session:
            delivery = session.get(Delivery, delivery_id)
            event = session.get(Outbox, outbox_id)
            if delivery is None or event is None or delivery.status != "dead":
                continue
            delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, None
            event.delivered_at = None
    return len(dead)


class Dispatcher:
    """Runs :func:`dispatch_once` every ``interval`` seconds on a daemon thread until stopped.

    The first pass runs at start, so events a crash left undelivered go out right away.
    """

    def __init__(self, db: Database, clock: Callable[[], datetime], interval: float = 1.0) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="yongdon-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                dispatch_once(self.db, self.clock())
            except Exception:  # noqa: BLE001 - the loop must outlive a bad pass; the next one retries
                _log.exception("notification dispatch failed")
            if self._stop.wait(self.interval):
                break

"""The outbox dispatcher: every domain event, at least once, to each recipient on each channel.

``dispatch_once`` reads undelivered outbox rows in order. For each event it decides the recipients
(the child concerned and/or its parents, never anyone outside the family, never a sibling), then
delivers to every (channel, recipient) that has no finished :class:`Delivery` yet and that the
recipient wants (``preferences``), each in its own savepoint. The unique ``(outbox_id, channel,
user_id)`` delivery row is the idempotency key: it is committed together with the inbox insert, so a
crash or a rerun never delivers twice. A failed delivery is retried with exponential backoff and
becomes ``dead`` after ``max_attempts``. The outbox row is marked delivered once none of its
deliveries is pending: in the same transaction for the inbox, after the send for remote channels.

Remote channels (e-mail, push) talk to another server, which must not happen while the family's
write lock is held: inside the transaction they only *prepare* (resolve the address) and the
delivery is leased for ``SEND_LEASE``, so no other pass or process takes it; the send happens after
the commit, and its outcome is recorded in a short second transaction. A crash between the send and
that record sends the message again after the lease: at least once for remote channels (a mail
server or a phone cannot join our transaction), exactly once for the inbox.

Most events go only to inboxes (a trade's, to its child). Those take a faster path: a chunk of one
family's events (``CHUNK``) is worded in a read transaction (recipients, choices, facts, the sealed
texts), then written in one short write transaction with one multi-row statement per table, after
checking that no other pass delivered any of them meanwhile. The delivery rows still commit with
the inbox rows, so a crash loses or repeats nothing. An event that another channel wants, that was
tried before (retry state) or whose facts cannot be read takes the one-by-one path below.

:class:`Dispatcher` runs ``dispatch_once`` on a background thread (started in the app's lifespan),
pass after pass while a backlog lasts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import JSON, Column, MetaData, Table, Text, bindparam, func, select, update
from sqlalchemy.orm import Session

from ..background import Periodic
from ..db import Database, TemporaryFailure
from ..db.models import (
    ChangeLog,
    Delivery,
    Notification,
    NotificationPref,
    Outbox,
    RequestRow,
    TradeRow,
    User,
)
from ..db.sealed import NoDataKeys, Sealed, SealedJSON, cipher_of, seal_doc, seal_text
from ..ids import new_id
from ..logs import get_logger
from ..market.directory import directory
from .facts import client_facts
from .inbox import ENTITY, PLAIN_ROWS, InboxChannel, Message, audience_of, notification_data
from .preferences import chooses, wants
from .texts import compose, recipients_for
from .weekly import emit_weekly_summaries, week_of

if TYPE_CHECKING:
    from ..payment.crypto import FieldCipher

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
SEND_LEASE = timedelta(minutes=2)
BASE_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(hours=1)
BATCH = 200
CHUNK = 50
"""Events of one family delivered by one write transaction on the fast path. It writes only rows
worded beforehand (a few multi-row statements), so its hold of the write lock stays about that of
one event written the slow way (bench ``o``: the sync cycle's p95 while the dispatcher drains)."""
PACE = 1.0
"""The background dispatcher rests as long as each chunk took, while the server is serving requests.
The lock is not what a drain costs a push: wording is Python, and it shares the server process's
interpreter lock with the requests. Unpaced, a drain made a 10-trade sync cycle's p95 4.5× its idle
value (1,657 events/s); resting 1× kept it at 1.2× (681 events/s), bench ``o3``/``o4``. With nobody
to make wait (no request for a second, ``server.shedding.Gate.busy``) it does not rest: a backlog
left by an evening's trades drains at full speed once the evening is over."""

_log = logging.getLogger("yongdon.notify")
_jobs = get_logger("yongdon.jobs")


class Channel(Protocol):
    """A way to reach a person. ``deliver`` raises on failure; it runs inside the dispatcher's
    transaction (a savepoint), so a database channel's write commits with its delivery record."""

    name: str

    def deliver(self, session: Session, message: Message, now: datetime) -> None: ...


class RemoteChannel(Protocol):
    """A channel to another server. ``prepare`` runs in the transaction and returns what to send
    (``None``: nobody to reach, the delivery is finished); ``send`` runs after the commit and raises
    on failure; ``settle`` (in the recording transaction, after any outcome) applies what the send
    learned, such as a push token the provider says is gone."""

    name: str
    remote: bool

    def prepare(self, session: Session, message: Message) -> Any: ...

    def send(self, prepared: Any) -> None: ...

    def settle(self, session: Session, prepared: Any) -> None: ...


@dataclass(frozen=True)
class _Outbound:
    delivery_id: int
    channel: RemoteChannel
    prepared: Any


def _reaches(session: Session, channel: Channel, person: _Recipient, event: str) -> bool:
    """Whether ``person`` wants ``event`` on ``channel`` and the channel can reach them at all
    (a parent without an address, a device without a push token: no delivery row, nothing to retry)."""
    if not wants(session, person.user_id, person.role, event, channel.name):
        return False
    reaches = getattr(channel, "reaches", None)
    return reaches is None or bool(reaches(session, person.user_id, person.role))


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
    seen: int = 0  # events the pass looked at (a full batch: more may be waiting)


@dataclass(frozen=True)
class _Recipient:
    user_id: str
    role: str
    locale: str


class _Event(Protocol):
    """An outbox row as the wording reads it: the ORM's (one-by-one path) or a Core row (chunks)."""

    @property
    def id(self) -> int: ...
    @property
    def family_id(self) -> str: ...
    @property
    def child_id(self) -> str | None: ...
    @property
    def event(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def request_id(self) -> str | None: ...


def _recipients(session: Session, row: _Event, users: Sequence[Any] | None = None) -> list[_Recipient]:
    audience = recipients_for(row.event)
    actor = row.payload.get("actor_id")
    if users is None:
        users = session.scalars(select(User).where(User.family_id == row.family_id).order_by(User.id)).all()
    found = []
    for user in users:
        if user.role == "child" and audience.child and user.id == row.child_id:
            found.append(_Recipient(user.id, "child", user.locale))
        elif user.role == "parent" and audience.parents and user.id != actor:
            found.append(_Recipient(user.id, "parent", user.locale))
    return found


def _facts(session: Session, row: _Event) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the wording's facts, the data a notification carries) for one event, its child, trade and
    request read through the session (see :func:`_facts_of`)."""
    payload = row.payload
    child = session.get(User, row.child_id) if row.child_id else None
    trade = session.get(TradeRow, payload["trade_id"]) if "trade_id" in payload else None
    request = session.get(RequestRow, payload["request_id"]) if "request_id" in payload else None
    return _facts_of(row, child, trade, request)


def _facts_of(row: _Event, child: Any, trade: Any, request: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the wording's facts, the data a notification carries) for one event, given its child (a
    ``display_name``), trade (``symbol``, ``data``) and request (``data``), each ``None`` if missing.

    The data links to the trade or request and carries the facts for the app to word the
    notification in the reader's language when shown (``server.notify.facts``).
    """
    payload = row.payload
    facts: dict[str, Any] = {k: v for k, v in payload.items() if k not in ("actor_id", "txn_id")}
    link: dict[str, Any] = {k: payload[k] for k in ("trade_id", "request_id", "symbol") if k in payload}
    if row.child_id:
        facts["child"] = child.display_name if child else ""
    trade_data: dict[str, Any] | None = None
    if trade is not None:
        facts.setdefault("symbol", trade.symbol)
        link["symbol"] = trade.symbol
        trade_data = dict(trade.data)
        facts["side"] = trade_data.get("side")
    if request is not None:
        facts.setdefault("amount_real", request.data.get("amount_real"))
    app_facts = client_facts(row.event, facts, trade_data)
    if "amount_real" in facts:
        facts["amount"] = facts["amount_real"]
    if "symbol" in facts:  # the stored text names the stock, never its code
        entry = directory().get(str(facts["symbol"]))
        facts["name_ko"] = entry.name_ko if entry else facts["symbol"]
        facts["name_en"] = (entry.name_en or entry.name_ko) if entry else facts["symbol"]
    link["facts"] = app_facts
    return facts, link


def _deliver_event(
    session: Session,
    outbox_id: int,
    channels: Sequence[Channel],
    now: datetime,
    max_attempts: int,
    report: DispatchReport,
    outbound: list[_Outbound],
) -> bool:
    """Deliver what is due of one event; returns whether none of its deliveries is left pending.

    Remote channels' messages are prepared, leased and appended to ``outbound`` to send after commit.
    """
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
                if not _reaches(session, channel, person, row.event):
                    continue
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
                    if getattr(channel, "remote", False):
                        prepared = channel.prepare(session, message)  # type: ignore[attr-defined]
                        if prepared is not None:
                            delivery.next_attempt_at = now + SEND_LEASE
                            outbound.append(_Outbound(delivery.id, channel, prepared))  # type: ignore[arg-type]
                            settled = False
                            continue  # sent after the commit; recorded by _send_outbound
                    else:
                        channel.deliver(session, message, now)
            except Exception as error:  # noqa: BLE001 - any channel failure is retried, then dead-lettered
                if not _failed(delivery, error, now, max_attempts, report):
                    settled = False
            else:
                delivery.attempts += 1
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = "done", now, None
                report.delivered += 1
    session.flush()
    return settled


def _failed(
    delivery: Delivery, error: Exception, now: datetime, max_attempts: int, report: DispatchReport
) -> bool:
    """Count a failed attempt: back off, or give up (``dead``). Returns whether it is dead."""
    delivery.attempts += 1
    delivery.last_error = f"{type(error).__name__}: {error}"[:200]
    if delivery.attempts >= max_attempts:
        delivery.status, delivery.next_attempt_at = "dead", None
        report.dead += 1
        _log.warning("notification dead-lettered", extra={"outbox_id": delivery.outbox_id})
        return True
    delivery.next_attempt_at = now + backoff(delivery.attempts)
    report.failed += 1
    return False


def _send_outbound(
    db: Database,
    family_id: str,
    outbox_id: int,
    outbound: Sequence[_Outbound],
    now: datetime,
    max_attempts: int,
    report: DispatchReport,
) -> bool:
    """Send the prepared remote messages (no transaction open), then record each outcome.

    Returns whether the event has no pending delivery left.
    """
    outcomes: list[Exception | None] = []
    for item in outbound:
        try:
            item.channel.send(item.prepared)
        except Exception as error:  # noqa: BLE001 - recorded below as a failed attempt
            outcomes.append(error)
        else:
            outcomes.append(None)
    with db.write(family_id) as session:
        for item, error in zip(outbound, outcomes, strict=True):
            delivery = session.get(Delivery, item.delivery_id)
            if delivery is None or delivery.status != "pending":
                continue
            item.channel.settle(session, item.prepared)
            if error is None:
                delivery.attempts += 1
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = "done", now, None
                report.delivered += 1
            else:
                _failed(delivery, error, now, max_attempts, report)
        session.flush()
        pending = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.outbox_id == outbox_id, Delivery.status == "pending")
        )
    return not pending


def _mark(session: Session, outbox_id: int, now: datetime) -> None:
    row = session.get(Outbox, outbox_id)
    if row is not None and row.delivered_at is None:
        row.delivered_at = now


def _mark_delivered(db: Database, family_id: str, outbox_id: int, now: datetime) -> None:
    with db.write(family_id) as session:
        _mark(session, outbox_id, now)


@dataclass
class _Worded:
    """One event's inbox deliveries, worded in a read transaction: the rows to write, nothing else."""

    outbox_id: int
    request_id: str | None
    notifications: list[dict[str, Any]]
    logs: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    plain_logs: list[dict[str, Any]]  # ``logs`` before sealing: what the live channel offers


def _presealed(table: Table) -> Table:
    """``table`` with its sealed columns as plain text and JSON, for rows sealed beforehand: the
    columns' own types would walk every document again while the write lock is held."""
    columns = [
        Column(
            c.name,
            Text() if isinstance(c.type, Sealed) else JSON() if isinstance(c.type, SealedJSON) else c.type,
            default=c.default,  # a change-log row's stamp
        )
        for c in table.columns
    ]
    return Table(table.name, MetaData(), *columns)


_NOTIFICATION_INSERT = _presealed(Notification.__table__).insert()  # type: ignore[arg-type]
_LOG_INSERT = _presealed(ChangeLog.__table__).insert()  # type: ignore[arg-type]
_DELIVERY_INSERT = Delivery.__table__.insert()
_OUTBOX = Outbox.__table__
_DELIVERY = Delivery.__table__
_USER = User.__table__
_TRADE = TradeRow.__table__
_REQUEST = RequestRow.__table__
_PREF = NotificationPref.__table__
# a chunk's reads, as Core statements built once: the ORM's loading (identity map, instances) and
# the statements built per chunk were half of wording one; the sealed columns still open as read
# (their types' result processing: names, a trade's journal)
_CHUNK_EVENTS = (
    select(
        _OUTBOX.c.id,
        _OUTBOX.c.family_id,
        _OUTBOX.c.child_id,
        _OUTBOX.c.event,
        _OUTBOX.c.payload,
        _OUTBOX.c.request_id,
    )
    .where(
        _OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        _OUTBOX.c.family_id == bindparam("family_id"),
        _OUTBOX.c.delivered_at.is_(None),
    )
    .order_by(_OUTBOX.c.id)
)
_OPEN = select(_OUTBOX.c.id).where(
    _OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _OUTBOX.c.delivered_at.is_(None)
)
_BEGUN = select(_DELIVERY.c.outbox_id).where(_DELIVERY.c.outbox_id.in_(bindparam("ids", expanding=True)))
_FAMILY_USERS = (
    select(_USER.c.id, _USER.c.role, _USER.c.locale, _USER.c.display_name)
    .where(_USER.c.family_id == bindparam("family_id"))
    .order_by(_USER.c.id)
)
_FAMILY_PREFS = select(_PREF).where(_PREF.c.family_id == bindparam("family_id"))
_TRADES = select(_TRADE.c.trade_id, _TRADE.c.symbol, _TRADE.c.data).where(
    _TRADE.c.trade_id.in_(bindparam("ids", expanding=True))
)
_REQUESTS = select(_REQUEST.c.request_id, _REQUEST.c.data).where(
    _REQUEST.c.request_id.in_(bindparam("ids", expanding=True))
)
_MARK_CHUNK = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(delivered_at=bindparam("delivered_at"))
)


class _SealOnce:
    """A cipher for one chunk that seals each distinct value of a column once.

    A chunk repeats the same values (a child's name in every event's facts, the same title under
    each event kind and language): sealing was a third of a drain's wording. A value is bound to its
    table and column, not its row, so rows may share one sealed copy; what a stolen file then shows
    is which of one family's notifications, written by one chunk, say the same thing.
    """

    def __init__(self, cipher: FieldCipher) -> None:
        self._cipher = cipher
        self._sealed: dict[tuple[str, str, str, str], bytes] = {}

    def seal(self, plaintext: str, *, table: str, column: str, row_id: str) -> bytes:
        key = (plaintext, table, column, row_id)
        sealed = self._sealed.get(key)
        if sealed is None:
            sealed = self._sealed[key] = self._cipher.seal(
                plaintext, table=table, column=column, row_id=row_id
            )
        return sealed


@dataclass
class _Family:
    """What a chunk's wording reads once for all its events: the family's users (with their names),
    their notification choices, and the chunk's trades and requests, as Core rows."""

    users: Sequence[Any]
    prefs: dict[tuple[str, str], Any]
    trades: dict[str, Any]
    requests: dict[str, Any]

    def facts(self, session: Session, row: _Event) -> tuple[dict[str, Any], dict[str, Any]]:
        """:func:`_facts` from what was read; one not read (none there) is looked up as it does."""
        payload = row.payload
        child = trade = request = None
        if row.child_id:
            child = next((u for u in self.users if u.id == row.child_id), None)
            child = child if child is not None else session.get(User, row.child_id)
        if "trade_id" in payload:
            trade = self.trades.get(payload["trade_id"])
            trade = trade if trade is not None else session.get(TradeRow, payload["trade_id"])
        if "request_id" in payload:
            request = self.requests.get(payload["request_id"])
            request = request if request is not None else session.get(RequestRow, payload["request_id"])
        return _facts_of(row, child, trade, request)


def _word(
    session: Session,
    row: _Event,
    family: _Family,
    channels: Sequence[Channel],
    reach: dict[tuple[str, str], bool],
    cipher: FieldCipher | None,
    now: datetime,
) -> _Worded | None:
    """The rows that deliver ``row`` to every inbox that wants it, or ``None`` when another channel
    wants it too (the one-by-one path leases and sends those)."""
    users, prefs = family.users, family.prefs
    worded = _Worded(row.id, row.request_id, [], [], [], [])
    facts: tuple[dict[str, Any], dict[str, Any]] | None = None
    for person in _recipients(session, row, users):
        for channel in channels:
            if not chooses(prefs.get((person.user_id, row.event)), person.role, row.event, channel.name):
                continue
            reaches = getattr(channel, "reaches", None)
            if reaches is not None:
                key = (channel.name, person.user_id)
                if key not in reach:
                    reach[key] = bool(reaches(session, person.user_id, person.role))
                if not reach[key]:
                    continue
            if type(channel) is not InboxChannel:  # a remote channel, or an inbox with its own deliver
                return None
            facts = facts or family.facts(session, row)
            title, body = compose(row.event, person.role, person.locale, facts[0])
            note: dict[str, Any] = {
                "id": new_id(),
                "family_id": row.family_id,
                "user_id": person.user_id,
                "child_id": row.child_id,
                "event": row.event,
                "title": title[:200],
                "body": body[:500],
                "data": {"event": row.event, "child_id": row.child_id, **facts[1]},
                "created_at": now,
                "read_at": None,
            }
            log = {
                "family_id": row.family_id,
                "audience": audience_of(person.role, person.user_id),
                "entity": ENTITY,
                "entity_id": note["id"],
                "op": "put",
                "data": notification_data(note),
                "created_at": now,
            }
            if cipher is None:  # a handle without data keys refuses to write a name unsealed
                raise NoDataKeys("notifications are sealed: open the database with its data keys")
            # sealed here, so the write under the lock only writes
            note["title"] = seal_text(cipher, note["title"], "notifications.title")
            note["body"] = seal_text(cipher, note["body"], "notifications.body")
            note["data"] = seal_doc(cipher, note["data"], "notifications.data")
            worded.plain_logs.append(dict(log))
            log["data"] = seal_doc(cipher, log["data"], "changelog.data")
            worded.notifications.append(note)
            worded.logs.append(log)
            worded.deliveries.append(
                {
                    "outbox_id": row.id,
                    "channel": channel.name,
                    "user_id": person.user_id,
                    "status": "done",
                    "attempts": 1,
                    "last_error": None,
                    "next_attempt_at": None,
                    "delivered_at": now,
                }
            )
    return worded


def _word_chunk(
    db: Database, family_id: str, ids: list[int], channels: Sequence[Channel], now: datetime
) -> tuple[list[_Worded], list[int]]:
    """(events worded for the fast path, events left to the one-by-one path), reading the family's
    users, choices, trades and requests once for the whole chunk, outside the write lock."""
    worded: list[_Worded] = []
    slow: list[int] = []
    with db.read() as session:
        read = session.connection().execute
        rows = read(_CHUNK_EVENTS, {"ids": ids, "family_id": family_id}).all()
        begun = set(read(_BEGUN, {"ids": ids}).scalars())
        trade_ids = [r.payload["trade_id"] for r in rows if isinstance(r.payload.get("trade_id"), str)]
        request_ids = [r.payload["request_id"] for r in rows if isinstance(r.payload.get("request_id"), str)]
        family = _Family(
            users=read(_FAMILY_USERS, {"family_id": family_id}).all(),
            prefs={(p.user_id, p.event): p for p in read(_FAMILY_PREFS, {"family_id": family_id})},
            trades={t.trade_id: t for t in read(_TRADES, {"ids": trade_ids})} if trade_ids else {},
            requests={r.request_id: r for r in read(_REQUESTS, {"ids": request_ids})} if request_ids else {},
        )
        reach: dict[tuple[str, str], bool] = {}
        found = cipher_of(session.get_bind().dialect)
        cipher = cast("FieldCipher", _SealOnce(found)) if found is not None else None
        for row in rows:
            if row.id in begun:  # a delivery was tried before: its retry state is the slow path's
                slow.append(row.id)
                continue
            try:
                event = _word(session, row, family, channels, reach, cipher, now)
            except Exception:  # noqa: BLE001 - the one-by-one path backs it off and dead-letters it
                event = None
            if event is None:
                slow.append(row.id)
            else:
                worded.append(event)
    return worded, slow


def _write_worded(session: Session, worded: list[_Worded], now: datetime) -> list[_Worded]:
    """Write the worded deliveries of the events still undelivered and untouched; returns those.

    One multi-row statement per table: the notifications, their change-log rows, the delivery rows
    (the idempotency key, committed with the inbox rows) and the events marked delivered.
    """
    db = session.connection()
    ids = [w.outbox_id for w in worded]
    open_ids = set(db.execute(_OPEN, {"ids": ids}).scalars())
    begun = set(db.execute(_BEGUN, {"ids": ids}).scalars())
    fresh = [w for w in worded if w.outbox_id in open_ids and w.outbox_id not in begun]
    notifications = [n for w in fresh for n in w.notifications]
    if notifications:
        db.execute(_NOTIFICATION_INSERT, notifications)
        plain = [entry for w in fresh for entry in w.plain_logs]
        logs = [entry for w in fresh for entry in w.logs]
        db.execute(_LOG_INSERT, logs, execution_options={PLAIN_ROWS: plain})
        db.execute(_DELIVERY_INSERT, [d for w in fresh for d in w.deliveries])
    if fresh:
        db.execute(_MARK_CHUNK, {"ids": [w.outbox_id for w in fresh], "delivered_at": now})
    return fresh


def _deliver_chunk(
    db: Database,
    family_id: str,
    ids: list[int],
    channels: Sequence[Channel],
    now: datetime,
    report: DispatchReport,
) -> list[int]:
    """Deliver what the fast path can of a chunk of one family's events; returns the events left to
    the one-by-one path. Worded outside the write lock; written in one short transaction."""
    started = time.perf_counter()
    worded, slow = _word_chunk(db, family_id, ids, channels, now)
    if not worded:
        return slow
    with db.write(family_id) as session:
        written = _write_worded(session, worded, now)
    ms = round((time.perf_counter() - started) * 1000, 1)
    # one line per request whose events the chunk delivered (a push of 500 trades is one request),
    # not one per event: a line per event was 12 % of a drain's time
    requests: dict[str | None, list[int]] = {}
    for event in written:
        report.delivered += len(event.deliveries)
        report.finished += 1
        requests.setdefault(event.request_id, []).append(event.outbox_id)
    for request_id, outbox_ids in requests.items():
        _jobs.info(
            "job",
            job="notify.deliver",
            request_id=request_id,
            outbox_id=outbox_ids[0],
            events=len(outbox_ids),
            last_outbox_id=outbox_ids[-1],
            ms=ms,
        )
    return slow


def dispatch_once(
    db: Database,
    now: datetime,
    *,
    channels: Sequence[Channel] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    batch: int = BATCH,
    pace: float = 0.0,
    busy: Callable[[], bool] | None = None,
) -> DispatchReport:
    """One pass over up to ``batch`` undelivered events, oldest first.

    Each event has its own short write transaction, which also marks it delivered when nothing is
    left to send (a second commit per event competed with the family's pushes for the write lock;
    several events per transaction held the lock long enough to show in a push's latency).
    Inbox-only events go faster, in chunks (see the module's docstring); after each chunk the pass
    rests ``pace`` times as long as the chunk took, if ``busy()`` says requests are being served
    (always, without ``busy``).
    """
    channels = default_channels() if channels is None else channels
    report = DispatchReport()
    with db.read() as session:
        due = session.execute(
            select(Outbox.id, Outbox.family_id, Outbox.request_id)
            .where(Outbox.delivered_at.is_(None))
            .order_by(Outbox.id)
            .limit(batch)
        ).all()
    report.seen = len(due)
    for outbox_id, family_id, request_id in _fast_first(db, due, channels, now, report, pace, busy):
        started = time.perf_counter()
        outbound: list[_Outbound] = []
        try:
            with db.write(family_id) as session:
                settled = _deliver_event(session, outbox_id, channels, now, max_attempts, report, outbound)
                if settled:  # nothing left to send (a prepared remote message leaves it unsettled)
                    _mark(session, outbox_id, now)
            if outbound:
                settled = _send_outbound(db, family_id, outbox_id, outbound, now, max_attempts, report)
                if settled:
                    _mark_delivered(db, family_id, outbox_id, now)
        except TemporaryFailure:
            raise  # the database is busy or gone: the whole pass waits for the next tick
        except Exception:  # noqa: BLE001 - one broken event must not hold back the others
            _log.exception("notification dispatch failed for one event", extra={"outbox_id": outbox_id})
            continue
        if settled:
            report.finished += 1
        # one line per event, with the id of the request that wrote it (server.requestid)
        ms = round((time.perf_counter() - started) * 1000, 1)
        _jobs.info("job", job="notify.deliver", request_id=request_id, outbox_id=outbox_id, ms=ms)
    return report


def _fast_first(
    db: Database,
    due: Sequence[Any],
    channels: Sequence[Channel],
    now: datetime,
    report: DispatchReport,
    pace: float,
    busy: Callable[[], bool] | None,
) -> list[tuple[int, str, str | None]]:
    """Deliver the inbox-only events of ``due`` in chunks of a family's events; returns the rest, in
    order, for the one-by-one path (remote channels, retries, events whose facts fail)."""
    families: dict[str, list[int]] = {}
    for outbox_id, family_id, _ in due:
        families.setdefault(family_id, []).append(outbox_id)
    slow: set[int] = set()
    for family_id, ids in families.items():
        for start in range(0, len(ids), CHUNK):
            began = time.perf_counter()
            try:
                slow.update(_deliver_chunk(db, family_id, ids[start : start + CHUNK], channels, now, report))
            except TemporaryFailure:
                raise
            except Exception:  # noqa: BLE001 - the one-by-one path isolates the broken event
                _log.exception(
                    "notification chunk failed; delivering one by one", extra={"family_id": family_id}
                )
                slow.update(ids[start : start + CHUNK])
            if pace and (busy is None or busy()):
                time.sleep(pace * (time.perf_counter() - began))
    return [(i, f, r) for i, f, r in due if i in slow]


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


class Dispatcher(Periodic):
    """Runs :func:`dispatch_once` every ``interval`` seconds on a daemon thread until stopped.

    The first pass runs at start, so events a crash left undelivered go out right away. Once a week
    (and after the first pass, if this week's are missing) it also writes the weekly summaries.
    """

    thread_name = "yongdon-dispatcher"

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        interval: float = 1.0,
        channels: Sequence[Channel] | None = None,
        pace: float = PACE,
        busy: Callable[[], bool] | None = None,
    ) -> None:
        self.db = db
        self.pace = pace
        self.busy = busy  # whether requests are being served: it rests only then (always, when None)
        self.clock = clock
        self.interval = interval
        self.channels = channels
        self._week: str | None = None
        super().__init__()

    def run_once(self) -> None:
        now = self.clock()
        # a backlog (a busy evening's trades) drains pass after pass, not one batch a second
        while not self._stop.is_set():
            report = dispatch_once(self.db, now, channels=self.channels, pace=self.pace, busy=self.busy)
            if report.seen < BATCH or not report.finished:  # drained, or only retries waiting
                break
            now = self.clock()
        if week_of(now) != self._week:  # after the pass: what a crash left waits for nothing
            emit_weekly_summaries(self.db, now)
            self._week = week_of(now)

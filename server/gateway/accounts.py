"""Changes to accounts, devices, sessions and a member's notifications: the same door as the
changes to a family's books.

A book's change is a ``sync`` mutation (``record``). An account's change is none: no device makes
one offline and no replay decides it again. It passes the gateway all the same, and is checked by
the same rules in the same order as a mutation (``guards``), from one table (:data:`ACCOUNT_CHANGES`):

1. the object it names outside the caller's family: ``NOT_FOUND``, for every role, so another
   family's object does not exist for the caller (a child or a device of the family; a
   notification of the caller itself; a member: the caller, or one of its family);
2. a role the table does not list: ``FORBIDDEN``;
3. a change that needs step-up, from a parent whose password is older than 5 minutes:
   ``STEP_UP_REQUIRED``.

The operator has no family: a change whose row does not list ``ADMIN`` is ``NOT_FOUND`` to it
(there is no family's data for it), and one that does reaches the operator itself alone.

Rule 2 is also a route's guard (:func:`route_guard`): a caller whose role may never make the change is
refused before its body is read (403, not 422: it learns nothing of the body's shape). It is the
same rule from the same row, so the route and the change cannot disagree; the change applies all
three rules again in its transaction, where a service called from elsewhere is checked too.

Then the change runs in one write transaction of the family (:meth:`AccountDoor.change`); a change
whose effect leaves the server (a push, an e-mail) is checked and reads what it sends in a read
transaction (:meth:`AccountDoor.sending`). The
changes that make a caller (register, sign-in, PIN sign-in, joining with a code, refreshing or
ending a session, the operator's setup) have no caller to check yet: :meth:`AccountDoor.signing_in`
opens their transaction, and what they may do is decided by the credentials they carry and by
the failure budgets of ``server.accounts.throttle``, counted on the gateway's limiter.

So: *who may reset a child's PIN?* A parent of the child's family, stepped up (below). *Who may
send a test push to a child?* A parent of its family (and the operator only to itself).

Refusals leave as :class:`~server.errors.DomainError`, mapped to HTTP once (``server.problems``).
A refusal whose writes must stand (a wrong PIN counted, a stolen session revoked) is raised with
``keep=True``: the transaction commits, then the refusal is answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode
from sync.records import Role

from ..auth.guards import Guard, principal_of
from ..db import Database
from ..db.models import Device, Notification, User
from ..errors import DomainError
from ..principal import Principal
from ..ratelimit import RateLimiter
from .guards import family_of

__all__ = ["ACCOUNT_CHANGES", "AccountChange", "AccountDoor", "AccountPass", "Who", "check", "route_guard"]

_PARENT = frozenset({Role.PARENT})
_MEMBER = frozenset({Role.PARENT, Role.CHILD})
_SENDER = frozenset({Role.PARENT, Role.ADMIN})


@dataclass(frozen=True)
class Who:
    """One account change's row of the table: the roles that may make it, the kind of object it
    names (``child`` or ``device`` of the caller's family, ``notification`` of the caller itself,
    ``member``: the caller, or one of its family), and whether it needs step-up."""

    roles: frozenset[Role]
    names: str | None = None
    step_up: bool = False


ACCOUNT_CHANGES: dict[str, Who] = {
    "child.add": Who(_PARENT),
    "child.pin_reset": Who(_PARENT, names="child", step_up=True),
    "link.child_device": Who(_PARENT, names="child"),
    "link.parent_invite": Who(_PARENT),
    "device.revoke": Who(_PARENT, names="device", step_up=True),
    "bank_account.set": Who(_PARENT, step_up=True),
    "payout.send": Who(_PARENT, step_up=True),  # before a rail moves money (the marking checks again)
    # the hosted service's premium plan (``server.payment.subscriptions``): the family's, never a child's
    "subscription.read": Who(_PARENT),  # a read
    "subscription.trial": Who(_PARENT),  # free, no card
    "subscription.subscribe": Who(_PARENT, step_up=True),  # a card will be charged
    "subscription.cancel": Who(_PARENT, step_up=True),
    # a family's data rights (``server.privacy``): no child named is the whole family
    "erasure.request": Who(_PARENT, names="child", step_up=True),
    "erasure.cancel": Who(_PARENT, names="child", step_up=True),
    "data.export": Who(_PARENT, names="child", step_up=True),  # a read: the family's data leaves
    "erasure.list": Who(_PARENT),  # a read
    # a member's own notifications (``server.notify``): its inbox, its channels, its device's token
    "notification.read": Who(_MEMBER, names="notification"),
    "notification.preferences": Who(_MEMBER),  # which events a role hears: ``notify.preferences``
    "push_token.set": Who(_MEMBER),  # the device is the caller's token's own
    # a test message or a parent's announcement to a member (none named: the caller itself)
    "push.send": Who(_SENDER, names="member"),
    "email.send": Who(_SENDER, names="member"),
    # a parent's own phone number for SMS (``server.notify.phone``): children never have one
    "phone.set": Who(_PARENT, step_up=True),
    "phone.verify": Who(_PARENT),  # the code sent to the number is the proof
    "phone.remove": Who(_PARENT, step_up=True),
    # a parent's mission for a child (``server.missions``): it promises game money, so step-up, like
    # the house rules; its reward is the server's own action once the child meets it
    "mission.create": Who(_PARENT, names="child", step_up=True),
    "mission.cancel": Who(_PARENT, names="child", step_up=True),
}
"""Who may make each account change (the sign-in changes have no caller yet: none is here), and
the two reads that are a parent's right alone (``data.export``, ``erasure.list``)."""

AccountChange = str
Named = User | Device | Notification


def _named(
    session: Session, kind: str | None, object_id: str | None, principal: Principal, family_id: str | None
) -> Named | None:
    if kind == "member":  # the caller itself, or a member of its family (the operator: itself)
        member = session.get(User, object_id or principal.user_id)
        if member is None or (
            member.id != principal.user_id and (family_id is None or member.family_id != family_id)
        ):
            raise DomainError(Code.NOT_FOUND, "no such member")
        return member
    if kind is None or object_id is None:
        return None
    if kind == "notification":  # the caller's own: another member's does not exist for it
        note = session.get(Notification, object_id)
        if note is None or note.user_id != principal.user_id:
            raise DomainError(Code.NOT_FOUND, "no such notification")
        return note
    if kind == "child":
        child = session.get(User, object_id)
        if child is None or child.role != Role.CHILD.value or child.family_id != family_id:
            raise DomainError(Code.NOT_FOUND, "no such child")
        return child
    device = session.get(Device, object_id)
    if device is None or device.family_id != family_id:
        raise DomainError(Code.NOT_FOUND, "no such device")
    return device


def _family(principal: Principal, who: Who) -> str | None:
    """The caller's family; the operator's ``None`` only where the row lets it act (on itself)."""
    return principal.family_id if Role.ADMIN in who.roles else family_of(principal)


def _role(principal: Principal, who: Who) -> None:
    if principal.role not in who.roles:
        raise DomainError(Code.FORBIDDEN, "your role may not do this")


def check(
    session: Session, principal: Principal, name: AccountChange, object_id: str | None, now: datetime
) -> Named | None:
    """Rules 1–3 for ``principal`` making change ``name`` on ``object_id``; answers the object."""
    who = ACCOUNT_CHANGES[name]
    found = _named(session, who.names, object_id, principal, _family(principal, who))
    _role(principal, who)
    if who.step_up and not principal.elevated(now):
        raise DomainError(ProtocolCode.STEP_UP_REQUIRED, "confirm your password first (step-up)")
    return found


def route_guard(name: AccountChange) -> Guard:
    """Rule 2 of change ``name`` as a route guard, answered before the body is read (the operator
    on a change of a family's: ``NOT_FOUND`` first, as :func:`check` answers it)."""
    who = ACCOUNT_CHANGES[name]

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        _family(principal, who)
        _role(principal, who)

    guard.__name__ = guard.__qualname__ = f"route_guard({name})"
    return guard


@dataclass
class AccountPass:
    """One account change's write transaction: the session, the server time, and for a caller's
    change the caller, its family and the object the change names (checked)."""

    session: Session
    now: datetime
    principal: Principal | None = None
    family_id: str | None = None
    named: Named | None = None

    def child(self) -> User:
        assert isinstance(self.named, User)
        return self.named

    member = child  # a ``member`` row names a user too

    def device(self) -> Device:
        assert isinstance(self.named, Device)
        return self.named

    def notification(self) -> Notification:
        assert isinstance(self.named, Notification)
        return self.named


class AccountDoor:
    """The account half of the gateway: its database, clock and failure budgets."""

    def __init__(self, db: Database, clock: Callable[[], datetime], limiter: RateLimiter) -> None:
        self.db, self.clock, self.limiter = db, clock, limiter

    def allowed(
        self, principal: Principal, name: AccountChange, object_id: str | None = None
    ) -> Named | None:
        """The checks of :meth:`change` ahead of it, in a read transaction: for a change that first
        does slow work (Argon2) that must not run for a caller the change refuses. The object is
        detached: read what it holds, change it only in :meth:`change`."""
        with self.db.read() as session:
            found = check(session, principal, name, object_id, self.clock())
            if found is not None:
                session.expunge(found)
            return found

    @contextmanager
    def change(
        self, principal: Principal, name: AccountChange, object_id: str | None = None
    ) -> Iterator[AccountPass]:
        """The caller's change ``name``, checked (rules 1–3) in its write transaction."""
        family_id = family_of(principal)
        with self._pass(family_id) as call:
            call.principal, call.family_id = principal, family_id
            call.named = check(call.session, principal, name, object_id, call.now)
            yield call

    @contextmanager
    def sending(
        self, principal: Principal, name: AccountChange, object_id: str | None = None
    ) -> Iterator[AccountPass]:
        """The caller's change ``name`` whose effect leaves the server (a message sent), checked
        (rules 1–3) in a read transaction, where it reads what it sends: nothing here is written."""
        with self.db.read() as session:
            now = self.clock()
            named = check(session, principal, name, object_id, now)
            yield AccountPass(session, now, principal, principal.family_id, named)

    @contextmanager
    def signing_in(self, family_id: str | None = None) -> Iterator[AccountPass]:
        """A change that makes a caller (it has none to check yet), in ``family_id``'s transaction."""
        with self._pass(family_id) as call:
            yield call

    @contextmanager
    def _pass(self, family_id: str | None) -> Iterator[AccountPass]:
        kept: DomainError | None = None
        with self.db.write(family_id) as session:
            try:
                yield AccountPass(session=session, now=self.clock(), family_id=family_id)
            except DomainError as refusal:
                if not refusal.keep:
                    raise
                kept = refusal  # leaving the block commits what the refusal wrote
        if kept is not None:
            raise kept

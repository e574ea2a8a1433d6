"""What KakaoPay's return addresses do: complete a payout with its ``pg_token``, or close it.

KakaoPay sends the parent's browser back to the signed addresses of ``server/payment/links.py``.
``approved`` completes the payout through the same path as ``POST /api/payment/transfer``
(:meth:`Payments.pay` with the ``pg_token``): KakaoPay's approval, then ``allowance.mark_paid`` with
the approval id as the reference. ``cancelled`` and ``failed`` close the link without paying; the
request stays approved and can be paid again.

The browser carries no credentials: the payout is completed for the parent who opened the link,
stepped up at that moment. The signed address stands for that password, for this payout only, and
only while that parent is still a parent of the family. Every answer is read back from the stored
payout, so a reloaded page shows the same outcome and never approves twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode
from sync.records import Role

from ..db import Database
from ..db.models import Payout, User
from ..errors import DomainError
from ..gateway import Gateway, Runner
from ..principal import Principal
from .services import Payments

__all__ = ["Returned", "abandon", "complete", "find"]

_NOT_PAYABLE = {Code.ALREADY_DECIDED.value, Code.NOT_FOUND.value, ProtocolCode.CONFLICT.value}
STAND_IN_S = 60  # long enough for the provider's approval call; the signed address is the consent
_CLOSED = {
    "cancelled": "cancelled in KakaoPay by the parent",
    "failed": "KakaoPay reported that the payment failed",
}


@dataclass(frozen=True)
class Returned:
    """What the page shows: ``paid``, ``failed``, ``cancelled`` or ``waiting`` (not finished)."""

    outcome: str
    locale: str
    child: str
    amount_real: int
    reference: str | None = None
    error: str | None = None


def find(db: Database, payout_id: str) -> bool:
    """Whether a KakaoPay payout of that id exists (the signature was checked by the caller)."""
    with db.read() as session:
        row = session.get(Payout, payout_id)
        return row is not None and row.rail == "kakaopay"


def _returned(session: Session, row: Payout) -> Returned:
    creator = session.get(User, row.created_by)
    child = session.get(User, row.child_id)
    locale = creator.locale if creator is not None and creator.locale in ("ko", "en") else "ko"
    outcome = {"paid": "paid", "pending": "waiting"}.get(row.status, "failed")
    if row.status == "failed" and row.error == _CLOSED["cancelled"]:
        outcome = "cancelled"
    return Returned(
        outcome,
        locale,
        child.display_name if child is not None else "",
        row.amount_real,
        row.reference if row.status == "paid" else None,
        row.error if outcome == "failed" else None,
    )


def _stand_in(session: Session, row: Payout, now: datetime) -> Principal | None:
    """The parent who opened the link, as if it had just confirmed its password; ``None`` when that
    person is no longer a parent of the family (the link then completes nothing)."""
    user = session.get(User, row.created_by)
    if user is None or user.family_id != row.family_id or user.role != Role.PARENT.value:
        return None
    return Principal(
        user.id, Role.PARENT, row.family_id, None, elevated_until=now + timedelta(seconds=STAND_IN_S)
    )


def complete(payments: Payments, gateway: Gateway, payout_id: str, pg_token: str | None) -> Returned:
    """KakaoPay's ``approved`` return: pay the pending payout with ``pg_token`` (once), through the
    gateway as the parent who opened the link."""
    db, clock = gateway.db, gateway.clock
    with db.read() as session:
        row = session.get(Payout, payout_id)
        assert row is not None
        pending = row.status == "pending"
        principal = _stand_in(session, row, clock()) if pending and pg_token else None
        request_id, family_id = row.request_id, row.family_id
    if principal is not None:
        try:
            runner = Runner(gateway, principal)
            payments.pay(runner, request_id, rail="kakaopay", pg_token=pg_token, payout_id=payout_id)
        except DomainError as error:
            # a refused approval is already recorded on the payout. A request that is no longer
            # approved (another parent paid it meanwhile) leaves it pending: close it here. Anything
            # else (the server busy) leaves it pending: the page says so and a reload tries again
            if error.code in _NOT_PAYABLE:
                _close_if_pending(db, family_id, payout_id, clock(), f"not paid: {error.code}")
    elif pending and pg_token:
        _close_if_pending(db, family_id, payout_id, clock(), "the parent who opened it left the family")
    with db.read() as session:
        found = session.get(Payout, payout_id)
        assert found is not None
        return _returned(session, found)


def abandon(db: Database, clock: Callable[[], datetime], payout_id: str, why: str) -> Returned:
    """KakaoPay's ``cancelled`` or ``failed`` return: nothing was paid; the link is closed."""
    with db.read() as session:
        row = session.get(Payout, payout_id)
        assert row is not None
        family_id = row.family_id
    _close_if_pending(db, family_id, payout_id, clock(), _CLOSED[why])
    with db.read() as session:
        found = session.get(Payout, payout_id)
        assert found is not None
        return _returned(session, found)


def _close_if_pending(db: Database, family_id: str, payout_id: str, now: datetime, why: str) -> None:
    with db.write(family_id) as session:
        row = session.get(Payout, payout_id)
        if row is not None and row.status == "pending":  # a paid or closed payout keeps its outcome
            row.status, row.error, row.finished_at = "failed", why[:200], now

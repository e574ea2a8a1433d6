"""Charging a family's plan: when a card is added, and at each period's end (the renewal job).

A charge takes three steps, as a payout does (``server.payment.services``): the charge row is
committed ``pending`` first (its id is Toss' ``orderId`` and ``Idempotency-Key``), Toss is called
outside any transaction, then the answer and the subscription's new state commit together. Whoever
comes next for the same period — a second pass of the job, another server process, the pass after
a crash — finds that row: a ``paid`` one is not charged again, a ``pending`` one (its answer was
lost) is sent again with the same order id, and Toss' idempotency answers the first result. Only a
definite decline makes the next try a new order (``…-2``, ``…-3``).

The job runs on the server's clock: a period is due at ``period_end``; a declined renewal is
retried every ``billing_retry_hours`` until ``billing_grace_days`` after the period's end, premium
staying on meanwhile (``past_due``); then the plan lapses. Nothing here reads or writes a child's
money, portfolio, requests or payouts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..background import Periodic
from ..db import Database
from ..db.models import Family, Subscription, SubscriptionCharge
from ..logs import get_logger
from ..settings import Settings
from .billing import Charge, TossBilling
from .subscriptions import PLANS, add_months, price

__all__ = ["Renewals", "add_card", "renew_due"]

_log = get_logger("yongdon.billing")
ORDER_NAME = {"monthly": "용돈 프리미엄 (월간)", "yearly": "용돈 프리미엄 (연간)"}


def _order_id(customer_key: str, period_start: datetime, attempt: int) -> str:
    return f"{customer_key}-{period_start:%Y%m%d%H%M}-{attempt}"[:64]


def _open_charge(
    db: Database, settings: Settings, family_id: str, period_start: datetime, now: datetime
) -> tuple[str, str, str, int, str] | str | None:
    """The charge to send for the period starting at ``period_start``: (order id, billing key,
    customer key, amount, plan); ``"paid"`` when it was paid already; ``None`` when there is
    nothing to charge (no card, no plan) or another pass is opening it right now."""
    try:
        with db.write(family_id) as session:
            row = session.get(Subscription, family_id)
            if row is None or row.billing_key is None or row.plan not in PLANS:
                return None
            charges = list(
                session.scalars(
                    select(SubscriptionCharge).where(
                        SubscriptionCharge.family_id == family_id,
                        SubscriptionCharge.period_start == period_start,
                    )
                )
            )
            if any(c.status == "paid" for c in charges):
                return "paid"
            pending = next((c for c in charges if c.status == "pending"), None)
            if pending is None:
                pending = SubscriptionCharge(
                    id=_order_id(row.customer_key, period_start, len(charges) + 1),
                    family_id=family_id,
                    plan=row.plan,
                    amount=price(settings, row.plan),
                    period_start=period_start,
                    status="pending",
                    created_at=now,
                )
                session.add(pending)
            return pending.id, row.billing_key, row.customer_key, pending.amount, pending.plan
    except IntegrityError:
        return None  # the same order opened by another pass at the same moment: that pass sends it


def _charge(
    db: Database, billing: TossBilling, settings: Settings, family_id: str, start: datetime, now: datetime
) -> Charge | None:
    opened = _open_charge(db, settings, family_id, start, now)
    if opened is None:
        return None
    if opened == "paid":
        return Charge("paid")
    order_id, billing_key, customer_key, amount, plan = opened
    result = billing.charge(billing_key, customer_key, order_id, amount, ORDER_NAME[plan])
    with db.write(family_id) as session:
        charge = session.get(SubscriptionCharge, order_id)
        row = session.get(Subscription, family_id)
        assert charge is not None and row is not None
        if result.status != "unknown" and charge.status == "pending":
            charge.status = "paid" if result.status == "paid" else "failed"
            charge.payment_key, charge.error, charge.finished_at = result.payment_key, result.error, now
        if result.status == "paid":
            months = PLANS[charge.plan]
            row.status, row.period_start, row.period_end = "active", start, add_months(start, months)
            row.retry_at = row.grace_until = None
            row.paid_once, row.updated_at = True, now
    _log.info("subscription charge", outcome=result.status, plan=plan, amount=amount)
    return result


def _settle(
    db: Database, billing: TossBilling, settings: Settings, family_id: str, now: datetime
) -> str | None:
    """One due family: end it (cancelled, or a trial without a card), charge it, or lapse it."""
    with db.read() as session:
        row = session.get(Subscription, family_id)
        if row is None or row.status not in ("trial", "active", "past_due"):
            return None
        due = row.period_end <= now and (row.retry_at is None or row.retry_at <= now)
        if not due:
            return None
        # a family the operator disabled cannot use what it would pay for: it is not charged, and
        # its plan lapses (a parent subscribes again once the family is enabled)
        family = session.get(Family, family_id)
        disabled = family is None or family.disabled_at is not None
        ending = disabled or row.cancel_at_period_end or row.billing_key is None or row.plan not in PLANS
        start, grace_until = row.period_end, row.grace_until
    if ending:
        with db.write(family_id) as session:
            found = session.get(Subscription, family_id)
            assert found is not None
            found.status = "cancelled" if found.cancel_at_period_end else "lapsed"
            found.updated_at = now
            return found.status
    result = _charge(db, billing, settings, family_id, start, now)
    if result is None or result.status in ("paid", "unknown"):
        return result.status if result else None
    # declined: retried until the grace runs out, premium staying on until then
    grace_until = grace_until or start + timedelta(days=settings.billing_grace_days)
    with db.write(family_id) as session:
        found = session.get(Subscription, family_id)
        assert found is not None
        found.grace_until, found.updated_at = grace_until, now
        if now >= grace_until:
            found.status, found.retry_at = "lapsed", None
        else:
            found.status = "past_due"
            found.retry_at = min(now + timedelta(hours=settings.billing_retry_hours), grace_until)
        return found.status


def renew_due(db: Database, billing: TossBilling, settings: Settings, now: datetime) -> dict[str, int]:
    """One pass over every family whose period (or retry) is due: what became of them, counted."""
    with db.read() as session:
        due = list(
            session.scalars(
                select(Subscription.family_id).where(
                    Subscription.status.in_(("trial", "active", "past_due")),
                    Subscription.period_end <= now,
                )
            )
        )
    outcomes: dict[str, int] = {}
    for family_id in due:
        outcome = _settle(db, billing, settings, family_id, now)
        if outcome is not None:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def add_card(
    db: Database, billing: TossBilling, settings: Settings, customer_key: str, auth_key: str, now: datetime
) -> str:
    """Toss' success return: the ``authKey`` becomes the family's billing key (sealed); a family not
    in a running trial or paid period is charged for its first period at once. Answers ``trial``,
    ``active`` (charged or already paid), ``declined`` or ``failed`` (no billing key)."""
    card = billing.issue(customer_key, auth_key)
    with db.read() as session:
        found = session.scalars(select(Subscription).where(Subscription.customer_key == customer_key)).first()
        assert found is not None  # the caller found it by this key
        family_id = found.family_id
    if card.billing_key is None:
        _log.info("subscription card refused", error=(card.error or "")[:60])
        return "failed"
    with db.write(family_id) as session:
        row = session.get(Subscription, family_id)
        assert row is not None
        row.billing_key, row.card, row.updated_at = card.billing_key, card.number, now
        row.cancel_at_period_end = False  # adding a card again is choosing to go on
        running = row.status in ("trial", "active") and row.period_end > now
        owed = not running and row.status in ("active", "past_due")
        if owed:
            row.retry_at = now  # the new card is tried at once, for the period still owed
        elif not running:  # a new plan (after a trial, a lapse, a cancellation): it starts now
            row.period_start = row.period_end = now
            row.retry_at = row.grace_until = None
        start, status = row.period_end, row.status
    if running:
        return status
    if owed:
        return "active" if _settle(db, billing, settings, family_id, now) == "paid" else "declined"
    result = _charge(db, billing, settings, family_id, start, now)
    return "active" if result is not None and result.status == "paid" else "declined"


class Renewals(Periodic):
    """The renewal job: a pass every ``billing_interval_s`` on the server's clock."""

    thread_name = "yongdon-renewals"

    def __init__(
        self, db: Database, billing: TossBilling, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        super().__init__()
        self.db, self.billing, self.settings, self.clock = db, billing, settings, clock
        self.interval = settings.billing_interval_s

    def run_once(self) -> dict[str, int]:
        return renew_due(self.db, self.billing, self.settings, self.clock())

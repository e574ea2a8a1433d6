"""The hosted service's premium subscription of a family and the charges made for it (issue 18).

Nothing here is a child's: a subscription is the family's contract with the operator, paid from a
parent's card. No row references a child, a balance or a ledger entry, so no state of a subscription
can change a child's game money, portfolio, requests or payouts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base
from ..sealed import Sealed

__all__ = ["Subscription", "SubscriptionCharge"]


class Subscription(Base):
    """One per family, made when the family first starts its trial or subscribes.

    ``status``: ``trial`` (until ``period_end``), ``active`` (paid through ``period_end``),
    ``past_due`` (the renewal was declined: retried at ``retry_at`` until ``grace_until``),
    ``lapsed`` (the grace ran out) or ``cancelled`` (ended at the period's end as the parent asked).
    ``customer_key`` is Toss' ``customerKey`` (random, never a person's id or e-mail);
    ``billing_key`` the key Toss issued for the card, sealed at rest and never logged or shown.
    """

    __tablename__ = "subscriptions"
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    plan: Mapped[str | None] = mapped_column(String(10))
    customer_key: Mapped[str] = mapped_column(String(64), unique=True)
    billing_key: Mapped[str | None] = mapped_column(Sealed("subscriptions.billing_key", 200))
    card: Mapped[str | None] = mapped_column(String(40))  # Toss' masked number, "433012******1234"
    trial_started_at: Mapped[datetime | None]
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False, server_default=false())
    retry_at: Mapped[datetime | None]
    grace_until: Mapped[datetime | None]
    paid_once: Mapped[bool] = mapped_column(default=False, server_default=false())  # converted
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SubscriptionCharge(Base):
    """One charge of a period. ``id`` is Toss' ``orderId`` and the ``Idempotency-Key``:
    ``<customer key>-<period start>-<attempt>``. The row is committed ``pending`` before Toss is
    called, so a second run of the renewal job (another process, a retry after a crash) finds it and
    re-sends the same order instead of charging a second time."""

    __tablename__ = "subscription_charges"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    plan: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int]
    period_start: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10))  # pending, paid, failed
    payment_key: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


Index("ix_subscriptions_status", Subscription.status)

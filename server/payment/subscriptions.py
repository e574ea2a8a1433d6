"""The hosted service's premium plan (issue 18): a trial, a card, renewals, cancellation, lapse.

Hosted mode only: on a family server (``hosted`` off) every route here is "not found" and every
feature is on (:func:`premium` answers ``True``), because the family runs the server itself.

The life of a family's :class:`~server.db.models.Subscription`::

    (none) ─ trial ─────────────┐ card added, trial ends: charged → active
             │ no card at its end: lapsed        │ declined → past_due (retried; grace) → lapsed
    (none)/lapsed/cancelled ─ card added: charged now → active ─ period ends: charged → active …
    cancel: ``cancel_at_period_end``; at the period's end → cancelled, nothing charged

Premium is ``trial``, ``active`` and ``past_due`` (the grace). What premium unlocks never touches
money (:data:`FEATURES`): a child's game money, portfolio, allowance requests and payouts are the
same in every state, and no code here reads or writes them.

A card is added through Toss' browser SDK, which this server cannot run: :func:`checkout` answers
what the app needs to open it (the client key, the random ``customerKey``, the signed success and
fail addresses). Toss sends the parent's browser to the success address with an ``authKey``;
:func:`add_card` exchanges it for the billing key (``server.payment.billing``). A real deployment
plugs in the SDK page (``requestBillingAuth('카드', {customerKey, successUrl, failUrl})``) where
the app opens the checkout; the tests play the SDK's part by calling the success address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode

from ..db import Database
from ..db.models import Subscription
from ..errors import DomainError
from ..gateway import Runner
from ..settings import Settings
from .billing import TossBilling
from .links import link_key, sign
from .schemas import CheckoutAnswer, PlanView, SubscriptionView

__all__ = [
    "FEATURES",
    "LONG_RANGES",
    "PLANS",
    "PREMIUM",
    "BILLING_RETURN",
    "add_months",
    "billing_from_settings",
    "cancel",
    "checkout",
    "conversion",
    "hosted_guard",
    "hosted_only",
    "premium",
    "return_base",
    "start_trial",
    "subscription_view",
]

PLANS = {"monthly": 1, "yearly": 12}  # months a payment buys
PREMIUM = ("trial", "active", "past_due")
FEATURES = ("long_chart_history",)  # 5-year and full price charts; nothing that touches money
LONG_RANGES = ("5Y", "max")  # the chart ranges of ``long_chart_history``
BILLING_RETURN = "/payment/toss/billing"


def hosted_only(settings: Settings) -> None:
    """A family server has no subscriptions: every route of theirs is "not found" there."""
    if not settings.hosted:
        raise DomainError(Code.NOT_FOUND, "subscriptions exist only on the hosted service")


def hosted_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """:func:`hosted_only` as a route guard: "not found" before the body is read."""
    hosted_only(connection.app.state.settings)


def billing_from_settings(settings: Settings) -> TossBilling | None:
    if not settings.hosted or not settings.toss_billing_secret_key:
        return None
    return TossBilling(settings.toss_url, settings.toss_billing_secret_key)


def price(settings: Settings, plan: str) -> int:
    return settings.plan_yearly_krw if plan == "yearly" else settings.plan_monthly_krw


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, the month's last day when it has fewer (Jan 31 → Feb 28)."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def premium(db: Database, settings: Settings, family_id: str | None, now: datetime) -> bool:
    """Whether the family has the premium features now (on a family server: always)."""
    if not settings.hosted:
        return True
    if family_id is None:
        return False
    with db.read() as session:
        row = session.get(Subscription, family_id)
        return row is not None and _premium(row, now)


def _premium(row: Subscription, now: datetime) -> bool:
    # a trial ends at its end even before the renewal job has passed; a paid period runs on until
    # the job charged or lapsed it (a job behind schedule never takes away what was paid for)
    return row.status in PREMIUM and (row.status != "trial" or now < row.period_end)


def _days_left(row: Subscription, now: datetime) -> int:
    seconds = (row.period_end - now).total_seconds()
    return max(0, -int(-seconds // 86_400))  # rounded up: "1 day left" until the last second


def view_of(settings: Settings, row: Subscription | None, now: datetime) -> SubscriptionView:
    plans = [PlanView(plan=name, price_krw=price(settings, name), months=m) for name, m in PLANS.items()]
    if row is None:
        return SubscriptionView(
            status="none",
            premium=False,
            plan=None,
            plans=plans,
            features=list(FEATURES),
            trial_available=True,
            trial_days=settings.trial_days,
            trial_days_left=None,
            period_end=None,
            cancel_at_period_end=False,
            card=None,
        )
    return SubscriptionView(
        status=row.status,
        premium=_premium(row, now),
        plan=row.plan,
        plans=plans,
        features=list(FEATURES),
        trial_available=False,  # once per family: the row exists
        trial_days=settings.trial_days,
        trial_days_left=_days_left(row, now) if row.status == "trial" else None,
        period_end=row.period_end.isoformat() if row.status in PREMIUM else None,
        cancel_at_period_end=row.cancel_at_period_end,
        card=row.card,
    )


def _family(runner: Runner) -> str:
    family_id = runner.principal.family_id
    assert family_id is not None  # the account checks answered "not found" for the operator
    return family_id


def subscription_view(runner: Runner, settings: Settings) -> SubscriptionView:
    hosted_only(settings)
    runner.allowed("subscription.read")
    with runner.db.read() as session:
        return view_of(settings, session.get(Subscription, _family(runner)), runner.clock())


def _new_row(session: Session, family_id: str, now: datetime, status: str) -> Subscription:
    row = Subscription(
        family_id=family_id,
        status=status,
        customer_key="yd_" + secrets.token_urlsafe(24),  # Toss: random, never a person's id or e-mail
        period_start=now,
        period_end=now,
        cancel_at_period_end=False,
        paid_once=False,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return row


def start_trial(runner: Runner, settings: Settings) -> SubscriptionView:
    hosted_only(settings)
    with runner.change("subscription.trial") as call:
        if call.session.get(Subscription, _family(runner)) is not None:
            raise DomainError(ProtocolCode.CONFLICT, "this family has had its trial (or a plan) already")
        row = _new_row(call.session, _family(runner), call.now, "trial")
        row.trial_started_at, row.period_end = call.now, call.now + timedelta(days=settings.trial_days)
        call.session.flush()
        return view_of(settings, row, call.now)


def return_base(settings: Settings, customer_key: str, key: bytes | None = None) -> str:
    """The family's signed addresses at this server, without the page (``/checkout``, ``/success``…)."""
    signature = sign(key or link_key(settings), customer_key)
    return f"{settings.public_url.rstrip('/')}{BILLING_RETURN}/{customer_key}/{signature}"


def checkout(runner: Runner, settings: Settings, key: bytes, plan: str) -> CheckoutAnswer:
    """The plan is chosen now; the card is added in Toss' page (the app opens it with this answer)."""
    hosted_only(settings)
    if billing_from_settings(settings) is None:
        raise DomainError(ProtocolCode.UNAVAILABLE, "card payments are not set up on this service")
    with runner.change("subscription.subscribe") as call:
        row = call.session.get(Subscription, _family(runner))
        if row is None:  # subscribing without a trial: the trial is not offered afterwards
            row = _new_row(call.session, _family(runner), call.now, "none")
        row.plan, row.updated_at = plan, call.now
        back = return_base(settings, row.customer_key, key)
        return CheckoutAnswer(
            provider="toss",
            client_key=settings.toss_client_key or "",
            customer_key=row.customer_key,
            plan=plan,
            amount=price(settings, plan),
            checkout_url=f"{back}/checkout",
            success_url=f"{back}/success",
            fail_url=f"{back}/fail",
        )


def cancel(runner: Runner, settings: Settings) -> SubscriptionView:
    """Ends premium at the period's end (a trial's too): nothing is refunded, nothing charged again."""
    hosted_only(settings)
    with runner.change("subscription.cancel") as call:
        row = call.session.get(Subscription, _family(runner))
        if row is None or row.status not in PREMIUM:
            raise DomainError(ProtocolCode.CONFLICT, "there is no plan running to cancel")
        row.cancel_at_period_end, row.updated_at = True, call.now
        return view_of(settings, row, call.now)


@dataclass(frozen=True)
class Found:
    family_id: str
    customer_key: str
    status: str
    billing_key: str | None


def by_customer(db: Database, customer_key: str) -> Found | None:
    with db.read() as session:
        row = session.scalars(select(Subscription).where(Subscription.customer_key == customer_key)).first()
        if row is None:
            return None
        return Found(row.family_id, row.customer_key, row.status, row.billing_key)


STATUSES = ("trial", "active", "past_due", "lapsed", "cancelled")


def conversion(session: Session) -> dict[str, Any]:
    """The operator's premium conversion: families per status, how many started a trial, how many of
    those went on to pay, and that share (``None`` before any trial). Counts only: no family named."""
    counts = dict(
        session.execute(select(Subscription.status, func.count()).group_by(Subscription.status)).all()
    )
    trialled = (
        select(func.count()).select_from(Subscription).where(Subscription.trial_started_at.is_not(None))
    )
    started = int(session.scalar(trialled) or 0)
    paid = int(session.scalar(trialled.where(Subscription.paid_once.is_(True))) or 0)
    return {
        "statuses": {status: int(counts.get(status, 0)) for status in STATUSES},
        "trialled": started,
        "converted": paid,
        "ratio": paid / started if started else None,
    }

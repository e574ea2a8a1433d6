"""Wire shapes of the payment routes: the transfer and account bodies, and their answers.

Times are ISO 8601 strings as the payout row gives them. A payment's answer keeps the members each
path has always sent: a paid request ``status``, ``mutation_id``, ``request`` and ``payout``; a
pending or raced provider payment only ``status`` and ``payout`` (absent members are left out).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from sync.protocol import Id
from sync.records import Request

__all__ = [
    "AccountAnswer",
    "AccountBody",
    "AccountView",
    "CheckoutAnswer",
    "PlanView",
    "PaymentAnswer",
    "PayoutView",
    "SubscribeBody",
    "SubscriptionView",
    "TransferBody",
]

Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class TransferBody(msgspec.Struct, forbid_unknown_fields=True):
    request_id: Id
    rail: Literal["manual", "toss", "kakaopay"] = "manual"
    # the manual rail: how the parent paid and its own reference (a bank transfer's memo)
    method: Literal["cash", "bank_transfer", "toss", "kakaopay", "other"] | None = None
    reference: Reference | None = None
    # KakaoPay: the token the approval page returned, to complete a pending payment link
    pg_token: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None


class AccountBody(msgspec.Struct, forbid_unknown_fields=True):
    bank: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z]{2,20}$")]  # a bank code ("088", "SHINHAN")
    number: Annotated[str, msgspec.Meta(pattern=r"^[0-9][0-9-]{5,30}[0-9]$")]
    holder: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]


class PayoutView(msgspec.Struct, kw_only=True):
    payout_id: str
    request_id: str
    child_id: str
    rail: str
    method: str
    amount_real: int
    status: str
    reference: str | None
    link: str | None
    error: str | None
    created_by: str
    created_at: str
    finished_at: str | None


class PaymentAnswer(msgspec.Struct, kw_only=True):
    status: Literal["applied", "adjusted", "paid", "pending"]
    mutation_id: str | UnsetType = UNSET
    request: Request | None | UnsetType = UNSET
    payout: PayoutView | UnsetType = UNSET
    detail: dict[str, Any] | UnsetType = UNSET


class AccountView(msgspec.Struct, kw_only=True):
    """A payout account as its parent sees it: the number masked, never in full."""

    bank: str
    holder: str
    number: str


class AccountAnswer(msgspec.Struct, kw_only=True):
    account: AccountView | None


class SubscribeBody(msgspec.Struct, forbid_unknown_fields=True):
    plan: Literal["monthly", "yearly"]


class PlanView(msgspec.Struct, kw_only=True):
    plan: str
    price_krw: int  # whole won per period
    months: int


class SubscriptionView(msgspec.Struct, kw_only=True):
    """A family's premium plan as its parents see it (hosted only). ``status``: ``none``, ``trial``,
    ``active``, ``past_due`` (a declined renewal, retried; premium stays on), ``lapsed`` or
    ``cancelled``. ``card`` is Toss' masked number; the billing key is never answered."""

    status: str
    premium: bool
    plan: str | None
    plans: list[PlanView]
    features: list[str]
    trial_available: bool
    trial_days: int
    trial_days_left: int | None
    period_end: str | None
    cancel_at_period_end: bool
    card: str | None


class CheckoutAnswer(msgspec.Struct, kw_only=True):
    """What the app opens Toss' card page with: ``checkout_url`` (this server's page that runs Toss'
    SDK ``requestBillingAuth`` with the rest); Toss then sends the browser to ``success_url`` (with
    ``customerKey`` and ``authKey``) or to ``fail_url``."""

    provider: str
    checkout_url: str
    client_key: str
    customer_key: str
    plan: str
    amount: int
    success_url: str
    fail_url: str

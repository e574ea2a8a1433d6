"""HTTP routes of payments (seed: Payment service): transfer through a rail, the payout account, and
the hosted service's premium plan (``server.payment.subscriptions``; "not found" on a family server)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody

from sync.errors import Code, ProtocolCode

from ..db import Database
from ..errors import DomainError
from ..gateway import Runner, route_guard
from ..gateway.rest import RUNNER, IdempotencyKey
from ..principal import Principal
from ..problems import documented
from . import subscriptions
from .links import link_key
from .return_page import ROUTES as RETURN_ROUTES
from .schemas import (
    AccountAnswer,
    AccountBody,
    CheckoutAnswer,
    PaymentAnswer,
    SubscribeBody,
    SubscriptionView,
    TransferBody,
)
from .services import Payments, account_view, set_account, user_account
from .subscription_page import ROUTES as BILLING_ROUTES

__all__ = ["ROUTES", "payments_of"]


def payments_of(state: State) -> Payments:
    payments: Payments = state.payments
    return payments


class PaymentController(Controller):
    path = "/api/payment"
    tags = ["payment"]
    dependencies = RUNNER

    @post(
        "/transfer",
        operation_id="transferPayout",
        responses=documented(401, 403, 404, 409, 422, 429, 503, codes=[ProtocolCode.PROVIDER_FAILED]),
        sync_to_thread=True,
        status_code=200,
    )
    def transfer(
        self,
        data: JSONBody[TransferBody],
        runner: NamedDependency[Runner],
        state: State,
        idempotency_key: IdempotencyKey = None,
    ) -> PaymentAnswer:
        """Pay an approved request through a rail (step-up); only a rail's ``paid`` marks it paid."""
        return payments_of(state).pay(
            runner,
            data.request_id,
            rail=data.rail,
            method=data.method,
            reference=data.reference,
            pg_token=data.pg_token,
            idempotency_key=idempotency_key,
        )

    @get(
        "/account",
        operation_id="getPayoutAccount",
        responses=documented(401, 403, 404, 429),
        sync_to_thread=True,
    )
    def account(self, request: Request[Principal, Any, Any], db: NamedDependency[Database]) -> AccountAnswer:
        """The caller's registered payout account, number masked."""
        principal = request.user
        if principal.family_id is None:
            raise DomainError(Code.NOT_FOUND, "no family data for this account")
        if principal.role.value != "parent":
            raise DomainError(Code.FORBIDDEN, "your role may not do this")
        with db.read() as session:
            return account_view(user_account(session, principal.user_id))

    @put(
        "/account",
        operation_id="setPayoutAccount",
        responses=documented(401, 403, 404, 422, 429),
        sync_to_thread=True,
    )
    def set_account(
        self, data: JSONBody[AccountBody], runner: NamedDependency[Runner], state: State
    ) -> AccountAnswer:
        """Register the account transfers go to (step-up); stored encrypted, shown masked."""
        return set_account(runner, payments_of(state).cipher, data.bank, data.number, data.holder)

    @post(
        "/subscribe",
        operation_id="subscribe",
        guards=[subscriptions.hosted_guard, route_guard("subscription.subscribe")],
        responses=documented(401, 403, 404, 422, 429, 503),
        sync_to_thread=True,
        status_code=200,
    )
    def subscribe(
        self, data: JSONBody[SubscribeBody], runner: NamedDependency[Runner], state: State
    ) -> CheckoutAnswer:
        """Hosted only (a family server: 404). Choose a plan (step-up); the answer opens Toss' card
        page. A plan never touches a child's money or portfolio."""
        settings = state.settings
        return subscriptions.checkout(runner, settings, link_key(settings), data.plan)

    @get(
        "/subscription",
        operation_id="getSubscription",
        guards=[subscriptions.hosted_guard, route_guard("subscription.read")],
        responses=documented(401, 403, 404, 429),
        sync_to_thread=True,
    )
    def subscription(self, runner: NamedDependency[Runner], state: State) -> SubscriptionView:
        """Hosted only: the family's plan, its trial days left and what premium adds."""
        return subscriptions.subscription_view(runner, state.settings)

    @post(
        "/subscription/trial",
        operation_id="startTrial",
        guards=[subscriptions.hosted_guard, route_guard("subscription.trial")],
        responses=documented(401, 403, 404, 409, 429),
        sync_to_thread=True,
        status_code=200,
    )
    def trial(self, runner: NamedDependency[Runner], state: State) -> SubscriptionView:
        """Hosted only: the free trial, once per family; no card needed."""
        return subscriptions.start_trial(runner, state.settings)

    @post(
        "/subscription/cancel",
        operation_id="cancelSubscription",
        guards=[subscriptions.hosted_guard, route_guard("subscription.cancel")],
        responses=documented(401, 403, 404, 409, 429),
        sync_to_thread=True,
        status_code=200,
    )
    def cancel(self, runner: NamedDependency[Runner], state: State) -> SubscriptionView:
        """Hosted only (step-up): premium ends at the period's end; nothing more is charged."""
        return subscriptions.cancel(runner, state.settings)


ROUTES: list[Any] = [PaymentController, *RETURN_ROUTES, *BILLING_ROUTES]

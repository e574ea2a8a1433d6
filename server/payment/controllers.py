"""HTTP routes of payments (seed: Payment service): transfer through a rail, the payout account, subscribe."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody

from sync.errors import Code
from sync.protocol import Id

from ..db import Database
from ..errors import ProblemError
from ..game.controllers import RUNNER, IdempotencyKey
from ..game.online import Runner
from ..principal import Principal
from ..problems import documented
from .services import Payments, account_view, set_account, user_account

__all__ = ["ROUTES", "payments_of"]

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
        responses=documented(401, 403, 404, 409, 422, 429, 502, 503),
        sync_to_thread=True,
        status_code=200,
    )
    def transfer(
        self,
        data: JSONBody[TransferBody],
        runner: NamedDependency[Runner],
        state: State,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
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
    def account(self, request: Request[Principal, Any, Any], db: NamedDependency[Database]) -> dict[str, Any]:
        """The caller's registered payout account, number masked."""
        principal = request.user
        if principal.family_id is None:
            raise ProblemError(404, Code.NOT_FOUND, "no family data for this account")
        if principal.role.value != "parent":
            raise ProblemError(403, Code.FORBIDDEN, "your role may not do this")
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
    ) -> dict[str, Any]:
        """Register the account transfers go to (step-up); stored encrypted, shown masked."""
        return set_account(runner, payments_of(state).cipher, data.bank, data.number, data.holder)

    @post(
        "/subscribe",
        operation_id="subscribe",
        responses=documented(401, 403, 404, 429),
        sync_to_thread=True,
        status_code=200,
    )
    def subscribe(self, request: Request[Principal, Any, Any], state: State) -> dict[str, Any]:
        """Hosted mode only (a family server: 404). A plan never touches a child's money or portfolio."""
        principal = request.user
        if not state.settings.hosted or principal.family_id is None:
            raise ProblemError(404, Code.NOT_FOUND, "subscriptions exist only on the hosted service")
        if principal.role.value != "parent":
            raise ProblemError(403, Code.FORBIDDEN, "your role may not do this")
        # billing is the hosted operator's business and has no rail here: the answer says so plainly
        return {"plan": "family", "status": "not_available", "touches_children": False}


ROUTES: list[Any] = [PaymentController]

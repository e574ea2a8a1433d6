"""HTTP routes of the allowance (seed: Allowance service): request, approve, reject, paid, history.

Thin and typed: read the body strictly, call one service, return its struct.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from sync.records import Request as AllowanceRequest

from ..db import Database
from ..gateway import Runner
from ..gateway.rest import RUNNER, IdempotencyKey, RawBody, strict
from ..payment.schemas import PaymentAnswer
from ..payment.services import Payments
from ..principal import Principal
from ..problems import documented
from . import services
from .schemas import ApproveBody, PaidBody, RejectBody, RequestAnswer, RequestBody

__all__ = ["ROUTES"]

CHANGES = documented(401, 403, 404, 409, 422, 429, 500, 503)


class AllowanceController(Controller):
    path = "/api/allowance"
    tags = ["allowance"]
    dependencies = RUNNER

    @post(
        "/request", operation_id="requestAllowance", responses=CHANGES, sync_to_thread=True, status_code=201
    )
    def make(
        self,
        data: JSONBody[RequestBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> RequestAnswer:
        """A child asks to convert realised game profit into real pocket money."""
        return services.ask(runner, strict(RequestBody, raw_body), idempotency_key)

    @put("/{request_id:str}/approve", operation_id="approveAllowance", responses=CHANGES, sync_to_thread=True)
    def approve(
        self,
        request_id: FromPath[str],
        data: JSONBody[ApproveBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> RequestAnswer:
        """Approve exactly the version and amount the parent saw (step-up required)."""
        return services.approve(runner, request_id, strict(ApproveBody, raw_body), idempotency_key)

    @put("/{request_id:str}/reject", operation_id="rejectAllowance", responses=CHANGES, sync_to_thread=True)
    def reject(
        self,
        request_id: FromPath[str],
        data: JSONBody[RejectBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> RequestAnswer:
        """Reject with a reason the child will read."""
        return services.reject(runner, request_id, strict(RejectBody, raw_body), idempotency_key)

    @put(
        "/{request_id:str}/paid",
        operation_id="markAllowancePaid",
        responses=CHANGES,
        sync_to_thread=True,
    )
    def paid(
        self,
        request_id: FromPath[str],
        data: JSONBody[PaidBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        state: State,
        idempotency_key: IdempotencyKey = None,
    ) -> PaymentAnswer:
        """Record that the real money was handed over (method and an optional reference; step-up).

        The manual payout rail: the same path as ``POST /api/payment/transfer`` with ``rail=manual``.
        """
        body = strict(PaidBody, raw_body)
        payments: Payments = state.payments
        return payments.pay(
            runner,
            request_id,
            rail="manual",
            method=body.method,
            reference=body.reference,
            idempotency_key=idempotency_key,
        )

    @get(
        "/history/{user_id:str}",
        operation_id="allowanceHistory",
        responses=documented(401, 404, 422, 429),
        sync_to_thread=True,
    )
    def history(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    ) -> list[AllowanceRequest]:
        """Requests with their decisions, reasons and payouts, newest first."""
        return services.history(db, request.user, user_id, limit)


ROUTES: list[Any] = [AllowanceController]

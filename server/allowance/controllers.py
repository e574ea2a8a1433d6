"""HTTP routes of the allowance (seed: Allowance service): request, approve, reject, paid, history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import select

from sync.protocol import Id, PositiveWon, Reason, Won

from ..db import Database
from ..db.models import RequestRow
from ..errors import ProblemError
from ..game.controllers import RUNNER, IdempotencyKey, mutation_response
from ..game.online import Runner
from ..game.scope import visible_child
from ..ids import new_id
from ..payment.services import Payments
from ..principal import Principal

__all__ = ["ROUTES"]


class RequestBody(msgspec.Struct, forbid_unknown_fields=True):
    amount_game: PositiveWon
    request_id: Id | None = None


class ApproveBody(msgspec.Struct, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=1)]
    amount_real: Won


class RejectBody(msgspec.Struct, forbid_unknown_fields=True):
    version: Annotated[int, msgspec.Meta(ge=1)]
    reason: Reason


class PaidBody(msgspec.Struct, forbid_unknown_fields=True):
    method: Literal["cash", "bank_transfer", "toss", "kakaopay", "other"]
    reference: Annotated[str, msgspec.Meta(max_length=200)] | None = None


def _owned(db: Database, principal: Principal, request_id: str) -> dict[str, Any]:
    """The request as stored, if the caller's family owns it (else 404)."""
    with db.read() as session:
        row = session.get(RequestRow, request_id)
        if row is None or row.family_id != principal.family_id:
            raise ProblemError(404, "NOT_FOUND", "no such request")
        return row.data


def _answer(runner: Runner, name: str, args: dict[str, Any], key: str | None) -> dict[str, Any]:
    result = runner.run(name, args, key)
    with runner.db.read() as session:
        row = session.get(RequestRow, args["request_id"])
        return mutation_response(result, request=row.data if row else None)


class AllowanceController(Controller):
    path = "/api/allowance"
    tags = ["allowance"]
    dependencies = RUNNER

    @post("/request", operation_id="requestAllowance", sync_to_thread=True, status_code=201)
    def make(
        self,
        data: JSONBody[RequestBody],
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """A child asks to convert realised game profit into real pocket money."""
        args = {"request_id": data.request_id or new_id(), "amount_game": data.amount_game}
        return _answer(runner, "allowance.request/v1", args, idempotency_key)

    @put("/{request_id:str}/approve", operation_id="approveAllowance", sync_to_thread=True)
    def approve(
        self,
        request_id: FromPath[str],
        data: JSONBody[ApproveBody],
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Approve exactly the version and amount the parent saw (step-up required)."""
        seen = _owned(runner.db, runner.principal, request_id)
        args = {
            "child_id": seen["child_id"],
            "request_id": request_id,
            "version": data.version,
            "amount_real": data.amount_real,
            "decision": "approve",
        }
        return _answer(runner, "allowance.decide/v1", args, idempotency_key)

    @put("/{request_id:str}/reject", operation_id="rejectAllowance", sync_to_thread=True)
    def reject(
        self,
        request_id: FromPath[str],
        data: JSONBody[RejectBody],
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Reject with a reason the child will read."""
        seen = _owned(runner.db, runner.principal, request_id)
        args = {
            "child_id": seen["child_id"],
            "request_id": request_id,
            "version": data.version,
            "amount_real": seen["amount_real"],
            "decision": "reject",
            "reason": data.reason,
        }
        return _answer(runner, "allowance.decide/v1", args, idempotency_key)

    @put("/{request_id:str}/paid", operation_id="markAllowancePaid", sync_to_thread=True)
    def paid(
        self,
        request_id: FromPath[str],
        data: JSONBody[PaidBody],
        runner: NamedDependency[Runner],
        state: State,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Record that the real money was handed over (method and an optional reference; step-up).

        The manual payout rail: the same path as ``POST /api/payment/transfer`` with ``rail=manual``.
        """
        payments: Payments = state.payments
        return payments.pay(
            runner,
            request_id,
            rail="manual",
            method=data.method,
            reference=data.reference,
            idempotency_key=idempotency_key,
        )

    @get("/history/{user_id:str}", operation_id="allowanceHistory", sync_to_thread=True)
    def history(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    ) -> list[Any]:
        """Requests with their decisions, reasons and payouts, newest first."""
        with db.read() as session:
            visible_child(session, request.user, user_id)
            rows = session.scalars(
                select(RequestRow)
                .where(RequestRow.child_id == user_id)
                .order_by(RequestRow.created_at.desc())
                .limit(limit)
            )
            return [row.data for row in rows]


ROUTES: list[Any] = [AllowanceController]

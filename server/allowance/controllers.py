"""HTTP routes of the allowance (seed: Allowance service): request, approve, reject, paid, history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import select

from sync.protocol import Id, PositiveWon, Reason, Won

from ..db import Database
from ..db.models import RequestRow
from ..errors import ProblemError
from ..game.controllers import IdempotencyKey, mutation_response
from ..game.online import run_online
from ..game.scope import visible_child
from ..ids import new_id
from ..market.clock import MarketClock, provide_market_clock
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


def _request(db: Database, request_id: str) -> dict[str, Any] | None:
    with db.read() as session:
        row = session.get(RequestRow, request_id)
        return row.data if row else None


def _child_of(db: Database, principal: Principal, request_id: str) -> str:
    """The child a request belongs to, if the caller's family owns it (else 404)."""
    with db.read() as session:
        row = session.get(RequestRow, request_id)
        if row is None or row.family_id != principal.family_id:
            raise ProblemError(404, "NOT_FOUND", "no such request")
        return row.child_id


class AllowanceController(Controller):
    path = "/api/allowance"
    tags = ["allowance"]
    dependencies = {"market_clock": Provide(provide_market_clock, sync_to_thread=False)}

    def _run(
        self,
        request: Request[Principal, Any, Any],
        name: str,
        args: dict[str, Any],
        db: Database,
        clock: Callable[[], datetime],
        market_clock: MarketClock,
        key: str | None,
    ) -> dict[str, Any]:
        result = run_online(
            db, request.user, name, args, idempotency_key=key, now=clock, market_clock=market_clock
        )
        return mutation_response(result, request=_request(db, args["request_id"]))

    @post("/request", operation_id="requestAllowance", sync_to_thread=True, status_code=201)
    def make(
        self,
        request: Request[Principal, Any, Any],
        data: JSONBody[RequestBody],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        market_clock: NamedDependency[MarketClock],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """A child asks to convert realised game profit into real pocket money."""
        args = {"request_id": data.request_id or new_id(), "amount_game": data.amount_game}
        return self._run(request, "allowance.request/v1", args, db, clock, market_clock, idempotency_key)

    @put("/{request_id:str}/approve", operation_id="approveAllowance", sync_to_thread=True)
    def approve(
        self,
        request: Request[Principal, Any, Any],
        request_id: FromPath[str],
        data: JSONBody[ApproveBody],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        market_clock: NamedDependency[MarketClock],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Approve exactly the version and amount the parent saw (step-up required)."""
        args = {
            "child_id": _child_of(db, request.user, request_id),
            "request_id": request_id,
            "version": data.version,
            "amount_real": data.amount_real,
            "decision": "approve",
        }
        return self._run(request, "allowance.decide/v1", args, db, clock, market_clock, idempotency_key)

    @put("/{request_id:str}/reject", operation_id="rejectAllowance", sync_to_thread=True)
    def reject(
        self,
        request: Request[Principal, Any, Any],
        request_id: FromPath[str],
        data: JSONBody[RejectBody],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        market_clock: NamedDependency[MarketClock],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Reject with a reason the child will read."""
        with db.read() as session:
            row = session.get(RequestRow, request_id)
            amount_real = row.data["amount_real"] if row is not None else 0
        args = {
            "child_id": _child_of(db, request.user, request_id),
            "request_id": request_id,
            "version": data.version,
            "amount_real": amount_real,
            "decision": "reject",
            "reason": data.reason,
        }
        return self._run(request, "allowance.decide/v1", args, db, clock, market_clock, idempotency_key)

    @put("/{request_id:str}/paid", operation_id="markAllowancePaid", sync_to_thread=True)
    def paid(
        self,
        request: Request[Principal, Any, Any],
        request_id: FromPath[str],
        data: JSONBody[PaidBody],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        market_clock: NamedDependency[MarketClock],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Record that the real money was handed over (method and an optional reference; step-up)."""
        args = {
            "child_id": _child_of(db, request.user, request_id),
            "request_id": request_id,
            "method": data.method,
            **({"reference": data.reference} if data.reference else {}),
        }
        return self._run(request, "allowance.mark_paid/v1", args, db, clock, market_clock, idempotency_key)

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

"""The allowance: a child asks to convert profit into pocket money, a parent decides, the history.

Every change is one mutation through the gateway (``allowance.request/v1``, ``allowance.decide/v1``),
exactly as a device's; the payout is the payment service's (``server.payment``), over the same
``allowance.mark_paid/v1``.
"""

from __future__ import annotations

import msgspec
from sqlalchemy import select

from sync.protocol import MutationResult
from sync.records import Request

from ..db import Database
from ..db.models import RequestRow
from ..game.scope import visible_child
from ..gateway import Runner
from ..gateway.rest import accepted
from ..principal import Principal
from .guards import request_in_family
from .schemas import ApproveBody, RejectBody, RequestAnswer, RequestBody

__all__ = ["approve", "ask", "history", "reject"]


def _answer(runner: Runner, result: MutationResult, request_id: str) -> RequestAnswer:
    applied = accepted(result)
    with runner.db.read() as session:
        row = session.get(RequestRow, request_id)
        request = msgspec.convert(row.data, Request, strict=False) if row else None
    return RequestAnswer(
        status=applied.status, mutation_id=applied.id, detail=applied.detail, request=request
    )


def ask(runner: Runner, body: RequestBody, key: str | None) -> RequestAnswer:
    """The child asks; a retry with its key names the same request."""
    mutation_id = runner.mutation_id(key)
    request_id = body.request_id or mutation_id
    args = {"request_id": request_id, "amount_game": body.amount_game}
    return _answer(runner, runner.run("allowance.request/v1", args, mutation_id=mutation_id), request_id)


def _seen(runner: Runner, request_id: str) -> Request:
    with runner.db.read() as session:
        return request_in_family(session, runner.principal, request_id)


def approve(runner: Runner, request_id: str, body: ApproveBody, key: str | None) -> RequestAnswer:
    """Approve exactly the version and amount the parent saw."""
    seen = _seen(runner, request_id)
    args = {
        "child_id": seen.child_id,
        "request_id": request_id,
        "version": body.version,
        "amount_real": body.amount_real,
        "decision": "approve",
    }
    return _answer(runner, runner.run("allowance.decide/v1", args, key), request_id)


def reject(runner: Runner, request_id: str, body: RejectBody, key: str | None) -> RequestAnswer:
    """Reject the version the parent saw, with a reason the child reads."""
    seen = _seen(runner, request_id)
    args = {
        "child_id": seen.child_id,
        "request_id": request_id,
        "version": body.version,
        "amount_real": seen.amount_real,
        "decision": "reject",
        "reason": body.reason,
    }
    return _answer(runner, runner.run("allowance.decide/v1", args, key), request_id)


def history(db: Database, principal: Principal, user_id: str, limit: int) -> list[Request]:
    """Requests with their decisions, reasons and payouts, newest first (the child or its parents)."""
    with db.read() as session:
        visible_child(session, principal, user_id)
        rows = session.scalars(
            select(RequestRow)
            .where(RequestRow.child_id == user_id)
            .order_by(RequestRow.created_at.desc())
            .limit(limit)
        )
        return [msgspec.convert(row.data, Request, strict=False) for row in rows]

"""Online REST mutations: the same handlers as ``/api/sync/push``, keyed by ``Idempotency-Key``.

An online buy and an offline buy are decided by the same code; a retried request (same key) answers
the stored outcome and never applies twice. Online mutations are recorded under a per-user
pseudo-device ``rest:<user_id>`` so the push protocol's ``(client_id, seq)`` order stays untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy import func, select

from sync.errors import Code, ProtocolCode
from sync.handlers import needs_step_up
from sync.protocol import MutationResult

from ..db import Database
from ..db.models import MutationRow
from ..errors import ProblemError
from ..ids import new_id
from ..market.clock import MarketClock, provide_market_clock
from ..principal import Principal
from ..replication.apply import (
    Poisoned,
    args_hash,
    decide_and_record,
    find_mutation,
    refusal,
    stored_result,
)

__all__ = ["Runner", "provide_runner", "run_online"]


def run_online(
    db: Database,
    principal: Principal,
    name: str,
    args: dict[str, Any],
    *,
    idempotency_key: str | None,
    now: Callable[[], datetime],
    market_clock: MarketClock,
) -> MutationResult:
    """Decide and record one mutation now. Raises ``ProblemError`` for protocol faults only."""
    if principal.family_id is None:
        raise ProblemError(404, Code.NOT_FOUND, "no family data for this account")
    received = now()
    mutation_id = idempotency_key or new_id()
    pseudo_client = f"rest:{principal.user_id}"
    with db.write(principal.family_id) as session:
        # step-up is asked only of a parent acting on its own family's child: anyone else gets the
        # handler's refusal (404 for another family's child, 403 for a child), which no password fixes
        if (
            needs_step_up(name, args)
            and not principal.elevated(received)
            and refusal(session, principal, name, args) is None
        ):
            raise ProblemError(403, ProtocolCode.STEP_UP_REQUIRED, "confirm with your password first")
        existing = find_mutation(session, mutation_id)
        if existing is not None:
            if existing.user_id != principal.user_id or existing.args_hash != args_hash(name, args):
                raise ProblemError(
                    422, Code.INVALID_ARGS, "this Idempotency-Key was used for another request"
                )
            return stored_result(existing)
        seq = (
            session.scalar(select(func.max(MutationRow.seq)).where(MutationRow.client_id == pseudo_client))
            or 0
        ) + 1
        try:
            recorded = decide_and_record(
                session,
                principal=principal,
                client_id=pseudo_client,
                seq=seq,
                mutation_id=mutation_id,
                name=name,
                args=args,
                base_cursor=0,
                device_created_at=None,
                now=received,
                market_clock=market_clock,
                served_client_id=principal.client_id,
            )
        except Poisoned:
            recorded = None  # the failure count commits with this transaction
    if recorded is None:
        raise ProblemError(503, ProtocolCode.UNAVAILABLE, "try again shortly", headers={"Retry-After": "2"})
    return recorded


@dataclass(frozen=True)
class Runner:
    """What a mutation route needs to run a mutation for its caller (a DI dependency: ``runner``)."""

    db: Database
    principal: Principal
    clock: Callable[[], datetime]
    market_clock: MarketClock

    def run(self, name: str, args: dict[str, Any], key: str | None = None) -> MutationResult:
        return run_online(
            self.db,
            self.principal,
            name,
            args,
            idempotency_key=key,
            now=self.clock,
            market_clock=self.market_clock,
        )


def provide_runner(
    request: Request[Principal, Any, Any],
    db: NamedDependency[Database],
    clock: NamedDependency[Callable[[], datetime]],
    state: State,
) -> Runner:
    return Runner(db=db, principal=request.user, clock=clock, market_clock=provide_market_clock(state))

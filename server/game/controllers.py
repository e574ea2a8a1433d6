"""HTTP routes of the game (seed: Investment Game service) and of parents' grants and house rules.

Thin: parse, call one service, return. Every change runs through the mutation handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from sync.errors import Code
from sync.protocol import MutationResult, Outcome

from ..db import Database
from ..errors import DEFAULT_REJECTION_STATUS, STATUS_OF, ProblemError
from ..ids import new_id
from ..principal import Principal
from . import services
from .online import Runner, provide_runner
from .schemas import GrantBody, TradeBody

__all__ = ["RUNNER", "ROUTES", "IdempotencyKey", "mutation_response"]

Limit = Annotated[int, QueryParameter(ge=1, le=100)]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", required=False, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$"),
]


def mutation_response(result: MutationResult, **extra: Any) -> dict[str, Any]:
    """The REST answer for a decided mutation: its outcome, or a problem with the rejection's code."""
    if result.status is Outcome.REJECTED:
        code = result.code or Code.INTERNAL.value
        raise ProblemError(
            STATUS_OF.get(code, DEFAULT_REJECTION_STATUS),
            code,
            "the request was not accepted",
            extra={"mutation_id": result.id, "rejection": result.detail or {}},
        )
    body: dict[str, Any] = {"status": result.status.value, "mutation_id": result.id, **extra}
    if result.detail:
        body["detail"] = result.detail
    return body


RUNNER = {"runner": Provide(provide_runner, sync_to_thread=False)}


class GameController(Controller):
    path = "/api/game"
    tags = ["game"]
    dependencies = RUNNER

    @get("/portfolio/{user_id:str}", operation_id="getPortfolio", sync_to_thread=True)
    def portfolio(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
    ) -> dict[str, Any]:
        """Cash, holdings and returns of one child (the child itself or its parents)."""
        return services.portfolio(db, request.user, user_id, clock())

    @staticmethod
    def _trade(side: str, data: TradeBody, runner: Runner, key: str | None) -> dict[str, Any]:
        args = {k: v for k, v in msgspec.to_builtins(data).items() if v is not None}
        args.setdefault("trade_id", new_id())
        args["side"] = side
        result = runner.run("trade.place/v1", args, key)
        return mutation_response(result, trade=services.trade_of(runner.db, args["trade_id"]))

    @post("/trade/buy", operation_id="buy", sync_to_thread=True, status_code=200)
    def buy(
        self,
        data: JSONBody[TradeBody],
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Buy at the quote the child saw, per the house fill rules (filled, adjusted or queued)."""
        return self._trade("buy", data, runner, idempotency_key)

    @post("/trade/sell", operation_id="sell", sync_to_thread=True, status_code=200)
    def sell(
        self,
        data: JSONBody[TradeBody],
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Sell shares the child holds."""
        return self._trade("sell", data, runner, idempotency_key)

    @delete("/orders/{trade_id:str}", operation_id="cancelOrder", sync_to_thread=True, status_code=200)
    def cancel(
        self,
        trade_id: FromPath[str],
        runner: NamedDependency[Runner],
        child_id: FromQuery[str | None] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Cancel a queued order and release its reservation (the child, or a parent naming ``child_id``)."""
        args: dict[str, Any] = {"trade_id": trade_id}
        if child_id:
            args["child_id"] = child_id
        result = runner.run("trade.cancel/v1", args, idempotency_key)
        return mutation_response(result, trade=services.trade_of(runner.db, trade_id))

    @get("/trades/{user_id:str}", operation_id="listTrades", sync_to_thread=True)
    def trades(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        limit: Limit = 50,
        before: FromQuery[str | None] = None,
    ) -> list[Any]:
        """Trade history with each outcome, newest first."""
        return services.trades(db, request.user, user_id, limit=limit, before=before)

    @get("/performance/{user_id:str}", operation_id="getPerformance", sync_to_thread=True)
    def performance(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        range_: Annotated[str, QueryParameter(name="range", pattern="^(1W|1M|3M|1Y|ALL)$")] = "1M",
    ) -> dict[str, Any]:
        """Value series, headline profit and time-weighted return over a range."""
        return services.performance(db, request.user, user_id, range_, clock())

    @get("/ledger/{user_id:str}", operation_id="getLedger", sync_to_thread=True)
    def ledger(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        limit: Limit = 100,
        before: FromQuery[int | None] = None,
    ) -> list[Any]:
        """Every ledger entry with its actor, reason and linked trade, request or grant."""
        return services.ledger(db, request.user, user_id, limit=limit, before=before)


class FamilyMoneyController(Controller):
    """Parents' changes to a child's game: grants and house rules (through the mutation handlers)."""

    path = "/api/family"
    tags = ["family"]
    dependencies = RUNNER

    @post("/grants", operation_id="grant", sync_to_thread=True, status_code=201)
    def grant(
        self,
        data: JSONBody[GrantBody],
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """Top up a child's game money, with a reason."""
        args = {**msgspec.to_builtins(data), "grant_id": idempotency_key or new_id()}
        result = runner.run("family.grant/v1", args, idempotency_key)
        return mutation_response(result, grant_id=args["grant_id"])

    @put("/children/{child_id:str}/rules", operation_id="setHouseRules", sync_to_thread=True)
    def set_rules(
        self,
        child_id: FromPath[str],
        data: JSONBody[dict[str, Any]],
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """A new house-rules version for a child, effective from now (step-up required)."""
        result = runner.run("rules.set/v1", {"child_id": child_id, "rules": data}, idempotency_key)
        return mutation_response(result)


ROUTES: list[Any] = [GameController, FamilyMoneyController]

"""HTTP routes of the game (seed: Investment Game service) and of parents' grants and house rules.

Thin and typed: each route reads its body strictly, runs one mutation through the gateway (or
one read service) and returns a struct. A rejection leaves as a problem whose status comes from the
one table of ``server.problems``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter

from sync.errors import Code
from sync.protocol import MutationResult
from sync.records import Trade

from ..cache import Cache
from ..db import Database
from ..gateway import Runner
from ..gateway.rest import RUNNER, IdempotencyKey, RawBody, accepted, strict
from ..market.pricer import PRICER, Pricer
from ..market.providers import ProviderChain
from ..market.refresher import provide_market_chain
from ..principal import Principal
from ..problems import documented
from . import services
from .schemas import (
    DeclineBody,
    GrantAnswer,
    GrantBody,
    LedgerLine,
    MutationAnswer,
    Performance,
    Portfolio,
    RulesBody,
    TradeAnswer,
    TradeBody,
)

__all__ = ["ROUTES"]

Limit = Annotated[int, QueryParameter(ge=1, le=100)]
ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"  # sync.protocol.Id: an id a path or query names is one

# what a change can answer besides success: not signed in, not allowed (or step-up), another family's
# object, a rule's refusal, bad input, the trading budget, a failure, a poison retry
CHANGES = documented(401, 403, 404, 409, 422, 429, 500, 503)
READS = documented(401, 404, 422, 429)


class GameController(Controller):
    path = "/api/game"
    tags = ["game"]
    dependencies = RUNNER

    @get("/portfolio/{user_id:str}", operation_id="getPortfolio", responses=READS, sync_to_thread=True)
    def portfolio(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        read_cache: NamedDependency[Cache],
    ) -> Portfolio:
        """Cash, holdings and returns of one child (the child itself or its parents); prices may be
        up to 30 s old (``as_of``), balances are always those of the family's last commit."""
        return services.portfolio(db, request.user, user_id, clock(), read_cache)

    @staticmethod
    def _trade(side: str, raw: Any, runner: Runner, pricer: Pricer, key: str | None) -> TradeAnswer:
        body = strict(TradeBody, raw)
        pricer.ensure([body.symbol], runner.clock())  # a symbol never priced before gets its price now
        mutation_id = runner.mutation_id(key)
        args = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not None}
        args.setdefault("trade_id", mutation_id)  # a retry with the key names the same order
        args["side"] = side
        result = accepted(runner.run("trade.place/v1", args, mutation_id=mutation_id))
        return _trade_answer(result, services.trade_of(runner.db, args["trade_id"]))

    @post(
        "/trade/buy",
        operation_id="buy",
        responses=CHANGES,
        sync_to_thread=True,
        status_code=200,
        dependencies=PRICER,
    )
    def buy(
        self,
        data: JSONBody[TradeBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        market_pricer: NamedDependency[Pricer],
        idempotency_key: IdempotencyKey = None,
    ) -> TradeAnswer:
        """Buy at the quote the child saw, per the house fill rules (filled, adjusted or queued)."""
        return self._trade("buy", raw_body, runner, market_pricer, idempotency_key)

    @post(
        "/trade/sell",
        operation_id="sell",
        responses=CHANGES,
        sync_to_thread=True,
        status_code=200,
        dependencies=PRICER,
    )
    def sell(
        self,
        data: JSONBody[TradeBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        market_pricer: NamedDependency[Pricer],
        idempotency_key: IdempotencyKey = None,
    ) -> TradeAnswer:
        """Sell shares the child holds."""
        return self._trade("sell", raw_body, runner, market_pricer, idempotency_key)

    @delete(
        "/orders/{trade_id:str}",
        operation_id="cancelOrder",
        responses=CHANGES,
        sync_to_thread=True,
        status_code=200,
    )
    def cancel(
        self,
        trade_id: Annotated[str, PathParameter(min_length=1, max_length=64, pattern=ID_PATTERN)],
        runner: NamedDependency[Runner],
        child_id: Annotated[
            str | None, QueryParameter(min_length=1, max_length=64, pattern=ID_PATTERN)
        ] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> TradeAnswer:
        """Cancel a queued order and release its reservation (the child, or a parent naming ``child_id``)."""
        args: dict[str, Any] = {"trade_id": trade_id}
        if child_id:
            args["child_id"] = child_id
        result = accepted(runner.run("trade.cancel/v1", args, idempotency_key))
        return _trade_answer(result, services.trade_of(runner.db, trade_id))

    def _decide(
        self, runner: Runner, trade_id: str, decision: str, reason: str | None, key: str | None
    ) -> TradeAnswer:
        args: dict[str, Any] = {
            "child_id": services.order_child(runner.db, runner.principal, trade_id),
            "trade_id": trade_id,
            "decision": decision,
        }
        if reason is not None:
            args["reason"] = reason
        result = accepted(runner.run("trade.decide/v1", args, key))
        return _trade_answer(result, services.trade_of(runner.db, trade_id))

    @put(
        "/orders/{trade_id:str}/approve",
        operation_id="approveOrder",
        responses=CHANGES,
        sync_to_thread=True,
    )
    def approve(
        self,
        trade_id: Annotated[str, PathParameter(min_length=1, max_length=64, pattern=ID_PATTERN)],
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> TradeAnswer:
        """Approve an order waiting for a parent (step-up): it fills now at the current price within
        the collar if its market is open, else it waits for the next opening price."""
        return self._decide(runner, trade_id, "approve", None, idempotency_key)

    @put(
        "/orders/{trade_id:str}/decline",
        operation_id="declineOrder",
        responses=CHANGES,
        sync_to_thread=True,
    )
    def decline(
        self,
        trade_id: Annotated[str, PathParameter(min_length=1, max_length=64, pattern=ID_PATTERN)],
        data: JSONBody[DeclineBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> TradeAnswer:
        """Decline an order waiting for a parent, with a reason the child reads; what it held returns."""
        body = strict(DeclineBody, raw_body)
        return self._decide(runner, trade_id, "decline", body.reason, idempotency_key)

    @get("/trades/{user_id:str}", operation_id="listTrades", responses=READS, sync_to_thread=True)
    def trades(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        limit: Limit = 50,
        before: FromQuery[str | None] = None,
    ) -> list[Trade]:
        """Trade history with each outcome, newest first."""
        return services.trades(db, request.user, user_id, limit=limit, before=before)

    @get(
        "/performance/{user_id:str}",
        operation_id="getPerformance",
        responses=READS,
        sync_to_thread=True,
        dependencies={"market_chain": Provide(provide_market_chain, sync_to_thread=True)},
    )
    def performance(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        market_chain: NamedDependency[ProviderChain],
        read_cache: NamedDependency[Cache],
        range_: Annotated[str, QueryParameter(name="range", pattern="^(1W|1M|3M|1Y|ALL)$")] = "1M",
    ) -> Performance:
        """Value series, headline profit, time-weighted return and the market line (KOSPI, the S&P 500
        or a blend by what the child holds) over a range; a missing index is named, never invented.
        Kept 30 s like the portfolio, and computed again after any commit of the family."""
        return services.performance(db, request.user, user_id, range_, clock(), market_chain, read_cache)

    @get("/ledger/{user_id:str}", operation_id="getLedger", responses=READS, sync_to_thread=True)
    def ledger(
        self,
        request: Request[Principal, Any, Any],
        user_id: FromPath[str],
        db: NamedDependency[Database],
        limit: Limit = 100,
        before: FromQuery[int | None] = None,
    ) -> list[LedgerLine]:
        """Every ledger entry with its actor, reason and linked trade, request or grant."""
        return services.ledger(db, request.user, user_id, limit=limit, before=before)


def _trade_answer(result: MutationResult, trade: Trade | None) -> TradeAnswer:
    return TradeAnswer(status=result.status, mutation_id=result.id, detail=result.detail, trade=trade)


class FamilyMoneyController(Controller):
    """Parents' changes to a child's game: grants and house rules (through the mutation gateway)."""

    path = "/api/family"
    tags = ["family"]
    dependencies = RUNNER

    @post("/grants", operation_id="grant", responses=CHANGES, sync_to_thread=True, status_code=201)
    def grant(
        self,
        data: JSONBody[GrantBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> GrantAnswer:
        """Top up a child's game money, with a reason."""
        body = strict(GrantBody, raw_body)
        mutation_id = runner.mutation_id(idempotency_key)
        args = {**msgspec.structs.asdict(body), "grant_id": mutation_id}
        result = accepted(runner.run("family.grant/v1", args, mutation_id=mutation_id))
        return GrantAnswer(
            status=result.status, mutation_id=result.id, detail=result.detail, grant_id=mutation_id
        )

    @put(
        "/children/{child_id:str}/rules",
        operation_id="setHouseRules",
        responses={**CHANGES, **documented(409, codes=[Code.CONVERSION_ABOVE_PAR])},
        sync_to_thread=True,
    )
    def set_rules(
        self,
        child_id: FromPath[str],
        data: JSONBody[RulesBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> MutationAnswer:
        """A new house-rules version for a child, effective from now (step-up required).

        Each field is checked alone by its schema; a conversion rate above one (``conversion_num``
        over ``conversion_den``, the one sent against the one stored) is 409 ``CONVERSION_ABOVE_PAR``.
        """
        rules = msgspec.to_builtins(strict(RulesBody, raw_body))  # the fields sent, no others
        result = accepted(runner.run("rules.set/v1", {"child_id": child_id, "rules": rules}, idempotency_key))
        return MutationAnswer(status=result.status, mutation_id=result.id, detail=result.detail)


ROUTES: list[Any] = [GameController, FamilyMoneyController]

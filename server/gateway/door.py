"""The gateway itself: opening a pass (one write transaction) and running one REST change through it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode
from sync.protocol import Mutation, MutationResult

from ..db import Database
from ..db.models import MutationRow
from ..errors import DomainError
from ..game.writer import WriteBehind
from ..ids import new_id
from ..market.clock import MarketClock, provide_market_clock
from ..market.refresher import provide_market_chain
from ..principal import Principal
from ..ratelimit import MemoryCounters, RateLimiter
from .accounts import AccountChange, AccountDoor, AccountPass, Named
from .budget import TradingBudget
from .call import Call
from .guards import StepUpRequired, family_of
from .ids import Claims, rest_mutation_id
from .outcomes import args_hash, stored_result
from .record import Poisoned, submit

__all__ = ["Gateway", "Runner", "Then", "family_of", "provide_gateway", "provide_runner"]


class Gateway:
    """The one door every change to a family's books passes, from REST and from push alike.

    It owns the order of the checks (``record``), the family scoping of ids (``ids``), the trading
    budget (``budget``) and the typed context of each pass (``Call``). ``budget`` is off only where
    the server's rate limits are (tests, benchmarks).
    """

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        market_clock: MarketClock,
        *,
        budget: bool,
        limiter: RateLimiter | None = None,
        market: Callable[[], Any] | None = None,
    ) -> None:
        self.db, self.clock, self.market_clock, self.budget = db, clock, market_clock, budget
        self.market = market
        """The app's provider chain, built when first asked: an order asks whether its stock still
        trades (a replay's bundled history may have ended); without it only delistings end one."""
        limits = limiter or RateLimiter(MemoryCounters(), clock, enabled=False)
        self.accounts = AccountDoor(db, clock, limits)
        """Account changes (``accounts``): who may make them, their transaction, failure budgets."""

    @contextmanager
    def open(
        self,
        principal: Principal,
        *,
        client_id: str,
        served_client_id: str | None,
        batched: bool = False,
        mutations: Sequence[Mutation] = (),
    ) -> Iterator[Call]:
        """One write transaction for ``principal``'s family; a batched pass writes what it held at
        the end (also when it stopped early: what was decided is kept)."""
        family_id = family_of(principal)
        with self.db.write(family_id) as session:
            call = self._call(session, principal, family_id, client_id, served_client_id, batched)
            call.claims.load(mutations)
            yield call
            if call.behind is not None:
                call.behind.flush(session)
        _after_pass(self.db, call)

    def together(
        self,
        principal: Principal,
        work: Callable[[Call], T],
        *,
        client_id: str,
        served_client_id: str | None,
        batched: bool = False,
    ) -> T:
        """``work`` in a pass as :meth:`open`'s, which may share its transaction and commit with the
        family's other passes that arrive meanwhile (``Database.write_together``: a push's)."""
        family_id = family_of(principal)

        def run(session: Session) -> tuple[Call, T]:
            call = self._call(session, principal, family_id, client_id, served_client_id, batched)
            result = work(call)
            if call.behind is not None:
                call.behind.flush(session)
            return call, result

        call, result = self.db.write_together(family_id, run)
        _after_pass(self.db, call)
        return result

    def _call(
        self,
        session: Session,
        principal: Principal,
        family_id: str,
        client_id: str,
        served_client_id: str | None,
        batched: bool,
    ) -> Call:
        return Call(
            session=session,
            principal=principal,
            family_id=family_id,
            now=self.clock(),
            market_clock=self.market_clock,
            client_id=client_id,
            served_client_id=served_client_id,
            budget=TradingBudget() if self.budget else None,
            claims=Claims(session, family_id),
            behind=WriteBehind() if batched else None,
            market=self.market,
        )

    def run(
        self,
        principal: Principal,
        name: str,
        args: dict[str, Any],
        mutation_id: str,
        *,
        then: Then | None = None,
    ) -> MutationResult:
        """Decide and record one change now (a REST route). A retry with the same id and the same
        arguments answers the stored outcome, whatever it was; other arguments are refused.

        ``then`` writes the route's own record of the outcome (a payout row) in the same
        transaction: the outcome and that record commit together or not at all."""
        pseudo_device = f"rest:{principal.user_id}"
        poisoned = False
        with self.open(principal, client_id=pseudo_device, served_client_id=principal.client_id) as call:
            existing = call.session.get(MutationRow, mutation_id)
            if existing is not None:
                if existing.user_id != principal.user_id or existing.args_hash != args_hash(name, args):
                    raise DomainError(Code.ID_TAKEN, "this Idempotency-Key was used for another request")
                return _then(call, stored_result(existing), then)
            last = select(func.max(MutationRow.seq)).where(MutationRow.client_id == pseudo_device)
            m = Mutation(seq=(call.session.scalar(last) or 0) + 1, id=mutation_id, name=name, args=args)
            call.claims.load([m])
            try:
                return _then(call, submit(call, m), then)
            except StepUpRequired:
                raise DomainError(ProtocolCode.STEP_UP_REQUIRED, "confirm with your password first") from None
            except Poisoned:
                poisoned = True  # the failure count commits with this transaction
        assert poisoned
        raise DomainError(ProtocolCode.UNAVAILABLE, "try again shortly", retry_after=2)


def _after_pass(db: Database, call: Call) -> None:
    # committed: a child's change may have met a parent's mission (imported here: the missions
    # module reads books and writes through this package's writer)
    from ..missions.completion import after_pass

    after_pass(db, call.family_id, call.children(), call.now)


T = TypeVar("T")

Then = Callable[[Session, MutationResult], None]
"""What a route records of a change's outcome in the change's own transaction (``Gateway.run``)."""


def _then(call: Call, result: MutationResult, then: Then | None) -> MutationResult:
    if then is not None:
        then(call.session, result)
    return result


def provide_gateway(
    db: NamedDependency[Database], clock: NamedDependency[Callable[[], datetime]], state: State
) -> Gateway:
    """DI provider: the gateway over the app's database, clock and market clock."""
    return Gateway(
        db,
        clock,
        provide_market_clock(state),
        budget=bool(state.limiter.enabled),
        limiter=state.limiter,
        market=lambda: provide_market_chain(state),
    )


@dataclass(frozen=True)
class Runner:
    """A route's way through the gateway for its caller (the DI dependency ``runner``)."""

    gateway: Gateway
    principal: Principal

    @property
    def db(self) -> Database:
        return self.gateway.db

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.gateway.clock

    def mutation_id(self, key: str | None) -> str:
        """The id of the change this call makes: derived from the caller's ``Idempotency-Key``
        (the same for a retry), or new."""
        return rest_mutation_id(self.principal.user_id, key) if key else new_id()

    def run(
        self,
        name: str,
        args: dict[str, Any],
        key: str | None = None,
        *,
        mutation_id: str | None = None,
        then: Then | None = None,
    ) -> MutationResult:
        return self.gateway.run(self.principal, name, args, mutation_id or self.mutation_id(key), then=then)

    def change(
        self, name: AccountChange, object_id: str | None = None
    ) -> AbstractContextManager[AccountPass]:
        """The caller's account change ``name`` (on ``object_id``), checked, in its write transaction."""
        return self.gateway.accounts.change(self.principal, name, object_id)

    def allowed(self, name: AccountChange, object_id: str | None = None) -> Named | None:
        """The checks of :meth:`change`, ahead of slow work (see ``AccountDoor.allowed``)."""
        return self.gateway.accounts.allowed(self.principal, name, object_id)

    def sending(
        self, name: AccountChange, object_id: str | None = None
    ) -> AbstractContextManager[AccountPass]:
        """The caller's change ``name`` that leaves the server (a message), checked, in a read
        transaction (see ``AccountDoor.sending``)."""
        return self.gateway.accounts.sending(self.principal, name, object_id)


def provide_runner(request: Request[Principal, Any, Any], gateway: NamedDependency[Gateway]) -> Runner:
    return Runner(gateway, request.user)

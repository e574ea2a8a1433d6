"""``/api/sync/push`` and ``/api/sync/pull`` (sync.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from sync.protocol import PullRequest, PullResponse, PushRequest, PushResponse

from ..db import Database
from ..market.clock import MarketClock, provide_market_clock
from ..principal import Principal
from .pull import pull
from .push import push

__all__ = ["ROUTES"]


@post(
    "/api/sync/push",
    operation_id="syncPush",
    status_code=200,
    sync_to_thread=True,
    tags=["sync"],
    request_max_body_size=1 << 20,
    dependencies={"market_clock": Provide(provide_market_clock, sync_to_thread=False)},
)
def push_route(
    request: Request[Principal, Any, Any],
    data: JSONBody[PushRequest],
    db: NamedDependency[Database],
    clock: NamedDependency[Callable[[], datetime]],
    market_clock: NamedDependency[MarketClock],
) -> PushResponse:
    """Apply a device's pending mutations in order; outcomes also arrive through the pull."""
    return push(db, request.user, data, clock, market_clock)


@post("/api/sync/pull", operation_id="syncPull", status_code=200, sync_to_thread=True, tags=["sync"])
def pull_route(
    request: Request[Principal, Any, Any],
    data: JSONBody[PullRequest],
    db: NamedDependency[Database],
    clock: NamedDependency[Callable[[], datetime]],
) -> PullResponse:
    """Changes since a cursor (or a full snapshot), this device's outcomes and the balance checksums."""
    return pull(db, request.user, data, clock)


ROUTES: list[Any] = [push_route, pull_route]

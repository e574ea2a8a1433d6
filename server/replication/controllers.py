"""``/api/sync/push`` and ``/api/sync/pull`` (sync.md): typed in and out (``sync.protocol``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from sync.protocol import MAX_PUSH_BYTES, PullRequest, PullResponse, PushRequest, PushResponse

from ..auth.middleware import STANDING_IN_HANDLER, confirm_standing
from ..db import Database
from ..gateway import Gateway, provide_gateway
from ..gateway.rest import RUNNER, RawBody, strict
from ..market.pricer import PRICER, Pricer, order_symbols
from ..principal import Principal
from ..problems import documented
from .pull import pull
from .push import push

__all__ = ["ROUTES"]


@post(
    "/api/sync/push",
    operation_id="syncPush",
    status_code=200,
    sync_to_thread=True,
    tags=["sync"],
    request_max_body_size=MAX_PUSH_BYTES,
    dependencies={"gateway": Provide(provide_gateway, sync_to_thread=False), **PRICER},
    # 400 an unknown protocol or mutation version, 403 not this caller's device (or step-up),
    # 404 no such device, 409 a gap or a diverged device, 503 a mutation to retry
    responses=documented(400, 401, 403, 404, 409, 413, 422, 429, 503),
    opt={STANDING_IN_HANDLER: True},
)
def push_route(
    request: Request[Principal, Any, Any],
    data: JSONBody[PushRequest],
    gateway: NamedDependency[Gateway],
    clock: NamedDependency[Callable[[], datetime]],
    market_pricer: NamedDependency[Pricer],
) -> PushResponse:
    """Apply a device's pending mutations in order; outcomes also arrive through the pull."""
    principal = confirm_standing(request)  # first: the bearer check's database half (STANDING_IN_HANDLER)
    # symbols never priced before get their first price now, before the push takes the write lock
    market_pricer.ensure(order_symbols(data.mutations), clock())
    return push(gateway, principal, data)


@post(
    "/api/sync/pull",
    operation_id="syncPull",
    status_code=200,
    sync_to_thread=True,
    tags=["sync"],
    responses=documented(400, 401, 403, 404, 422, 429, 503),
    dependencies={"raw_body": RUNNER["raw_body"]},
    opt={STANDING_IN_HANDLER: True},
)
def pull_route(
    request: Request[Principal, Any, Any],
    data: JSONBody[PullRequest],
    raw_body: RawBody,
    db: NamedDependency[Database],
    clock: NamedDependency[Callable[[], datetime]],
) -> PullResponse:
    """Changes since a cursor (or a full snapshot), this device's outcomes and the balance checksums."""
    principal = confirm_standing(request)  # first: the bearer check's database half (STANDING_IN_HANDLER)
    return pull(db, principal, strict(PullRequest, raw_body), clock)  # ``0`` is no ``false``


ROUTES: list[Any] = [push_route, pull_route]

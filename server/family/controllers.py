"""HTTP routes for the family overview and device revocation (rules and grants live in server.game)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, delete, get
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter

from ..auth.guards import family_member
from ..db import Database
from ..gateway import Runner
from ..gateway.rest import RUNNER
from ..market.providers import ProviderChain
from ..market.refresher import provide_market_chain
from ..principal import Principal
from ..problems import documented
from ..wire import ID_PATTERN
from . import services
from .leaderboard import leaderboard
from .schemas import FamilyOut, LeaderboardOut

__all__ = ["ROUTES"]


class FamilyController(Controller):
    path = "/api/family"
    tags = ["family"]
    guards = [family_member]
    dependencies = RUNNER

    @get("", operation_id="getFamily", responses=documented(401, 404, 429), sync_to_thread=True)
    def family(self, request: Request[Principal, Any, Any], db: NamedDependency[Database]) -> FamilyOut:
        """Members, devices (parents see all) and each child's house rules."""
        return services.overview(db, request.user)

    @get(
        "/leaderboard",
        operation_id="getLeaderboard",
        responses=documented(401, 404, 429),
        sync_to_thread=True,
        dependencies={"market_chain": Provide(provide_market_chain, sync_to_thread=True)},
    )
    def leaderboard(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        market_chain: NamedDependency[ProviderChain],
    ) -> LeaderboardOut:
        """The opted-in children (house rule ``leaderboard``) ranked by return relative to the market,
        over the last week and since they started; a child not on it gets ``enabled: false``."""
        return leaderboard(db, request.user, clock(), market_chain)

    @delete(
        "/devices/{client_id:str}",
        operation_id="revokeDevice",
        responses=documented(401, 403, 404, 429),
        status_code=204,
        sync_to_thread=True,
    )
    def revoke_device(
        self, client_id: Annotated[str, PathParameter(pattern=ID_PATTERN)], runner: NamedDependency[Runner]
    ) -> None:
        """Revoke a device: its tokens stop working at once (a parent with step-up)."""
        services.revoke_device(runner, client_id)


ROUTES = [FamilyController]

"""HTTP routes for the family overview and device revocation (rules and grants live in server.game)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Controller, Request, delete, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from ..auth.guards import family_member
from ..db import Database
from ..principal import Principal
from ..problems import documented
from . import services
from .schemas import FamilyOut

__all__ = ["ROUTES"]


class FamilyController(Controller):
    path = "/api/family"
    tags = ["family"]
    guards = [family_member]

    @get("", operation_id="getFamily", responses=documented(401, 404, 429), sync_to_thread=True)
    def family(self, request: Request[Principal, Any, Any], db: NamedDependency[Database]) -> FamilyOut:
        """Members, devices (parents see all) and each child's house rules."""
        return services.overview(db, request.user)

    @delete(
        "/devices/{client_id:str}",
        operation_id="revokeDevice",
        responses=documented(401, 403, 404, 429),
        status_code=204,
        sync_to_thread=True,
    )
    def revoke_device(
        self,
        request: Request[Principal, Any, Any],
        client_id: FromPath[str],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
    ) -> None:
        """Revoke a device: its tokens stop working at once (a parent with step-up)."""
        services.revoke_device(db, request.user, client_id, clock())


ROUTES = [FamilyController]

"""HTTP routes of parent missions: a child's list (the child or its parents), a parent's new mission
and calling one off (both step-up: a mission promises game money)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from ..db import Database
from ..gateway import Runner
from ..gateway.rest import RUNNER, IdempotencyKey, RawBody, strict
from ..principal import Principal
from ..problems import documented
from ..wire import ID_PATTERN
from . import services
from .schemas import MissionBody, MissionOut

__all__ = ["ROUTES"]

ChildId = Annotated[str, PathParameter(pattern=ID_PATTERN)]
MissionId = Annotated[str, PathParameter(pattern=ID_PATTERN)]


class MissionController(Controller):
    path = "/api/family/children/{child_id:str}/missions"
    tags = ["family"]
    dependencies = RUNNER

    @get("/", operation_id="listMissions", responses=documented(401, 404, 429), sync_to_thread=True)
    def list_missions(
        self,
        request: Request[Principal, Any, Any],
        child_id: ChildId,
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
    ) -> list[MissionOut]:
        """The child's missions, newest first, with how far it is on each."""
        return services.list_missions(db, request.user, child_id, clock())

    @post(
        "/",
        operation_id="createMission",
        responses=documented(401, 403, 404, 409, 422, 429),
        sync_to_thread=True,
        status_code=201,
    )
    def create(
        self,
        child_id: ChildId,
        data: JSONBody[MissionBody],
        raw_body: RawBody,
        runner: NamedDependency[Runner],
        idempotency_key: IdempotencyKey = None,
    ) -> MissionOut:
        """Set a mission for a child (step-up): a kind, the number to reach and a reward in game won.
        One already met completes at once."""
        return services.create(runner, child_id, strict(MissionBody, raw_body), idempotency_key)

    @delete(
        "/{mission_id:str}",
        operation_id="cancelMission",
        responses=documented(401, 403, 404, 409, 429),
        sync_to_thread=True,
        status_code=200,
    )
    def cancel(self, child_id: ChildId, mission_id: MissionId, runner: NamedDependency[Runner]) -> MissionOut:
        """Call off an open mission (step-up); a completed one was rewarded and stays (409)."""
        return services.cancel(runner, child_id, mission_id)


ROUTES: list[Any] = [MissionController]

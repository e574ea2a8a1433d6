"""HTTP routes of a family's data rights: export, erase, and calling an erasure off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from ..db import Database
from ..gateway import Runner
from ..gateway.rest import RUNNER
from ..principal import Principal
from ..problems import documented
from ..wire import ID_PATTERN
from . import services
from .schemas import EraseBody, ErasureOut, Erasures, ExportFormat

__all__ = ["ROUTES"]

ChildId = Annotated[str, PathParameter(pattern=ID_PATTERN)]
Format = Annotated[
    ExportFormat, QueryParameter(description="json (everything), csv (the ledger) or zip (both)")
]


def _download(file: services.Download) -> Response[bytes]:
    content, media_type, name = file
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _cooling_off(state: State) -> timedelta:
    return timedelta(days=state.settings.erase_cooling_off_days)


class DataRightsController(Controller):
    path = "/api/family"
    tags = ["family"]
    dependencies = RUNNER

    @get(
        "/export", operation_id="exportFamily", responses=documented(401, 403, 404, 429), sync_to_thread=True
    )
    def export_family(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        format: Format = "json",  # noqa: A002 - the query parameter's name
    ) -> Response[bytes]:
        """Everything the server keeps of the family (a parent with step-up)."""
        return _download(services.export(db, request.user, None, format, clock()))

    @get(
        "/children/{user_id:str}/export",
        operation_id="exportChild",
        responses=documented(401, 403, 404, 429),
        sync_to_thread=True,
    )
    def export_child(
        self,
        request: Request[Principal, Any, Any],
        user_id: ChildId,
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
        format: Format = "json",  # noqa: A002 - the query parameter's name
    ) -> Response[bytes]:
        """Everything the server keeps of one child, for a parent to hand over (step-up)."""
        return _download(services.export(db, request.user, user_id, format, clock()))

    @get(
        "/erasures",
        operation_id="listErasures",
        responses=documented(401, 403, 404, 429),
        sync_to_thread=True,
    )
    def list_erasures(
        self,
        request: Request[Principal, Any, Any],
        db: NamedDependency[Database],
        clock: NamedDependency[Callable[[], datetime]],
    ) -> Erasures:
        """The family's pending erasures and when each will run (a parent)."""
        return services.erasures(db, request.user, clock())

    @post(
        "/erasure",
        operation_id="eraseFamily",
        responses=documented(401, 403, 404, 422, 429),
        sync_to_thread=True,
        status_code=202,
    )
    def erase_family(
        self, data: JSONBody[EraseBody], runner: NamedDependency[Runner], state: State
    ) -> ErasureOut:
        """Erase the whole family after the cooling-off (step-up; ``confirm: true``)."""
        return services.request_erasure(runner, None, data.confirm, _cooling_off(state))

    @delete(
        "/erasure",
        operation_id="cancelFamilyErasure",
        responses=documented(401, 403, 404, 429),
        sync_to_thread=True,
        status_code=204,
    )
    def cancel_family(self, runner: NamedDependency[Runner]) -> None:
        """Call off the family's pending erasure (step-up)."""
        services.cancel_erasure(runner, None)

    @post(
        "/children/{user_id:str}/erasure",
        operation_id="eraseChild",
        responses=documented(401, 403, 404, 422, 429),
        sync_to_thread=True,
        status_code=202,
    )
    def erase_child(
        self, user_id: ChildId, data: JSONBody[EraseBody], runner: NamedDependency[Runner], state: State
    ) -> ErasureOut:
        """Erase one child and everything of it after the cooling-off (step-up; ``confirm: true``)."""
        return services.request_erasure(runner, user_id, data.confirm, _cooling_off(state))

    @delete(
        "/children/{user_id:str}/erasure",
        operation_id="cancelChildErasure",
        responses=documented(401, 403, 404, 429),
        sync_to_thread=True,
        status_code=204,
    )
    def cancel_child(self, user_id: ChildId, runner: NamedDependency[Runner]) -> None:
        """Call off a child's pending erasure (step-up)."""
        services.cancel_erasure(runner, user_id)


ROUTES = [DataRightsController]

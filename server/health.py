"""Liveness and readiness probes (no authentication, no rate limit)."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .db.migrate import SchemaState, schema_state

__all__ = ["ROUTES"]

# a rolling upgrade: the next release migrates (expand only) while this one keeps serving
_SERVABLE = (SchemaState.AT_HEAD, SchemaState.ONE_AHEAD)


class HealthOut(msgspec.Struct):
    status: Literal["ok"]


SchemaName = Literal["empty", "behind", "at head", "one step ahead", "ahead"]


class ReadyOut(msgspec.Struct, omit_defaults=True):
    status: Literal["ready", "unavailable"]
    # why it is not ready: unreachable, or the schema's state (``schema empty``, ``schema ahead``, …)
    database: str | None = None
    schema: SchemaName | None = None  # where the schema stands when it is ready


@get(
    "/health",
    exclude_from_auth=True,
    operation_id="health",
    tags=["operations"],
    security=[{}],
    sync_to_thread=False,
)
def health() -> HealthOut:
    """The process is alive."""
    return HealthOut("ok")


@get(
    "/ready",
    exclude_from_auth=True,
    operation_id="ready",
    responses={503: ResponseSpec(data_container=ReadyOut, description="Not ready", generate_examples=False)},
    tags=["operations"],
    security=[{}],
    sync_to_thread=True,
)
def ready(state: State) -> Response[ReadyOut]:
    """The database answers and its schema is at the code's head or one known step ahead (503 otherwise)."""
    db = state.db
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        schema = schema_state(db.engine, state.migration_heads)
    except SQLAlchemyError:
        return Response(ReadyOut("unavailable", "unreachable"), status_code=503)
    if schema not in _SERVABLE:
        return Response(ReadyOut("unavailable", f"schema {schema.value}"), status_code=503)
    return Response(ReadyOut("ready", schema=schema.value), status_code=200)


ROUTES = [health, ready]

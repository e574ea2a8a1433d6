"""Liveness and readiness probes (no authentication, no rate limit)."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .db.migrate import at_head

__all__ = ["ROUTES"]


@get(
    "/health",
    exclude_from_auth=True,
    operation_id="health",
    tags=["operations"],
    security=[{}],
    sync_to_thread=False,
)
def health() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@get(
    "/ready",
    exclude_from_auth=True,
    operation_id="ready",
    responses={503: ResponseSpec(data_container=dict[str, str], description="Not ready")},
    tags=["operations"],
    security=[{}],
    sync_to_thread=True,
)
def ready(state: State) -> Response[dict[str, str]]:
    """The database answers and its schema is at the code's migration head (503 otherwise)."""
    db = state.db
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        migrated = at_head(db.engine, state.migration_heads)
    except SQLAlchemyError:
        return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not migrated:
        return Response({"status": "unavailable", "database": "schema not at head"}, status_code=503)
    return Response({"status": "ready"}, status_code=200)


ROUTES = [health, ready]

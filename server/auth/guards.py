"""Route guards: role, step-up and family membership, each raising a problem with a stable code.

Guards decide *who may call a route at all*; whether an object belongs to the caller's family is
checked by the service, which answers 404 for another family's object.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from sync.errors import Code, ProtocolCode
from sync.records import Role

from ..errors import ProblemError
from ..principal import Principal

__all__ = [
    "Guard",
    "family_member",
    "principal_of",
    "refuse_unless_parent",
    "requires_role",
    "requires_step_up",
]

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise ProblemError(401, ProtocolCode.UNAUTHENTICATED, "sign in first")
    return user


def requires_role(*roles: Role) -> Guard:
    """Only callers with one of ``roles`` (403 ``FORBIDDEN`` otherwise)."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if principal_of(connection).role not in allowed:
            raise ProblemError(403, Code.FORBIDDEN, "your role may not do this")

    return guard


def refuse_unless_parent(principal: Principal, *, step_up_at: datetime | None = None) -> None:
    """:func:`requires_role` (PARENT) and, given ``step_up_at`` (now), :func:`requires_step_up`, as a call.

    For a route that names an object: its service first looks the object up in the caller's family
    (404 for another family's, whatever the caller's role), then refuses the wrong role or a
    missing step-up with the same problems as the guards.
    """
    if principal.role is not Role.PARENT:
        raise ProblemError(403, Code.FORBIDDEN, "your role may not do this")
    if step_up_at is not None and not principal.elevated(step_up_at):
        raise ProblemError(403, ProtocolCode.STEP_UP_REQUIRED, "confirm your password first (step-up)")


def requires_step_up(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A parent whose token was elevated with the password in the last 5 minutes."""
    principal = principal_of(connection)
    if principal.role is not Role.PARENT:
        raise ProblemError(403, Code.FORBIDDEN, "only a parent may do this")
    if not principal.elevated(connection.app.state.clock()):
        raise ProblemError(403, ProtocolCode.STEP_UP_REQUIRED, "confirm your password first (step-up)")


def family_member(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A parent or child of some family. The ADMIN has no family: family data is 404 to it."""
    if principal_of(connection).family_id is None:
        raise ProblemError(404, Code.NOT_FOUND, "not found")

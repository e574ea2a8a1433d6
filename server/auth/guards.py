"""Route guards: role, step-up and family membership, each refusing with a stable code.

Guards decide *who may call a route at all*, before its body is read; whether the caller may make
a change to an object of its family is the gateway's (``server.gateway``), which answers 404 for
another family's object whatever the caller's role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from sync.errors import Code, ProtocolCode
from sync.records import Role

from ..errors import DomainError
from ..principal import Principal

__all__ = [
    "Guard",
    "family_member",
    "principal_of",
    "requires_role",
    "requires_step_up",
]

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise DomainError(ProtocolCode.UNAUTHENTICATED, "sign in first")
    return user


def requires_role(*roles: Role) -> Guard:
    """Only callers with one of ``roles`` (403 ``FORBIDDEN`` otherwise)."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if principal_of(connection).role not in allowed:
            raise DomainError(Code.FORBIDDEN, "your role may not do this")

    return guard


def requires_step_up(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A parent whose token was elevated with the password in the last 5 minutes."""
    principal = principal_of(connection)
    if principal.role is not Role.PARENT:
        raise DomainError(Code.FORBIDDEN, "only a parent may do this")
    if not principal.elevated(connection.app.state.clock()):
        raise DomainError(ProtocolCode.STEP_UP_REQUIRED, "confirm your password first (step-up)")


def family_member(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A parent or child of some family. The ADMIN has no family: family data is 404 to it."""
    if principal_of(connection).family_id is None:
        raise DomainError(Code.NOT_FOUND, "not found")

"""Bearer authentication: verify the access JWT, then check the user, device and session still stand.

The database check is what makes revocation immediate: a deleted user, a revoked device, a revoked
session (logout, refresh reuse) or a token older than ``users.tokens_valid_after`` is refused on the
very next request, not when the 15-minute token expires.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import bindparam, exists, select

from sync.errors import ProtocolCode
from sync.records import Role

from ..db import Database
from ..db.models import Device, RefreshToken, User
from ..errors import ProblemError
from ..principal import Principal
from ..ratelimit import take_back_request
from .tokens import AccessClaims, InvalidToken, decode_access

__all__ = [
    "AUTH_EXCLUDE",
    "STANDING_IN_HANDLER",
    "BearerAuthMiddleware",
    "confirm_standing",
    "load_principal",
    "refused_standing",
]

# Anchored: Litestar searches these patterns anywhere in the path.
AUTH_EXCLUDE = [r"^/schema(/|$)", r"^/health$", r"^/ready$"]

# A route's ``opt``: its sync handler calls :func:`confirm_standing` first, in the worker thread it
# runs in anyway. The busiest routes (pull, price, push) are nine requests in ten; a thread hop of
# their own for the database check was a third of their cost in the event loop and worker queues.
STANDING_IN_HANDLER = "standing_in_handler"
_PENDING = "yongdon_unconfirmed_claims"


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Puts a :class:`Principal` in ``request.user`` and the verified claims in ``request.auth``."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("a bearer access token is required", "Bearer")
        state = connection.app.state
        now: datetime = state.clock()
        try:
            claims = decode_access(token.strip(), now, state.settings)
        except InvalidToken as error:
            raise _unauthenticated(_INVALID, _INVALID_CHALLENGE) from error
        handler = connection.scope.get("route_handler")
        if handler is not None and handler.opt.get(STANDING_IN_HANDLER):
            # the signature is verified; whether user, device and session still stand is read by
            # the handler before anything else (confirm_standing), in its own worker thread
            claimed = _claimed(claims)
            if claimed is None:
                raise _unauthenticated(_INVALID, _INVALID_CHALLENGE)
            connection.scope[_PENDING] = claims  # type: ignore[literal-required]
            return AuthenticationResult(user=claimed, auth=claims)
        principal = await anyio.to_thread.run_sync(load_principal, state.db, claims)
        if principal is None:
            raise _unauthenticated(_INVALID, _INVALID_CHALLENGE)
        return AuthenticationResult(user=principal, auth=claims)


def confirm_standing(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller, once its user, device and session are found still standing (401 otherwise): the
    first call of every handler whose route sets :data:`STANDING_IN_HANDLER`, in its worker thread.
    Elsewhere the middleware has read them already and this is ``request.user``."""
    claims: AccessClaims | None = request.scope.pop(_PENDING, None)  # type: ignore[misc]
    if claims is None:
        user: Principal = request.scope["user"]  # type: ignore[typeddict-item]
        return user
    principal = load_principal(request.app.state.db, claims)
    request.scope["user"] = principal  # the request log's user id: none for a refused caller
    if principal is None:
        take_back_request(request.scope)  # a device no longer standing spends no one's budget
        raise _unauthenticated(_INVALID, _INVALID_CHALLENGE)
    return principal


def refused_standing(request: ASGIConnection[Any, Any, Any, Any]) -> ProblemError | None:
    """The 401 for a request refused before its handler confirmed the caller (:data:`STANDING_IN_HANDLER`)
    whose caller no longer stands; ``None`` if it stands, or was confirmed already."""
    if _PENDING not in request.scope:
        return None
    try:
        confirm_standing(request)
    except ProblemError as refused:
        return refused
    return None


def _claimed(claims: AccessClaims) -> Principal | None:
    """The caller as its verified token states it, before the database has confirmed it."""
    try:
        role = Role(claims.role)
    except ValueError:
        return None
    elevated = claims.elevated_until if role is Role.PARENT else None
    return Principal(claims.user_id, role, claims.family_id, claims.client_id, elevated)


_INVALID = "the access token is not valid"
_INVALID_CHALLENGE = 'Bearer error="invalid_token"'


def _unauthenticated(detail: str, challenge: str) -> ProblemError:
    # The one problem built here rather than a DomainError: this answers before routing, and a 401
    # from the bearer check must carry its WWW-Authenticate challenge (RFC 6750 §3), a header no
    # stable code implies (a wrong password at sign-in is a 401 without one).
    return ProblemError(401, ProtocolCode.UNAUTHENTICATED, detail, headers={"WWW-Authenticate": challenge})


# One statement per request, built once: its compiled SQL is cached, so a request pays one round trip
# and no statement building. The user row is joined with the token's device (no row when the token
# names none) and with whether the token's session has been revoked. Read on every request, never
# cached: a revocation must refuse the very next request, in every server process.
_STANDING = (
    select(
        User.role,
        User.family_id,
        User.tokens_valid_after,
        Device.user_id.label("device_user_id"),
        Device.revoked_at.label("device_revoked_at"),
        exists(
            select(RefreshToken.id).where(
                RefreshToken.chain_id == bindparam("session_id"), RefreshToken.revoked_at.is_not(None)
            )
        ).label("session_revoked"),
    )
    .select_from(User)
    .outerjoin(Device, Device.client_id == bindparam("client_id"))
    .where(User.id == bindparam("user_id"))
)


def load_principal(db: Database, claims: AccessClaims) -> Principal | None:
    """The caller if the token's user, device and session are all still active, else ``None``."""
    # one statement needs no snapshot transaction; and no ORM session loading (and opening the
    # sealed name and e-mail of) a whole user row
    with db.one_read() as connection:
        row = connection.execute(
            _STANDING,
            {"user_id": claims.user_id, "client_id": claims.client_id, "session_id": claims.session_id},
        ).first()
    if row is None or row.role != claims.role or row.family_id != claims.family_id:
        return None
    # iat has whole seconds: a token from the same second as the cut-off is still accepted
    valid_after = row.tokens_valid_after
    if valid_after is not None and claims.issued_at.timestamp() < int(valid_after.timestamp()):
        return None
    if claims.client_id is not None and (
        row.device_user_id != claims.user_id or row.device_revoked_at is not None
    ):
        return None  # no such device (the outer join found none), another user's, or revoked
    if row.session_revoked:
        return None
    role = Role(row.role)
    return Principal(
        user_id=claims.user_id,
        role=role,
        family_id=row.family_id,
        client_id=claims.client_id,
        elevated_until=claims.elevated_until if role is Role.PARENT else None,
    )

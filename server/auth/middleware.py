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
from sqlalchemy import exists, select

from sync.errors import ProtocolCode
from sync.records import Role

from ..db import Database
from ..db.models import Device, RefreshToken, User
from ..errors import ProblemError
from ..principal import Principal
from .tokens import AccessClaims, InvalidToken, decode_access

__all__ = ["AUTH_EXCLUDE", "BearerAuthMiddleware", "load_principal"]

# Anchored: Litestar searches these patterns anywhere in the path.
AUTH_EXCLUDE = [r"^/schema(/|$)", r"^/health$", r"^/ready$"]


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
        principal = await anyio.to_thread.run_sync(load_principal, state.db, claims)
        if principal is None:
            raise _unauthenticated(_INVALID, _INVALID_CHALLENGE)
        return AuthenticationResult(user=principal, auth=claims)


_INVALID = "the access token is not valid"
_INVALID_CHALLENGE = 'Bearer error="invalid_token"'


def _unauthenticated(detail: str, challenge: str) -> ProblemError:
    # The one problem built here rather than a DomainError: this answers before routing, and a 401
    # from the bearer check must carry its WWW-Authenticate challenge (RFC 6750 §3), a header no
    # stable code implies (a wrong password at sign-in is a 401 without one).
    return ProblemError(401, ProtocolCode.UNAUTHENTICATED, detail, headers={"WWW-Authenticate": challenge})


def load_principal(db: Database, claims: AccessClaims) -> Principal | None:
    """The caller if the token's user, device and session are all still active, else ``None``."""
    with db.read() as session:
        user = session.get(User, claims.user_id)
        if user is None or user.role != claims.role or user.family_id != claims.family_id:
            return None
        valid_after = user.tokens_valid_after
        # iat has whole seconds: a token from the same second as the cut-off is still accepted
        if valid_after is not None and claims.issued_at.timestamp() < int(valid_after.timestamp()):
            return None
        if claims.client_id is not None:
            device = session.get(Device, claims.client_id)
            if device is None or device.user_id != user.id or device.revoked_at is not None:
                return None
        revoked = select(RefreshToken.id).where(
            RefreshToken.chain_id == claims.session_id, RefreshToken.revoked_at.is_not(None)
        )
        if session.scalar(select(exists(revoked))):
            return None
        # built inside the block: the read transaction's rollback expires the loaded row
        role = Role(user.role)
        return Principal(
            user_id=user.id,
            role=role,
            family_id=user.family_id,
            client_id=claims.client_id,
            elevated_until=claims.elevated_until if role is Role.PARENT else None,
        )

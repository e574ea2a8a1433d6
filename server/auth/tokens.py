"""Access tokens: short JWTs whose every claim is required and checked (RFC 8725).

A refresh token is never a JWT (it is opaque), so it can never pass as an access token; ``typ``
separates access tokens from anything else we might sign later with the same key.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from ..settings import Settings

__all__ = ["ALGORITHM", "AccessClaims", "InvalidToken", "decode_access", "encode_access"]

ALGORITHM = "HS256"
ACCESS_TYP = "access"
_REQUIRED = ["iss", "aud", "sub", "typ", "exp", "iat", "role", "sid"]
# present but null for the ADMIN (no family) and for a session without a device
_NULLABLE = ("family_id", "client_id")


class InvalidToken(Exception):
    """The bearer token is missing a claim, expired, forged or meant for something else."""


@dataclass(frozen=True)
class AccessClaims:
    """The verified content of an access token."""

    user_id: str
    role: str
    family_id: str | None
    client_id: str | None
    session_id: str  # the refresh chain this token belongs to: logout or reuse detection ends both
    issued_at: datetime
    elevated_until: datetime | None


def encode_access(claims: AccessClaims, now: datetime, settings: Settings) -> str:
    """Sign an access token valid from ``now`` for the server's access-token lifetime (15 minutes)."""
    payload = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": claims.user_id,
        "typ": ACCESS_TYP,
        "iat": int(now.timestamp()),
        "exp": int((now + settings.access_ttl).timestamp()),
        "family_id": claims.family_id,
        "role": claims.role,
        "client_id": claims.client_id,
        "sid": claims.session_id,
    }
    if claims.elevated_until is not None:
        payload["elev"] = int(claims.elevated_until.timestamp())
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM)


@functools.lru_cache(maxsize=2048)
def _verified(token: str, secret: str, audience: str, issuer: str) -> dict[str, Any]:
    """The token's claims once its signature, algorithm, issuer, audience and required claims are
    verified (read only: the same dict answers every request that carries the token).

    A device sends one token for its 15 minutes: checking it again on each request was ~110 µs of
    the event loop's time for a request. What is verified here depends on these arguments alone, so
    a token is verified once per key; only tokens that passed are kept (a forgery is checked anew each
    time), and :func:`decode_access` checks expiry and the rest on every call.
    """
    payload: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        audience=audience,
        issuer=issuer,
        # expiry is checked by decode_access against the injected clock, not the wall clock
        options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False},
    )
    return payload


def decode_access(token: str, now: datetime, settings: Settings) -> AccessClaims:
    """Verify signature, algorithm, issuer, audience, type and expiry against ``now``."""
    try:
        payload = _verified(token, settings.jwt_secret, settings.audience, settings.issuer)
    except jwt.PyJWTError as error:
        raise InvalidToken(type(error).__name__) from error
    if payload["typ"] != ACCESS_TYP or any(name not in payload for name in _NULLABLE):
        raise InvalidToken("not an access token")
    exp, iat = payload["exp"], payload["iat"]
    if not isinstance(exp, int) or not isinstance(iat, int) or now.timestamp() >= exp:
        raise InvalidToken("expired")
    if iat > now.timestamp() + 60:  # issued in the future: a clock problem or a forgery
        raise InvalidToken("issued in the future")
    elev = payload.get("elev")
    if elev is not None and not isinstance(elev, int):
        raise InvalidToken("bad elev")
    return AccessClaims(
        user_id=str(payload["sub"]),
        role=str(payload["role"]),
        family_id=payload["family_id"],
        client_id=payload["client_id"],
        session_id=str(payload["sid"]),
        issued_at=datetime.fromtimestamp(iat, UTC),
        elevated_until=datetime.fromtimestamp(elev, UTC) if elev is not None else None,
    )

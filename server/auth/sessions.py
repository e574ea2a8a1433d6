"""Sessions: an access JWT plus an opaque refresh token that rotates on every use (RFC 9700 §4.14).

A *chain* is one sign-in: every rotation adds a token to it, and the access tokens carry its id as
``sid``. Presenting a token that was already rotated means two parties hold the chain, so the whole
chain is revoked — and its access tokens stop at once, because the middleware checks the chain.

Grace window: a token presented again within 10 s of its rotation, while its successor is still
unused, gets the *same* successor again (with a fresh access token) and revokes nothing. That is a
lost response followed by a retry, or two parts of one app refreshing at the same moment: the device
must not be signed out, and the chain must not fork. The successor is derived from the presented
token with an HMAC of the server's secret, so it can be answered again without storing it. Once the
successor has been used, or after 10 s, presenting the old token is treated as theft.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from sync.errors import ProtocolCode

from ..db.models import Device, Family, RefreshToken, User
from ..errors import DomainError
from ..notify.alerts import security_alert
from ..settings import Settings
from .credentials import digest
from .tokens import AccessClaims, encode_access

__all__ = [
    "REFRESH_TTL",
    "REUSE_GRACE",
    "end_session",
    "family_disabled",
    "issue_tokens",
    "revoke_chain",
    "revoke_device_chains",
    "rotate",
    "step_up_token",
]

REFRESH_TTL = timedelta(days=7)
REUSE_GRACE = timedelta(seconds=10)
STEP_UP_TTL = timedelta(minutes=5)


def family_disabled(session: Session, family_id: str) -> bool:
    return session.scalar(select(Family.disabled_at).where(Family.id == family_id)) is not None


def _unauthenticated(detail: str) -> DomainError:
    # kept: a refusal may have written (reuse detection revokes the chain), and that must stand
    return DomainError(ProtocolCode.UNAUTHENTICATED, detail, keep=True)


def issue_tokens(
    session: Session, user: User, client_id: str | None, now: datetime, settings: Settings
) -> dict[str, Any]:
    """Start a new session (a new refresh chain) for ``user`` on ``client_id``; returns the token answer.

    The caller owns the transaction and must have bound ``client_id`` to ``user`` already.
    """
    return _issue(
        session, user, client_id, now, settings, chain_id=uuid.uuid4().hex, expires_at=now + REFRESH_TTL
    )


def _issue(
    session: Session,
    user: User,
    client_id: str | None,
    now: datetime,
    settings: Settings,
    *,
    chain_id: str,
    expires_at: datetime,
    refresh: str | None = None,
) -> dict[str, Any]:
    if user.family_id is not None and family_disabled(session, user.family_id):
        # every sign-in and refresh ends here; the operator's disabling already revoked the rest
        raise DomainError(ProtocolCode.ACCOUNT_DISABLED, "the server's operator disabled this family")
    refresh = refresh or secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            id=uuid.uuid4().hex,
            token_hash=digest(refresh),
            chain_id=chain_id,
            user_id=user.id,
            client_id=client_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return _answer(user, client_id, refresh, now, settings, chain_id=chain_id, expires_at=expires_at)


def _answer(
    user: User,
    client_id: str | None,
    refresh: str,
    now: datetime,
    settings: Settings,
    *,
    chain_id: str,
    expires_at: datetime,
) -> dict[str, Any]:
    claims = AccessClaims(
        user_id=user.id,
        role=user.role,
        family_id=user.family_id,
        client_id=client_id,
        session_id=chain_id,
        issued_at=now,
        elevated_until=None,
    )
    return {
        "access_token": encode_access(claims, now, settings),
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_s,
        "refresh_expires_at": expires_at,
        "user_id": user.id,
        "role": user.role,
        "family_id": user.family_id,
        "client_id": client_id,
    }


def rotate(session: Session, presented: str, now: datetime, settings: Settings) -> dict[str, Any]:
    """Exchange a refresh token for a new pair.

    Reuse detection writes (it revokes the chain), so its refusal is raised with ``keep``: the
    transaction (a ``signing_in`` pass of the gateway) commits the revocation, then answers 401.
    """
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(presented)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise _unauthenticated("refresh token is not valid")
    if row.used_at is not None:
        if now - row.used_at <= REUSE_GRACE and not _successor_used(session, row):
            return _answer_again(session, row, now, settings)
        revoke_chain(session, row.chain_id, now)
        owner = session.get(User, row.user_id)
        if owner is not None:  # told to every parent: whoever replayed it holds a stolen token
            security_alert(session, owner, "refresh_reuse", now)
        raise _unauthenticated("refresh token was reused: the session is revoked")
    # Conditional on "still unused": of two concurrent rotations exactly one changes the row.
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise _unauthenticated("refresh token was just rotated")
    user = session.get(User, row.user_id)
    if user is None or not _device_active(session, user, row.client_id):
        revoke_chain(session, row.chain_id, now)
        raise _unauthenticated("the device or user is no longer active")
    successor = _successor(row, settings)
    return _issue(
        session,
        user,
        row.client_id,
        now,
        settings,
        chain_id=row.chain_id,
        expires_at=row.expires_at,
        refresh=successor,
    )


def _successor(row: RefreshToken, settings: Settings) -> str:
    """The refresh token that replaces ``row``: the same every time it is asked for (see above)."""
    label = b"refresh-successor:" + row.token_hash.encode()
    mac = hmac.new(settings.jwt_secret.encode(), label, hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def _answer_again(session: Session, row: RefreshToken, now: datetime, settings: Settings) -> dict[str, Any]:
    """The grace window: the same successor once more, with a fresh access token."""
    successor = _successor(row, settings)
    kept = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(successor)))
    user = session.get(User, row.user_id)
    if kept is None or kept.revoked_at is not None or user is None:
        raise _unauthenticated("refresh token is not valid")
    if not _device_active(session, user, row.client_id):
        raise _unauthenticated("the device or user is no longer active")
    return _answer(
        user, row.client_id, successor, now, settings, chain_id=kept.chain_id, expires_at=kept.expires_at
    )


def _successor_used(session: Session, row: RefreshToken) -> bool:
    assert row.used_at is not None
    later = select(RefreshToken.id).where(
        RefreshToken.chain_id == row.chain_id,
        RefreshToken.id != row.id,
        RefreshToken.used_at.is_not(None),
        RefreshToken.created_at >= row.used_at,
    )
    return bool(session.scalar(select(exists(later))))


def _device_active(session: Session, user: User, client_id: str | None) -> bool:
    if client_id is None:
        return True
    device = session.get(Device, client_id)
    return device is not None and device.user_id == user.id and device.revoked_at is None


def revoke_chain(session: Session, chain_id: str, now: datetime) -> None:
    """End one session: every refresh token of the chain, and (via ``sid``) its access tokens."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.chain_id == chain_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def end_session(session: Session, presented: str, now: datetime) -> None:
    """Logout: revoke the chain of ``presented`` (silently nothing for an unknown token)."""
    chain_id = session.scalar(
        select(RefreshToken.chain_id).where(RefreshToken.token_hash == digest(presented))
    )
    if chain_id is not None:
        revoke_chain(session, chain_id, now)


def revoke_device_chains(session: Session, client_id: str, now: datetime) -> None:
    """End every session of one device (a parent revoked it)."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.client_id == client_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def step_up_token(claims: AccessClaims, now: datetime, settings: Settings) -> dict[str, Any]:
    """A fresh access token of the same session, elevated for 5 minutes."""
    elevated = AccessClaims(
        user_id=claims.user_id,
        role=claims.role,
        family_id=claims.family_id,
        client_id=claims.client_id,
        session_id=claims.session_id,
        issued_at=now,
        elevated_until=now + STEP_UP_TTL,
    )
    return {
        "access_token": encode_access(elevated, now, settings),
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_s,
        "elevated_until": now + STEP_UP_TTL,
    }

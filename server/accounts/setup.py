"""The operator (ADMIN) account, created once with a one-time setup token printed at first start.

Whoever reaches a fresh server first must not own it: creating the ADMIN needs the token, which
only the person who can read the server's console (or run ``yongdon admin setup-token``) has.
"""

from __future__ import annotations

import hmac
import secrets
import sys
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode
from sync.records import Role

from ..auth.credentials import check_password_policy, digest, hash_password
from ..auth.sessions import issue_tokens
from ..db import Database
from ..db.models import ServerMeta, User
from ..errors import DomainError
from ..gateway import AccountDoor
from ..ids import new_id
from ..settings import Settings
from .devices import bind_device
from .schemas import AdminSetupIn
from .services import email_taken, invalid, normal_email

__all__ = ["announce_setup_token", "create_admin", "new_setup_token"]

_KEY = "admin_setup_token"


def _admin_exists(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN.value)) != 0


def new_setup_token(db: Database) -> str | None:
    """Replace the setup token with a new one and return it (``None`` once an ADMIN exists)."""
    token = secrets.token_urlsafe(24)
    with db.write() as session:
        if _admin_exists(session):
            return None
        session.merge(ServerMeta(key=_KEY, value=digest(token)))
    return token


def announce_setup_token(db: Database, now: datetime) -> None:
    """On the first start without an ADMIN, make a setup token and print it once to the console."""
    with db.read() as session:
        if _admin_exists(session) or session.get(ServerMeta, _KEY) is not None:
            return
    token = new_setup_token(db)
    if token:
        sys.stderr.write(
            f"\n  Yongdon first start ({now:%Y-%m-%d %H:%M} UTC): create the operator account with this\n"
            f"  one-time setup token (POST /api/admin/setup): {token}\n"
            "  It is shown only now; `yongdon admin setup-token` makes a new one.\n\n"
        )


def create_admin(door: AccountDoor, settings: Settings, body: AdminSetupIn, address: str) -> dict[str, Any]:
    """Create the ADMIN (no family) if ``body.token`` is the current setup token; it is then spent."""
    door.limiter.hit("setup", address)
    email = normal_email(body.email)
    if reason := check_password_policy(body.password, email=email):
        raise invalid(f"password: {reason}")
    password_hash = hash_password(body.password)
    with door.signing_in() as call:
        session, now = call.session, call.now
        stored = session.get(ServerMeta, _KEY)
        if (
            stored is None
            or _admin_exists(session)
            or not hmac.compare_digest(stored.value, digest(body.token))
        ):
            raise DomainError(Code.FORBIDDEN, "the setup token is not valid")
        if email_taken(session, email):
            raise DomainError(ProtocolCode.CONFLICT, "this e-mail is already registered")
        session.delete(stored)
        admin = User(
            id=new_id(),
            family_id=None,
            role=Role.ADMIN.value,
            display_name=body.display_name,
            email=email,
            password_hash=password_hash,
            locale="ko",
            created_at=now,
        )
        session.add(admin)
        session.flush()
        bind_device(session, admin, body.client_id, "", now)
        return issue_tokens(session, admin, body.client_id, now, settings)

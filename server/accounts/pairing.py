"""Single-use codes that enrol a child's device or invite a second parent.

A code is 12 Crockford base32 characters (60 bits) from ``secrets``, stored only as its SHA-256,
valid 24 hours, redeemed at most once (a conditional UPDATE decides races). Redemption is limited to
5 attempts an hour per address, so guessing is hopeless; an invalid, used and expired code all get
the same answer.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode
from sync.records import Role

from ..auth.credentials import check_password_policy, digest, hash_password
from ..auth.guards import refuse_unless_parent
from ..auth.sessions import issue_tokens
from ..db import Database
from ..db.models import PairingCode, User
from ..errors import ProblemError
from ..game.accounts import log_member
from ..ids import new_id
from ..notify.alerts import device_enrolled
from ..principal import Principal
from ..ratelimit import RateLimiter
from ..settings import Settings
from .devices import bind_device
from .schemas import JoinIn, LinkIn, LinkOut
from .services import email_taken, family_child, invalid, normal_email

__all__ = ["CODE_TTL", "create_link", "normalise_code", "redeem"]

CODE_TTL = timedelta(hours=24)
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_LENGTH = 12
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    """Forgive what people do when they type a code: case, dashes, spaces, I/L for 1 and O for 0."""
    return "".join(code.upper().split()).replace("-", "").translate(_READ_AS)


def create_link(db: Database, parent: Principal, body: LinkIn, now: datetime) -> LinkOut:
    """A parent makes a code for a child's device or for a second parent.

    Another family's child is 404 for every caller; then only a parent may make a code.
    """
    code = _new_code()
    with db.write(parent.family_id) as session:
        device_for = body.child_id if body.kind == "child_device" else None
        child_id = family_child(session, parent, device_for).id if device_for is not None else None
        refuse_unless_parent(parent)
        if body.kind == "child_device" and child_id is None:
            raise invalid("child_id is required for a child_device code")
        assert parent.family_id is not None  # family_member guard
        session.add(
            PairingCode(
                code_hash=digest(normalise_code(code)),
                family_id=parent.family_id,
                kind=body.kind,
                child_id=child_id,
                created_by=parent.user_id,
                created_at=now,
                expires_at=now + CODE_TTL,
            )
        )
    return LinkOut(kind=body.kind, code=code, expires_at=now + CODE_TTL, child_id=child_id)


def _not_valid() -> ProblemError:
    return ProblemError(404, Code.NOT_FOUND, "this code is not valid or has expired")


def _usable(session: Session, code_hash: str, now: datetime) -> PairingCode:
    row = session.get(PairingCode, code_hash)
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise _not_valid()
    return row


def redeem(
    db: Database, settings: Settings, limiter: RateLimiter, body: JoinIn, now: datetime, address: str
) -> dict[str, Any]:
    """Redeem a code on a device: enrol it for the child, or create the invited parent. Answers tokens."""
    limiter.hit("redeem", f"ip:{address}")
    code_hash = digest(normalise_code(body.code))
    with db.read() as session:
        found = _usable(session, code_hash, now)
        kind, family_id = found.kind, found.family_id
    password_hash = _new_parent_password(body) if kind == "parent_invite" else None
    with db.write(family_id) as session:
        row = _usable(session, code_hash, now)
        claimed = session.execute(
            update(PairingCode)
            .where(PairingCode.code_hash == code_hash, PairingCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise _not_valid()
        if row.kind == "child_device":
            user = session.get(User, row.child_id) if row.child_id else None
            if user is None:
                raise _not_valid()
        else:
            user = _create_parent(session, row, body, password_hash, now)
        if bind_device(session, user, body.client_id, body.device_name, now):
            device_enrolled(session, user, body.device_name, now)
        return issue_tokens(session, user, body.client_id, now, settings)


def _new_parent_password(body: JoinIn) -> str:
    if body.email is None or body.password is None or body.display_name is None:
        raise invalid("a parent invite needs email, password and display_name")
    if reason := check_password_policy(body.password, email=normal_email(body.email)):
        raise invalid(f"password: {reason}")
    return hash_password(body.password)


def _create_parent(
    session: Session, row: PairingCode, body: JoinIn, password_hash: str | None, now: datetime
) -> User:
    assert body.email is not None and body.display_name is not None and password_hash is not None
    email = normal_email(body.email)
    if email_taken(session, email):
        raise ProblemError(409, ProtocolCode.CONFLICT, "this e-mail is already registered")
    parent = User(
        id=new_id(),
        family_id=row.family_id,
        role=Role.PARENT.value,
        display_name=body.display_name,
        email=email,
        password_hash=password_hash,
        locale=body.locale,
        created_at=now,
    )
    session.add(parent)
    session.flush()
    log_member(
        session,
        family_id=row.family_id,
        user_id=parent.id,
        role=parent.role,
        display_name=parent.display_name,
        now=now,
    )
    return parent

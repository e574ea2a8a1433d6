"""Single-use codes that enrol a child's device or invite a second parent.

A code is 12 Crockford base32 characters (60 bits) from ``secrets``, stored only as its SHA-256,
valid 24 hours, redeemed at most once (a conditional UPDATE decides races). An invalid, used and
expired code all get the same answer.

Failures are counted, never successes and never per address (a family enrols its devices from one
home address):

- a *wrong code* (one that cannot be redeemed: unknown, used or expired, all answered alike)
  counts against one server-wide budget, as an unknown code names no family: 1,000 in ten minutes,
  then every redemption waits for the window to end. That keeps guessing hopeless whoever sends
  the guesses (at most 144,000 a day against 2^60 codes); it is the one limit a family can meet
  through no fault of its own, and only while someone guesses hard from several addresses (one
  address cannot send more than 1,000 in ten minutes: the general limit allows 100 a minute);
- a *redeemable code whose redemption is refused* (the invite's e-mail is taken, its password
  refused, the device belongs to someone else) counts against that code, 10 an hour, and against
  its family, 30 an hour, so someone holding a code cannot make the server hash passwords forever.
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
from ..auth.sessions import issue_tokens
from ..db.models import PairingCode, User
from ..errors import DomainError
from ..game.accounts import log_member
from ..gateway import AccountDoor, Runner
from ..ids import new_id
from ..notify.alerts import device_enrolled
from ..settings import Settings
from .devices import bind_device
from .schemas import JoinIn, LinkIn, LinkOut
from .services import email_taken, invalid, normal_email

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


def create_link(runner: Runner, body: LinkIn) -> LinkOut:
    """A parent makes a code for a child's device (``link.child_device``) or for a second parent
    (``link.parent_invite``).

    Another family's child is 404 for every caller; then only a parent may make a code.
    """
    code = _new_code()
    device_for = body.child_id if body.kind == "child_device" else None
    with runner.change(f"link.{body.kind}", device_for) as call:
        child_id = call.child().id if device_for is not None else None
        if body.kind == "child_device" and child_id is None:
            raise invalid("child_id is required for a child_device code")
        assert call.family_id is not None
        now = call.now
        call.session.add(
            PairingCode(
                code_hash=digest(normalise_code(code)),
                family_id=call.family_id,
                kind=body.kind,
                child_id=child_id,
                created_by=runner.principal.user_id,
                created_at=now,
                expires_at=now + CODE_TTL,
            )
        )
    return LinkOut(kind=body.kind, code=code, expires_at=now + CODE_TTL, child_id=child_id)


def _not_valid() -> DomainError:
    return DomainError(Code.NOT_FOUND, "this code is not valid or has expired")


def _usable(session: Session, code_hash: str, now: datetime) -> PairingCode:
    row = session.get(PairingCode, code_hash)
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise _not_valid()
    return row


def redeem(door: AccountDoor, settings: Settings, body: JoinIn) -> dict[str, Any]:
    """Redeem a code on a device: enrol it for the child, or create the invited parent. Answers tokens."""
    code_hash = digest(normalise_code(body.code))
    limiter = door.limiter
    guess = limiter.attempt(("wrong-code", "server"), why="too many wrong codes on this server")
    with door.db.read() as session:
        found = _usable(session, code_hash, door.clock())
        kind, family_id = found.kind, found.family_id
    limiter.forgive(guess)  # a real code is no wrong guess
    use = limiter.attempt(
        ("code", code_hash[:32]),
        ("family-codes", family_id),
        why="this family's codes were refused too often",
    )
    tokens = _redeem(door, settings, body, code_hash, kind, family_id)
    limiter.forgive(use)
    return tokens


def _redeem(
    door: AccountDoor, settings: Settings, body: JoinIn, code_hash: str, kind: str, family_id: str
) -> dict[str, Any]:
    password_hash = _new_parent_password(body) if kind == "parent_invite" else None
    with door.signing_in(family_id) as call:
        session, now = call.session, call.now
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
        # a well-formed join (the schema cannot know the code's kind) that does not fit this code:
        # a conflict with what the code is, not a malformed body; the code stays usable. Flagged,
        # so the app can say this code is an invite and ask for the new parent's account.
        raise DomainError(
            ProtocolCode.CONFLICT,
            "this code invites a parent: send email, password and display_name",
            extra={"parent_invite": True},
        )
    if reason := check_password_policy(body.password, email=normal_email(body.email)):
        raise invalid(f"password: {reason}")
    return hash_password(body.password)


def _create_parent(
    session: Session, row: PairingCode, body: JoinIn, password_hash: str | None, now: datetime
) -> User:
    assert body.email is not None and body.display_name is not None and password_hash is not None
    email = normal_email(body.email)
    if email_taken(session, email):
        raise DomainError(ProtocolCode.CONFLICT, "this e-mail is already registered")
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

"""Accounts: register, password and PIN sign-in, children, PIN resets, profiles and step-up.

Argon2 runs outside write transactions (it takes tens of milliseconds, and SQLite has one writer);
the write transaction then re-reads what it decides on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode
from sync.records import Role

from ..auth.credentials import (
    check_password_policy,
    check_pin_policy,
    hash_password,
    hash_pin,
    needs_rehash,
    verify_password,
    verify_pin,
)
from ..auth.guards import refuse_unless_parent
from ..auth.sessions import issue_tokens, step_up_token
from ..auth.tokens import AccessClaims
from ..db import Database
from ..db.models import Device, Family, User
from ..errors import ProblemError
from ..game.accounts import log_member, open_child
from ..ids import new_id
from ..notify.alerts import security_alert
from ..principal import Principal
from ..ratelimit import RateLimiter
from ..settings import Settings
from .devices import bind_device
from .schemas import ChildIn, ChildOut, LoginIn, PinLoginIn, ProfileOut, RegisterIn

__all__ = [
    "PIN_ATTEMPTS",
    "create_child",
    "login",
    "pin_login",
    "profile",
    "register",
    "reset_pin",
    "step_up",
]

PIN_ATTEMPTS = 10
_BAD_LOGIN = "the e-mail or the password is wrong"


def normal_email(email: str) -> str:
    return email.strip().lower()


def invalid(detail: str) -> ProblemError:
    return ProblemError(422, Code.INVALID_ARGS, detail)


def email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(func.count()).select_from(User).where(User.email == email)) != 0


def register(db: Database, settings: Settings, body: RegisterIn, now: datetime) -> dict[str, Any]:
    """A parent creates an account and a family; answers the first session's tokens."""
    email = normal_email(body.email)
    if reason := check_password_policy(body.password, email=email):
        raise invalid(f"password: {reason}")
    password_hash = hash_password(body.password)
    family_id = new_id()
    with db.write(family_id) as session:
        if email_taken(session, email):
            raise ProblemError(409, ProtocolCode.CONFLICT, "this e-mail is already registered")
        session.add(Family(id=family_id, name=body.family_name, created_at=now))
        session.flush()
        parent = User(
            id=new_id(),
            family_id=family_id,
            role=Role.PARENT.value,
            display_name=body.display_name,
            email=email,
            password_hash=password_hash,
            locale=body.locale,
            created_at=now,
        )
        session.add(parent)
        session.flush()
        bind_device(session, parent, body.client_id, body.device_name, now)
        log_member(
            session,
            family_id=family_id,
            user_id=parent.id,
            role=parent.role,
            display_name=parent.display_name,
            now=now,
        )
        return issue_tokens(session, parent, body.client_id, now, settings)


def login(
    db: Database, settings: Settings, limiter: RateLimiter, body: LoginIn, now: datetime
) -> dict[str, Any]:
    """Password sign-in (parents and the operator). Unknown e-mail and wrong password look the same."""
    email = normal_email(body.email)
    limiter.hit("login", f"email:{email}")
    with db.read() as session:
        found = session.execute(
            select(User.id, User.family_id, User.password_hash).where(User.email == email)
        ).first()
    stored = found.password_hash if found is not None else None
    # always one Argon2 verify, against a dummy hash when the e-mail is unknown
    correct = verify_password(stored, body.password)
    if not correct or found is None or stored is None:
        raise ProblemError(401, ProtocolCode.UNAUTHENTICATED, _BAD_LOGIN)
    rehashed = hash_password(body.password) if needs_rehash(stored) else None
    with db.write(found.family_id) as session:
        user = session.get(User, found.id)
        if user is None:
            raise ProblemError(401, ProtocolCode.UNAUTHENTICATED, _BAD_LOGIN)
        if rehashed:
            user.password_hash = rehashed
        if bind_device(session, user, body.client_id, body.device_name, now):
            security_alert(session, user, "new_device", now, device=body.device_name)
        return issue_tokens(session, user, body.client_id, now, settings)


def pin_login(
    db: Database, settings: Settings, limiter: RateLimiter, body: PinLoginIn, now: datetime
) -> dict[str, Any]:
    """A child signs in with its PIN, only on a device a parent enrolled for it; 10 misses lock the PIN."""
    limiter.hit("login", f"pin:{body.child_id}")
    with db.read() as session:
        device = session.get(Device, body.client_id)
        child = session.get(User, body.child_id)
        enrolled = (
            device is not None
            and child is not None
            and child.role == Role.CHILD.value
            and device.user_id == child.id
            and device.revoked_at is None
        )
        if not enrolled or child is None:
            raise ProblemError(403, Code.FORBIDDEN, "this device is not enrolled for this child")
        if child.pin_locked:
            raise _pin_locked()
        stored, family_id = child.pin_hash, child.family_id
    correct = verify_pin(stored, body.pin, settings.pin_pepper)
    with db.write(family_id) as session:
        child = session.get(User, body.child_id, with_for_update=True)
        if child is None:
            raise ProblemError(403, Code.FORBIDDEN, "this device is not enrolled for this child")
        if child.pin_locked:  # a concurrent attempt locked it meanwhile
            raise _pin_locked()
        if correct:
            child.pin_failures = 0
            bind_device(session, child, body.client_id, "", now)
            return issue_tokens(session, child, body.client_id, now, settings)
        child.pin_failures += 1
        child.pin_locked = child.pin_failures >= PIN_ATTEMPTS
        if child.pin_locked:
            security_alert(session, child, "pin_lockout", now)
        refusal = (
            _pin_locked()
            if child.pin_locked
            else ProblemError(
                401,
                ProtocolCode.UNAUTHENTICATED,
                "the PIN is wrong",
                extra={"attempts_left": PIN_ATTEMPTS - child.pin_failures},
            )
        )
    raise refusal  # after the commit: the failure count must persist


def _pin_locked() -> ProblemError:
    return ProblemError(
        403, Code.FORBIDDEN, "the PIN is locked: ask a parent to reset it", extra={"pin_locked": True}
    )


def create_child(
    db: Database, settings: Settings, parent: Principal, body: ChildIn, now: datetime
) -> ChildOut:
    """A parent adds a child (nickname, birth year, PIN) and opens its game account with a preset."""
    if reason := check_pin_policy(body.pin, birth_year=body.birth_year):
        raise invalid(f"pin: {reason}")
    pin_hash = hash_pin(body.pin, settings.pin_pepper)
    family_id = _family_of(parent)
    with db.write(family_id) as session:
        child = User(
            id=new_id(),
            family_id=family_id,
            role=Role.CHILD.value,
            display_name=body.display_name,
            birth_year=body.birth_year,
            avatar=body.avatar,
            pin_hash=pin_hash,
            locale=_locale_of(session, parent),
            created_at=now,
        )
        session.add(child)
        session.flush()
        open_child(
            session,
            family_id=family_id,
            child_id=child.id,
            preset=body.preset,
            now=now,
            actor_id=parent.user_id,
        )
        log_member(
            session,
            family_id=family_id,
            user_id=child.id,
            role=child.role,
            display_name=child.display_name,
            now=now,
        )
    return ChildOut(
        child_id=child.id, display_name=child.display_name, birth_year=body.birth_year, preset=body.preset
    )


def _locale_of(session: Session, principal: Principal) -> str:
    user = session.get(User, principal.user_id)
    return user.locale if user is not None else "ko"


def _family_of(principal: Principal) -> str:
    if principal.family_id is None:
        raise ProblemError(404, Code.NOT_FOUND, "not found")
    return principal.family_id


def family_child(session: Session, principal: Principal, child_id: str) -> User:
    """The child ``child_id`` of the caller's family, else 404 (another family's child does not exist)."""
    child = session.get(User, child_id)
    if child is None or child.role != Role.CHILD.value or child.family_id != _family_of(principal):
        raise ProblemError(404, Code.NOT_FOUND, "no such child")
    return child


def reset_pin(
    db: Database, settings: Settings, parent: Principal, child_id: str, pin: str, now: datetime
) -> None:
    """Set a child's PIN and lift a lockout (parent with step-up; another family's child is 404)."""
    with db.read() as session:
        birth_year = family_child(session, parent, child_id).birth_year
    refuse_unless_parent(parent, step_up_at=now)
    if reason := check_pin_policy(pin, birth_year=birth_year):
        raise invalid(f"pin: {reason}")
    pin_hash = hash_pin(pin, settings.pin_pepper)
    with db.write(parent.family_id) as session:
        child = family_child(session, parent, child_id)
        child.pin_hash = pin_hash
        child.pin_failures = 0
        child.pin_locked = False


def profile(db: Database, viewer: Principal, user_id: str) -> ProfileOut:
    """A member's profile for the member itself or a parent of the family; anyone else gets 404."""
    with db.read() as session:
        user = session.get(User, user_id)
        visible = (
            user is not None
            and viewer.family_id is not None
            and user.family_id == viewer.family_id
            and (viewer.role is Role.PARENT or user.id == viewer.user_id)
        )
        if not visible or user is None:
            raise ProblemError(404, Code.NOT_FOUND, "no such member")
        fields: dict[str, Any] = {
            "user_id": user.id,
            "role": user.role,
            "display_name": user.display_name,
            "family_id": user.family_id,
            "locale": user.locale,
            "avatar": user.avatar,
            "birth_year": user.birth_year,
        }
        if viewer.role is Role.PARENT:
            fields["created_at"] = user.created_at
            if user.role == Role.CHILD.value:
                fields.update(pin_locked=user.pin_locked, pin_failures=user.pin_failures)
            else:
                fields["email"] = user.email
    return ProfileOut(**fields)


def step_up(
    db: Database, settings: Settings, limiter: RateLimiter, claims: AccessClaims, password: str, now: datetime
) -> dict[str, Any]:
    """A parent re-enters the password: a new access token of the same session, elevated 5 minutes."""
    limiter.hit("login", f"step-up:{claims.user_id}")
    with db.read() as session:
        user = session.get(User, claims.user_id)
        stored = user.password_hash if user is not None else None
    if not verify_password(stored, password):
        # 403, not 401: the session is fine, only the password is wrong (a 401 would make clients refresh)
        raise ProblemError(403, Code.FORBIDDEN, "the password is wrong")
    return step_up_token(claims, now, settings)

"""Accounts: register, password and PIN sign-in, children, PIN resets, profiles and step-up.

Each change passes the gateway's account door (``server.gateway.accounts``): a parent's changes
are checked there (family, role, step-up) and run in its transaction; sign-ins run in its
``signing_in`` transaction and count failures on its limiter. Argon2 runs outside write
transactions (it takes tens of milliseconds, and SQLite has one writer); the write transaction
then re-reads what it decides on.
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
from ..auth.sessions import end_session, issue_tokens, rotate, step_up_token
from ..auth.tokens import AccessClaims
from ..db import Database
from ..db.models import Device, Family, User
from ..db.sealed import email_lookup
from ..errors import DomainError
from ..game.accounts import log_member, open_child
from ..gateway import AccountDoor, Runner
from ..ids import new_id
from ..notify.alerts import security_alert
from ..principal import Principal
from ..settings import Settings
from .devices import bind_device
from .schemas import ChildIn, ChildOut, LoginIn, PinLoginIn, ProfileOut, RegisterIn
from .throttle import known_device, password_attempt, pin_attempt

__all__ = [
    "PIN_ATTEMPTS",
    "create_child",
    "find_parent",
    "open_session",
    "login",
    "logout",
    "pin_login",
    "profile",
    "provider_sign_in",
    "refresh",
    "register",
    "reset_pin",
    "step_up",
]

PIN_ATTEMPTS = 10
_BAD_LOGIN = "the e-mail or the password is wrong"


def normal_email(email: str) -> str:
    return email.strip().lower()


def invalid(detail: str) -> DomainError:
    return DomainError(Code.INVALID_ARGS, detail)


def email_taken(session: Session, email: str) -> bool:
    return (
        session.scalar(
            select(func.count()).select_from(User).where(User.email_hash.in_(email_lookup(session, email)))
        )
        != 0
    )


def register(door: AccountDoor, settings: Settings, body: RegisterIn) -> dict[str, Any]:
    """A parent creates an account and a family; answers the first session's tokens."""
    email = normal_email(body.email)
    if reason := check_password_policy(body.password, email=email):
        raise invalid(f"password: {reason}")
    password_hash = hash_password(body.password)
    family_id = new_id()
    with door.signing_in(family_id) as call:
        session, now = call.session, call.now
        if email_taken(session, email):
            raise DomainError(ProtocolCode.CONFLICT, "this e-mail is already registered")
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


def login(door: AccountDoor, settings: Settings, body: LoginIn) -> dict[str, Any]:
    """Password sign-in (parents and the operator). Unknown e-mail and wrong password look the same.

    Only wrong passwords are counted, per device and, for a device new to the account, per account
    (``throttle``).
    """
    email = normal_email(body.email)
    limiter = door.limiter
    with door.db.read() as session:
        found = session.execute(
            select(User.id, User.family_id, User.password_hash).where(
                User.email_hash.in_(email_lookup(session, email))
            )
        ).first()
        known = known_device(session, found.id if found is not None else None, body.client_id)
    attempt = password_attempt(limiter, email, body.client_id, known=known)
    stored = found.password_hash if found is not None else None
    # always one Argon2 verify, against a dummy hash when the e-mail is unknown
    correct = verify_password(stored, body.password)
    if not correct or found is None or stored is None:
        raise DomainError(ProtocolCode.UNAUTHENTICATED, _BAD_LOGIN)
    limiter.forgive(attempt)
    rehashed = hash_password(body.password) if needs_rehash(stored) else None
    with door.signing_in(found.family_id) as call:
        session, now = call.session, call.now
        user = session.get(User, found.id)
        if user is None:
            raise DomainError(ProtocolCode.UNAUTHENTICATED, _BAD_LOGIN)
        if rehashed:
            user.password_hash = rehashed
        return open_session(session, settings, user, body.client_id, body.device_name, now)


def open_session(
    session: Session, settings: Settings, user: User, client_id: str, device_name: str, now: datetime
) -> dict[str, Any]:
    """A parent who proved who it is (a password, a provider's verified e-mail) signs in on a device:
    the device is bound (the parents told of a new one) and a session starts."""
    if bind_device(session, user, client_id, device_name, now):
        security_alert(session, user, "new_device", now, device=device_name)
    return issue_tokens(session, user, client_id, now, settings)


def provider_sign_in(
    door: AccountDoor,
    settings: Settings,
    user_id: str,
    family_id: str | None,
    client_id: str,
    device_name: str,
) -> dict[str, Any]:
    """The parent a provider's verified e-mail named (``oidc``) signs in on the flow's device."""
    with door.signing_in(family_id) as call:
        user = call.session.get(User, user_id)
        if user is None or user.role != Role.PARENT.value:  # erased meanwhile; never a child
            raise DomainError(ProtocolCode.OIDC_NO_PARENT, "no parent of this server has this e-mail")
        return open_session(call.session, settings, user, client_id, device_name, call.now)


def find_parent(session: Session, email: str) -> User | None:
    """The parent with this e-mail (through ``email_hash``, as the password sign-in finds it); never a
    child (children have no e-mail) nor the operator."""
    return session.scalar(
        select(User).where(
            User.email_hash.in_(email_lookup(session, normal_email(email))), User.role == Role.PARENT.value
        )
    )


def pin_login(door: AccountDoor, settings: Settings, body: PinLoginIn) -> dict[str, Any]:
    """A child signs in with its PIN, only on a device a parent enrolled for it; 10 misses lock the PIN.

    Any other device is refused before anything is counted against the child (``throttle``).
    """
    with door.db.read() as session:
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
            raise _not_enrolled()
        if child.pin_locked:
            raise _pin_locked()
        stored, family_id = child.pin_hash, child.family_id
    attempt = pin_attempt(door.limiter, body.child_id, body.client_id)
    correct = verify_pin(stored, body.pin, settings.pin_pepper)
    if correct:
        door.limiter.forgive(attempt)
    with door.signing_in(family_id) as call:
        session, now = call.session, call.now
        child = session.get(User, body.child_id, with_for_update=True)
        if child is None:
            raise _not_enrolled()
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
            raise _pin_locked(keep=True)  # kept: the failure count must persist
        raise DomainError(
            ProtocolCode.UNAUTHENTICATED,
            "the PIN is wrong",
            extra={"attempts_left": PIN_ATTEMPTS - child.pin_failures},
            keep=True,
        )


def _not_enrolled() -> DomainError:
    return DomainError(Code.FORBIDDEN, "this device is not enrolled for this child")


def _pin_locked(*, keep: bool = False) -> DomainError:
    return DomainError(
        Code.FORBIDDEN, "the PIN is locked: ask a parent to reset it", extra={"pin_locked": True}, keep=keep
    )


def create_child(runner: Runner, settings: Settings, body: ChildIn) -> ChildOut:
    """A parent adds a child (nickname, birth year, PIN) and opens its game account with a preset."""
    if reason := check_pin_policy(body.pin, birth_year=body.birth_year):
        raise invalid(f"pin: {reason}")
    pin_hash = hash_pin(body.pin, settings.pin_pepper)
    parent = runner.principal
    with runner.change("child.add") as call:
        session, now, family_id = call.session, call.now, call.family_id
        assert family_id is not None
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


def reset_pin(runner: Runner, settings: Settings, child_id: str, pin: str) -> None:
    """Set a child's PIN and lift a lockout (``child.pin_reset``: a parent with step-up)."""
    known = runner.allowed("child.pin_reset", child_id)
    assert isinstance(known, User)
    if reason := check_pin_policy(pin, birth_year=known.birth_year):
        raise invalid(f"pin: {reason}")
    pin_hash = hash_pin(pin, settings.pin_pepper)
    with runner.change("child.pin_reset", child_id) as call:
        child = call.child()
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
            raise DomainError(Code.NOT_FOUND, "no such member")
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


def step_up(door: AccountDoor, settings: Settings, claims: AccessClaims, password: str) -> dict[str, Any]:
    """A parent re-enters the password: a new access token of the same session, elevated 5 minutes.

    A wrong password counts against the session's device, like a sign-in there (``throttle``).
    """
    with door.db.read() as session:
        user = session.get(User, claims.user_id)
        stored = user.password_hash if user is not None else None
        email = user.email if user is not None and user.email else claims.user_id
    device = claims.client_id or f"session/{claims.session_id}"  # "/" is in no client_id
    attempt = password_attempt(door.limiter, email, device, known=True)  # the session signed in there
    if not verify_password(stored, password):
        # 403, not 401: the session is fine, only the password is wrong (a 401 would make clients refresh)
        raise DomainError(Code.FORBIDDEN, "the password is wrong")
    door.limiter.forgive(attempt)
    return step_up_token(claims, door.clock(), settings)


def refresh(door: AccountDoor, settings: Settings, presented: str) -> dict[str, Any]:
    """Exchange a refresh token for a new pair; a reused token ends the whole session (kept)."""
    with door.signing_in() as call:
        return rotate(call.session, presented, call.now, settings)


def logout(door: AccountDoor, presented: str) -> None:
    """End the session ``presented`` belongs to (silently nothing for an unknown token)."""
    with door.signing_in() as call:
        end_session(call.session, presented, call.now)

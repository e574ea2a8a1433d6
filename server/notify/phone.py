"""A parent's phone number for SMS: added, proved by a 6-digit code sent to it, removed.

Adding a number (``phone.set``, step-up) stores it sealed and unverified, with a new code's HMAC
(under :func:`server.notify.channels.code_key`, bound to the user and the number) that expires in
10 minutes and allows 5 tries; the code leaves by SMS after the commit (a provider is another
server: never while the family's write lock is held). A new code may follow a minute after the last
(and the gateway's limiter caps codes per hour and day), so nobody turns the server into an SMS
cannon aimed at someone else's phone. Typing the code back (``phone.verify``) marks the number
verified; only then does the SMS channel reach it. A new number replaces the old one (unverified
until its code comes back). Children never have a phone number: every change here is a parent's.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from sync.errors import Code, ProtocolCode

from ..db.models import PhoneNumber, User
from ..errors import DomainError
from ..gateway import AccountPass
from .alerts import security_alert
from .schemas import PhoneView
from .sms import SmsText, code_text, mask, normal_number

__all__ = ["CODE_TTL", "MAX_TRIES", "RESEND_AFTER", "forget_code", "phone_view", "remove", "start", "verify"]

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)


def _hash(key: bytes, user_id: str, number: str, code: str) -> str:
    return hmac.new(key, f"{user_id}:{number}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_view(session: Session, user_id: str) -> PhoneView | None:
    phone = session.get(PhoneNumber, user_id)
    if phone is None:
        return None
    return PhoneView(number=mask(phone.number), verified=phone.verified_at is not None)


def _parent(call: AccountPass) -> User:
    assert call.principal is not None
    user = call.session.get(User, call.principal.user_id)
    # the gateway's row says so too; a service may be called from elsewhere
    if user is None or user.role != "parent":
        raise DomainError(Code.FORBIDDEN, "children have no phone number")
    return user


def start(call: AccountPass, key: bytes, raw: str) -> tuple[SmsText, str]:
    """Store ``raw`` as the caller's unverified number with a new code; answers the SMS to send
    (after the commit) and the code's hash (to take it back if the send fails)."""
    user = _parent(call)
    number = normal_number(raw)
    if number is None:
        raise DomainError(Code.INVALID_ARGS, "not a Korean mobile number (010-1234-5678)")
    phone = call.session.get(PhoneNumber, user.id)
    if phone is not None and phone.sent_at is not None and call.now < phone.sent_at + RESEND_AFTER:
        wait = math.ceil((phone.sent_at + RESEND_AFTER - call.now).total_seconds())
        raise DomainError(
            ProtocolCode.RATE_LIMITED,
            f"a code was just sent: try again in {wait} s",
            extra={"retry_after": wait},
            retry_after=wait,
        )
    if phone is None:
        assert call.family_id is not None
        phone = PhoneNumber(user_id=user.id, family_id=call.family_id, created_at=call.now, code_tries=0)
        call.session.add(phone)
    code = f"{secrets.randbelow(10**6):06d}"
    digest = _hash(key, user.id, number, code)
    phone.number, phone.verified_at = number, None
    phone.code_hash, phone.code_expires_at, phone.code_tries = digest, call.now + CODE_TTL, 0
    phone.sent_at = call.now
    call.session.flush()
    return code_text(number, user.locale, code), digest


def forget_code(session: Session, user_id: str, digest: str) -> None:
    """The SMS with this code was not sent: drop the code, and let a new one go at once."""
    phone = session.get(PhoneNumber, user_id)
    if phone is not None and phone.code_hash == digest:
        phone.code_hash, phone.code_expires_at, phone.sent_at = None, None, None


def verify(call: AccountPass, key: bytes, code: str) -> PhoneView:
    """The code sent to the caller's number: right marks it verified; a wrong try is counted (and
    committed: ``keep``), the fifth spends the code; an expired or spent code asks for a new one."""
    user = _parent(call)
    phone = call.session.get(PhoneNumber, user.id)
    if phone is None or phone.code_hash is None or phone.code_expires_at is None:
        raise DomainError(ProtocolCode.PHONE_CODE_EXPIRED, "no code is waiting: ask for a new one")
    if call.now >= phone.code_expires_at:
        phone.code_hash = phone.code_expires_at = None
        raise DomainError(ProtocolCode.PHONE_CODE_EXPIRED, "the code expired: ask for a new one", keep=True)
    if not hmac.compare_digest(phone.code_hash, _hash(key, user.id, phone.number, code)):
        phone.code_tries += 1
        left = MAX_TRIES - phone.code_tries
        if left <= 0:
            phone.code_hash = phone.code_expires_at = None
            raise DomainError(
                ProtocolCode.PHONE_CODE_EXPIRED, "too many wrong codes: ask for a new one", keep=True
            )
        raise DomainError(
            ProtocolCode.PHONE_CODE_WRONG, "that is not the code", extra={"tries_left": left}, keep=True
        )
    phone.verified_at = call.now
    phone.code_hash = phone.code_expires_at = None
    phone.code_tries = 0
    # every parent hears it: alerts texted to a number someone else slipped in are alerts lost
    security_alert(call.session, user, "phone_verified", call.now, phone=mask(phone.number))
    return PhoneView(number=mask(phone.number), verified=True)


def remove(call: AccountPass) -> None:
    """Forget the caller's number (SMS stops; the per-event choices stay for a next number)."""
    user = _parent(call)
    phone = call.session.get(PhoneNumber, user.id)
    if phone is not None:
        call.session.delete(phone)
        security_alert(call.session, user, "phone_removed", call.now, phone=mask(phone.number))

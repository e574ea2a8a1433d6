"""Who pays for a wrong password or PIN: the guesser, never the owner.

Only failures are counted; a success is taken back (``RateLimiter.forgive``). Each budget below
allows 5 failures a minute, 10 in ten minutes and 20 in an hour, and answers 429 with
``Retry-After`` once spent.

- **Passwords** (sign-in and step-up) count per (account, device), the device being the
  ``client_id`` the app sends (one per installation). A device that signed in to the account
  before (its device row, not revoked) has only that budget of its own: a stranger guessing from
  elsewhere, however long, never keeps the owner out of a phone or laptop already in use. A device
  new to the account also draws on one budget per account shared by all new devices, so a guesser
  gains nothing by changing ``client_id``; while it is spent the owner's *new* devices wait too (the
  refusal says a known device is not affected). An e-mail without an account is counted exactly
  like one with an account, so neither the answers nor when they turn into 429 tell anyone whether
  an account exists.
- **PINs** reach the check only from a device enrolled for that child: any other device (never
  enrolled, a sibling's, a parent's) is refused before anything is counted against the child. The
  enrolled device's failures count per (child, device) with the same budget, and towards the hard
  lock: 10 consecutive failures lock the PIN until a parent resets it (the parents are told).

An account is named in the counters by a digest of its e-mail, so they hold no addresses (also in
Redis).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..auth.credentials import digest
from ..db.models import Device
from ..ratelimit import Attempt, RateLimiter

__all__ = ["known_device", "password_attempt", "pin_attempt"]

_KNOWN = "too many wrong passwords on this device"
_NEW = (
    "too many wrong passwords from devices that have not signed in to this account "
    "(a device that has is not affected)"
)


def known_device(session: Session, user_id: str | None, client_id: str) -> bool:
    """Whether ``client_id`` has signed in to the account ``user_id`` before and is not revoked.

    Always one lookup, also for an unknown account (``user_id`` None): the same work either way.
    """
    device = session.get(Device, client_id)
    return device is not None and device.user_id == user_id and device.revoked_at is None


def password_attempt(limiter: RateLimiter, email: str, device: str, *, known: bool) -> Attempt:
    """Count a password attempt for the account ``email`` from ``device`` (429 when spent)."""
    account = digest(email)[:32]
    if known:
        return limiter.attempt(("password", f"{account}:{device}"), why=_KNOWN)
    # "/" is in no client_id: the shared budget cannot be named by a device
    return limiter.attempt(("password", f"{account}:{device}"), ("password", f"{account}/new"), why=_NEW)


def pin_attempt(limiter: RateLimiter, child_id: str, client_id: str) -> Attempt:
    """Count a PIN attempt from a device enrolled for the child (429 when spent)."""
    return limiter.attempt(("pin", f"{child_id}:{client_id}"), why="too many wrong PINs on this device")

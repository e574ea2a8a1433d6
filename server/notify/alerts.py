"""Security events (``SecurityAlert``, ``DeviceEnrolled``) written to the outbox in the caller's transaction.

They are written where the thing happens (refresh-token reuse, a PIN locking, a parent signing in on
a new device, a child's device enrolled) and committed with it, so an alert exists exactly when the
revocation, the lock or the new device does. ``actor_id`` is left empty: every parent hears a
security event, also the parent it is about.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..db.models import Outbox, User

__all__ = ["device_enrolled", "security_alert"]


def _emit(session: Session, user: User, event: str, payload: dict[str, Any], now: datetime) -> None:
    if user.family_id is None:
        return  # the operator has no family to tell
    child_id = user.id if user.role == "child" else None
    facts = {"who": user.display_name, "user_id": user.id, **payload}
    session.add(
        Outbox(
            family_id=user.family_id,
            child_id=child_id,
            event=event,
            payload=facts,
            created_at=now,
            delivered_at=None,
        )
    )


def security_alert(
    session: Session, user: User, kind: str, now: datetime, *, device: str = "", **facts: str
) -> None:
    """``kind``: ``refresh_reuse``, ``pin_lockout`` or ``new_device`` (of ``user``), or
    ``erasure_child``, ``erasure_family`` (asked by ``user``; ``due``: when it runs) and
    ``erasure_cancelled_child``, ``erasure_cancelled_family``."""
    _emit(session, user, "SecurityAlert", {"kind": kind, "device": device, **facts}, now)


def device_enrolled(session: Session, user: User, device: str, now: datetime) -> None:
    """A device was enrolled for ``user`` with a pairing code (a child's phone, an invited parent's)."""
    _emit(session, user, "DeviceEnrolled", {"device": device or "-"}, now)

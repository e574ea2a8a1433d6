"""Binding a device (its ``client_id``) to the one user who signs in on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sync.errors import ProtocolCode

from ..db.models import Device, User
from ..errors import DomainError

__all__ = ["bind_device"]


def bind_device(session: Session, user: User, client_id: str | None, name: str, now: datetime) -> bool:
    """Create or refresh the Device row for ``user``; a ``client_id`` is never shared between users.

    Returns whether the device is new (the caller may tell the parents: a new sign-in or enrolment).

    A revoked device stays revoked: signing in again needs a new installation (a new ``client_id``),
    so a parent's revocation cannot be undone by whoever holds the old phone.
    """
    if client_id is None:
        return False
    device = session.get(Device, client_id)
    if device is None:
        session.add(
            Device(
                client_id=client_id,
                user_id=user.id,
                family_id=user.family_id,
                name=name,
                created_at=now,
                last_seen_at=now,
            )
        )
        return True
    if device.user_id != user.id:
        raise DomainError(ProtocolCode.CONFLICT, "this client_id belongs to another account")
    if device.revoked_at is not None:
        raise DomainError(ProtocolCode.CONFLICT, "this device was revoked; reinstall the app")
    device.last_seen_at = now
    if name:
        device.name = name
    return False

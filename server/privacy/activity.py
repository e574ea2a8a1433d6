"""When a family was last active, from what the server records of its members.

A family is active when any member uses the app: a device's ``last_seen_at`` is set when it signs in
or enrols (:func:`server.accounts.devices.bind_device`) and when it syncs (replication push and
pull); a session's newest refresh token is written on each sign-in and each refresh (tokens rotate
on every use). The latest of those, or the family's creation when there is none, is its last
activity. Nothing else (a parent's e-mail being read, the server's own jobs) counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import Device, Family, RefreshToken, User

__all__ = ["last_active"]


def last_active(session: Session, family_id: str) -> datetime:
    """The family's last activity (see the module's docstring); its creation when nobody used it since."""
    members = select(User.id).where(User.family_id == family_id)
    times = [
        session.scalar(select(Family.created_at).where(Family.id == family_id)),
        session.scalar(select(func.max(Device.last_seen_at)).where(Device.user_id.in_(members))),
        session.scalar(select(func.max(RefreshToken.created_at)).where(RefreshToken.user_id.in_(members))),
    ]
    found = [t for t in times if t is not None]
    if not found:
        raise LookupError(family_id)
    return max(found)

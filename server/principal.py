"""Who is calling: built from a verified access token by the auth middleware."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sync.records import Actor, Role

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. ``family_id`` is ``None`` only for the server's ADMIN.

    ``elevated_until`` is set when a parent re-entered the password (step-up) in the last 5 minutes.
    """

    user_id: str
    role: Role
    family_id: str | None
    client_id: str | None
    elevated_until: datetime | None = None

    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, role=self.role, family_id=self.family_id or "")

    def elevated(self, now: datetime) -> bool:
        return self.elevated_until is not None and now < self.elevated_until

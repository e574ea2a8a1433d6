"""Wire shapes of the family overview. Children get a narrower view than parents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

__all__ = ["DeviceOut", "FamilyOut", "MemberOut", "RulesOut"]


class MemberOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    user_id: str
    role: str
    display_name: str
    avatar: str | None = None
    birth_year: int | None = None
    pin_locked: bool | None = None  # parents only


class DeviceOut(msgspec.Struct, kw_only=True):
    client_id: str
    user_id: str
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None


class RulesOut(msgspec.Struct, kw_only=True):
    child_id: str
    version: int
    effective_at: datetime
    rules: dict[str, Any]


class FamilyOut(msgspec.Struct, kw_only=True):
    family_id: str
    name: str
    members: list[MemberOut]
    devices: list[DeviceOut]
    rules: list[RulesOut]

"""Wire shapes of the family overview. Children get a narrower view than parents."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from sync.rules import HouseRules

__all__ = ["DeviceOut", "FamilyOut", "MemberOut", "RulesOut"]


class MemberOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    user_id: str
    role: Literal["parent", "child"]
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
    rules: HouseRules  # as stored: msgspec.to_builtins of the version's HouseRules


class FamilyOut(msgspec.Struct, kw_only=True):
    family_id: str
    name: str
    members: list[MemberOut]
    devices: list[DeviceOut]
    rules: list[RulesOut]


class StandingOut(msgspec.Struct, kw_only=True):
    rank: int | None  # 1 is first, ties share a rank; None: no market comparison yet
    child_id: str
    name: str
    beat_pct: float | None  # percentage points above (below, negative) the market
    twr_pct: float
    me: bool  # the caller


class LeaderboardOut(msgspec.Struct, kw_only=True):
    """The family's opted-in children ranked by return relative to the market; ``enabled`` is false
    (and the lists empty) when no child is on it, or the calling child is not."""

    enabled: bool
    as_of: datetime
    week: list[StandingOut]
    since_start: list[StandingOut]

"""Wire shapes of the mission routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from sync.missions import REWARD_MAX, REWARD_MIN

__all__ = ["MissionBody", "MissionOut"]

KindName = Literal["sectors", "hold_days", "journals"]


class MissionBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new mission: its kind, the number to reach (bounded per kind: ``sync.missions.BOUNDS``) and
    the reward in game won."""

    kind: KindName
    target: Annotated[int, msgspec.Meta(ge=1, le=365)]
    reward: Annotated[int, msgspec.Meta(ge=REWARD_MIN, le=REWARD_MAX)]


class MissionOut(msgspec.Struct, kw_only=True):
    """A mission and how far the child is (the progress the server decides completion by)."""

    mission_id: str
    child_id: str
    kind: KindName
    target: int
    reward: int
    created_at: datetime
    created_by: str
    completed_at: datetime | None
    cancelled_at: datetime | None
    status: Literal["open", "completed", "cancelled"]
    progress: int
    done: bool

"""What a handler knows about the call: who acts, for which child, at what server time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec

from .records import Actor

__all__ = ["KST", "Context", "kst_day"]

KST = timezone(timedelta(hours=9), "KST")  # Korea keeps no daylight saving time


def kst_day(moment: datetime) -> str:
    """The calendar day in Korea of an aware ``moment`` (daily limits count Korean days)."""
    return moment.astimezone(KST).date().isoformat()


class Context(msgspec.Struct, frozen=True):
    actor: Actor
    child_id: str
    now: datetime  # the server's clock when the mutation arrived (the device's guess when predicting)
    mutation_id: str

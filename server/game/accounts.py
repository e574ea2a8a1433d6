"""Opening a child's game account when a parent creates the child."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sync.rules import PRESETS
from sync.trading import open_account

from .writer import Posting, log_change, post_effects

__all__ = ["log_member", "open_child"]


def open_child(
    session: Session, *, family_id: str, child_id: str, preset: str, now: datetime, actor_id: str = "system"
) -> None:
    """Post the starting money and the first house rules (from ``preset``) for a new child."""
    rules = PRESETS[preset]
    posting = Posting(
        family_id=family_id,
        child_id=child_id,
        txn_id=f"open:{child_id}",
        actor_id=actor_id,
        kind="child.open",
        reason=f"starting money ({preset})",
    )
    post_effects(session, posting, open_account(child_id, rules, now), now)


def log_member(
    session: Session, *, family_id: str, user_id: str, role: str, display_name: str, now: datetime
) -> None:
    """Tell the family's devices about a new or changed member (through the pull change log)."""
    data = {"user_id": user_id, "role": role, "display_name": display_name}
    log_change(session, family_id, None, "member", user_id, data, now)

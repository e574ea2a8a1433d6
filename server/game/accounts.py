"""Opening a child's game account when a parent creates the child."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sync.book import Effects
from sync.rules import PRESETS, HouseRules
from sync.trading import open_account

from .writer import Posting, log_change, post_effects

__all__ = ["log_member", "open_account_posting", "open_child"]


def open_child(
    session: Session, *, family_id: str, child_id: str, preset: str, now: datetime, actor_id: str = "system"
) -> None:
    """Post the starting money and the first house rules (from ``preset``) for a new child."""
    posting, effects = open_account_posting(
        family_id, child_id, PRESETS[preset], now, actor_id=actor_id, reason=f"starting money ({preset})"
    )
    post_effects(session, posting, effects, now)


def open_account_posting(
    family_id: str, child_id: str, rules: HouseRules, now: datetime, *, actor_id: str, reason: str | None
) -> tuple[Posting, Effects]:
    """Opening an account is a server action with its own transaction id (the mutation log's replay
    opens accounts the same way)."""
    posting = Posting(
        family_id=family_id,
        child_id=child_id,
        txn_id=f"open:{child_id}",
        actor_id=actor_id,
        kind="child.open",
        reason=reason,
    )
    return posting, open_account(child_id, rules, now)


def log_member(
    session: Session, *, family_id: str, user_id: str, role: str, display_name: str, now: datetime
) -> None:
    """Tell the family's devices about a new or changed member (through the pull change log)."""
    data = {"user_id": user_id, "role": role, "display_name": display_name}
    log_change(session, family_id, None, "member", user_id, data, now)

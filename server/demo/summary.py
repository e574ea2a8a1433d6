"""What the demo prints about its family: read from the server's state, never from the first start.

A parent may have changed a child's rules, approved the waiting request or traded since: the summary
names each child's current rules (a preset's name, or how they differ from the nearest preset).
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import func, select

from sync.rules import PRESETS, HouseRules

from ..db import Database
from ..db.models import RequestRow
from ..game.book import current_rules
from ..game.services import portfolio
from ..market.providers import load_config
from .family import PARENT_NAME, DemoFamily

__all__ = ["rules_label", "summary_lines"]


def rules_label(rules: HouseRules) -> str:
    """``classic rules``, or ``custom rules: classic with fee_bps 15, …`` (the nearest preset)."""
    mine = msgspec.to_builtins(rules)
    differences = {
        name: {k: v for k, v in mine.items() if msgspec.to_builtins(preset)[k] != v}
        for name, preset in PRESETS.items()
    }
    nearest = min(differences, key=lambda name: len(differences[name]))
    changed = differences[nearest]
    if not changed:
        return f"{nearest} rules"
    shown = ", ".join(f"{k} {'+'.join(v) if isinstance(v, list) else v}" for k, v in changed.items())
    return f"custom rules: {nearest} with {shown}"


def summary_lines(db: Database, demo: DemoFamily, now: datetime) -> list[str]:
    """The sign-in details with each child's current rules, profit and waiting requests."""
    lines = [f"  parent  {PARENT_NAME}  {demo.email}  password: {demo.password}"]
    parent = demo.principal(PARENT_NAME, now)
    for child in demo.children:
        with db.read() as session:
            rules = current_rules(session, child.user_id)
            waiting = session.scalar(
                select(func.count())
                .select_from(RequestRow)
                .where(RequestRow.child_id == child.user_id, RequestRow.status == "pending")
            )
        game = portfolio(db, parent, child.user_id, now)
        facts = [rules_label(rules), f"realised profit {game.realised:,} G₩"]
        if waiting:
            facts.append(f"{waiting} request{'s' if waiting > 1 else ''} waiting for {PARENT_NAME}")
        lines.append(
            f"  child   {child.name}  PIN {child.pin}  device {child.client_id}  ·  " + " · ".join(facts)
        )
    config = load_config(db, now)
    if config.mode == "replay":
        lines.append(
            f"  prices  history replay: real closing prices of {config.replay.date_at(now).isoformat()}"
        )
    return lines

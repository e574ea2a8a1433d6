"""The operator's audit log: every action of the console and of ``yongdon admin``, kept in the
database beside what it changed (a restore writes its own entry into the restored database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..db import Database
from ..db.models import OperatorAction

__all__ = ["CLI", "recent", "record"]

CLI = "cli"  # the actor of a command run on the server's machine


def record(
    db: Database, actor: str, action: str, now: datetime, target: str = "", outcome: str = "ok"
) -> None:
    """One entry; ``target`` is an opaque id or a file name, never a family's data."""
    with db.write() as session:
        session.add(OperatorAction(at=now, actor=actor, action=action, target=target[:200], outcome=outcome))


def recent(db: Database, limit: int = 200) -> list[dict[str, Any]]:
    with db.read() as session:
        rows = session.scalars(select(OperatorAction).order_by(OperatorAction.id.desc()).limit(limit)).all()
        return [
            {"at": r.at, "actor": r.actor, "action": r.action, "target": r.target, "outcome": r.outcome}
            for r in rows
        ]

"""The demo family: a parent and two children with weeks of history, made once per data dir.

On an empty data dir :func:`seed_demo` makes the family and lives its history through the product
(:mod:`.history`); on a second start it finds the same family as the family left it, rules and all.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..db import Database
from ..db.models import User
from ..db.sealed import email_lookup
from ..settings import Settings
from .family import CREDENTIALS, DEMO_EMAIL, DemoChild, DemoError, DemoFamily
from .history import live_history
from .summary import summary_lines

__all__ = [
    "DEMO_EMAIL",
    "DemoChild",
    "DemoError",
    "DemoFamily",
    "credentials_path",
    "seed_demo",
    "summary_lines",
]


def credentials_path(data_dir: Path) -> Path:
    return Path(data_dir) / CREDENTIALS


def seed_demo(db: Database, settings: Settings, now: datetime) -> DemoFamily:
    """The demo family of this data dir, made with its history if the database has none yet."""
    path = credentials_path(settings.data_dir)
    demo = DemoFamily.load(path)
    with db.read() as session:
        parent_id = session.scalar(
            select(User.id).where(User.email_hash.in_(email_lookup(session, DEMO_EMAIL)))
        )
    if parent_id is not None:
        if demo is None or demo.parent_id != parent_id:
            raise DemoError(
                f"the demo family in {settings.data_dir} is incomplete (its first start was interrupted) "
                "or not this data dir's: remove the directory and run `yongdon demo` again"
            )
        return demo
    # a new database (the credentials of an earlier one, if any, are kept: same password and PINs)
    demo = demo or DemoFamily.new()
    live_history(db, settings, demo, now)
    demo.save(path)
    return demo

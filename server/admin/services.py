"""What the console shows and does. The operator runs the server and sees no family's data: families
appear as opaque ids with counts and dates only, never a name, an e-mail, a child or an amount.
"""

from __future__ import annotations

import os
import platform
import time
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ..auth.sessions import revoke_chain
from ..db import Database
from ..db.migrate import MIGRATIONS_DIR, head_revisions, schema_state
from ..db.models import Delivery, Device, Family, Outbox, RefreshToken, User
from ..db.sealed import email_lookup
from ..market.admin import choose_mode
from ..market.providers import build_chain, check_speed, load_config
from ..notify.dispatcher import outbox_status
from ..settings import Settings

__all__ = [
    "FamilyNotFound",
    "families_overview",
    "family_of_email",
    "family_row",
    "market_view",
    "outbox_view",
    "server_overview",
    "set_disabled",
    "set_market",
]

_STARTED = time.time()


class FamilyNotFound(LookupError):
    pass


def server_overview(db: Database, settings: Settings, heads: frozenset[str]) -> dict[str, Any]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    applied = set()
    for rev in current:
        if script.get_revision(rev) is not None:
            applied |= {r.revision for r in script.iterate_revisions(rev, "base")}
    migrations = [
        {"revision": r.revision, "doc": (r.doc or "").splitlines()[0], "applied": r.revision in applied}
        for r in script.walk_revisions()
    ]
    url = make_url(settings.database_url)
    return {
        "version": metadata.version("yongdon"),
        "python": platform.python_version(),
        "pid": os.getpid(),
        "uptime_s": int(time.time() - _STARTED),
        "backend": "SQLite" if url.get_backend_name() == "sqlite" else "PostgreSQL",
        "database_size": _database_size(db, url.database),
        "schema": schema_state(db.engine, heads).value,
        "current": sorted(current),
        "head": sorted(head_revisions()),
        "migrations": migrations,
        "metrics": "token" if settings.metrics_token else "loopback",
        "multiprocess": bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR")),
        "hosted": settings.hosted,
        "premium": _premium(db) if settings.hosted else None,
    }


def _premium(db: Database) -> dict[str, Any]:
    from ..payment.subscriptions import conversion

    with db.read() as session:
        return conversion(session)


def _database_size(db: Database, database: str | None) -> int | None:
    if db.is_sqlite:
        return Path(database).stat().st_size if database and Path(database).exists() else None
    with db.read() as session:
        return int(session.scalar(select(func.pg_database_size(func.current_database()))) or 0)


def market_view(db: Database, settings: Settings, now: datetime) -> dict[str, Any]:
    config = load_config(db, now)
    health = build_chain(db, settings.data_dir, now).health(now)
    clock = config.replay
    return {
        "mode": config.mode,
        "replay_start": clock.start,
        "replay_anchor": clock.anchor,
        "replay_speed": clock.speed,
        "replay_date": clock.date_at(now),
        "healthy": health.healthy,
        "providers": dict(health.detail),
        "retry_at": health.retry_at,
    }


def set_market(db: Database, now: datetime, mode: str, start: date | None, speed: float | None) -> str:
    """Switch replay/live (a new start or speed restarts the replay clock); returns the audit target."""
    if mode not in ("replay", "live"):
        raise ValueError("mode must be replay or live")
    if speed is not None:
        check_speed(speed)
    config = choose_mode(db, now, mode, start, speed)
    return f"{config.mode} from {config.replay.start.isoformat()} x{config.replay.speed:g}"


def outbox_view(db: Database) -> dict[str, Any]:
    with db.read() as session:
        dead = session.execute(
            select(Outbox.event, Delivery.channel, func.count())
            .join(Outbox, Outbox.id == Delivery.outbox_id)
            .where(Delivery.status == "dead")
            .group_by(Outbox.event, Delivery.channel)
            .order_by(Outbox.event, Delivery.channel)
        ).all()
    return {"status": outbox_status(db), "dead": [{"event": e, "channel": c, "count": n} for e, c, n in dead]}


def families_overview(db: Database, limit: int = 200) -> dict[str, Any]:
    """Counts for the whole server, and per family only its opaque id, counts and dates."""
    with db.read() as session:
        rows = _family_rows(session, None)
    rows.sort(key=lambda r: r["last_seen"] or date.min, reverse=True)
    totals = {
        "families": len(rows),
        "disabled": sum(r["disabled"] for r in rows),
        "parents": sum(r["parents"] for r in rows),
        "children": sum(r["children"] for r in rows),
        "devices": sum(r["devices"] for r in rows),
    }
    return {"totals": totals, "rows": rows[:limit], "shown": min(limit, len(rows))}


def family_row(db: Database, family_id: str) -> dict[str, Any] | None:
    with db.read() as session:
        rows = _family_rows(session, family_id)
    return rows[0] if rows else None


def family_of_email(db: Database, email: str) -> dict[str, Any] | None:
    """The row of the family a parent's e-mail belongs to (for a support request), nothing more."""
    with db.read() as session:
        family_id = session.scalar(
            select(User.family_id).where(
                User.email_hash.in_(email_lookup(session, email)), User.family_id.is_not(None)
            )
        )
    return family_row(db, family_id) if family_id else None


def _family_rows(session: Session, only: str | None) -> list[dict[str, Any]]:
    def scoped(query: Any, column: Any) -> Any:
        return query.where(column == only) if only is not None else query

    members = {
        (f, r): n
        for f, r, n in session.execute(
            scoped(select(User.family_id, User.role, func.count()), User.family_id)
            .where(User.family_id.is_not(None))
            .group_by(User.family_id, User.role)
        ).all()
    }
    devices = dict(
        session.execute(
            scoped(select(Device.family_id, func.count()), Device.family_id)
            .where(Device.family_id.is_not(None), Device.revoked_at.is_(None))
            .group_by(Device.family_id)
        ).all()
    )
    seen = dict(
        session.execute(
            scoped(select(Device.family_id, func.max(Device.last_seen_at)), Device.family_id)
            .where(Device.family_id.is_not(None))
            .group_by(Device.family_id)
        ).all()
    )
    families = session.execute(
        scoped(select(Family.id, Family.created_at, Family.disabled_at), Family.id).order_by(
            Family.created_at.desc()
        )
    ).all()
    return [
        {
            "id": fid,
            "parents": members.get((fid, "parent"), 0),
            "children": members.get((fid, "child"), 0),
            "devices": devices.get(fid, 0),
            "created": created.date(),
            "last_seen": seen[fid].date() if seen.get(fid) else None,
            "disabled": disabled is not None,
        }
        for fid, created, disabled in families
    ]


def set_disabled(db: Database, family_id: str, disabled: bool, now: datetime) -> None:
    """Disable a family (every member's sessions end at once; no sign-in or refresh until it is
    enabled again) or enable it. Nothing of the family's data changes."""
    with db.write(family_id) as session:
        family = session.get(Family, family_id)
        if family is None:
            raise FamilyNotFound(family_id)
        family.disabled_at = now if disabled else None
        if not disabled:
            return
        members = select(User.id).where(User.family_id == family_id)
        session.execute(update(User).where(User.family_id == family_id).values(tokens_valid_after=now))
        chains = session.scalars(
            select(RefreshToken.chain_id).where(RefreshToken.user_id.in_(members)).distinct()
        ).all()
        for chain in chains:
            revoke_chain(session, chain, now)

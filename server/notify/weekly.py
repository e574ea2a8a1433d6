"""The weekly summary: one ``WeeklySummary`` event per child each week, for the parents who opted in.

Written from Monday 09:00 (Asia/Seoul) on, once per family and week: under the family's write lock,
a family that already has a ``WeeklySummary`` in the outbox since the week began is skipped, so a
restart or a second server process never writes a week twice (and nothing outside the family's own
rows remembers it, so deleting a family leaves no trace). Value and profit come from the same
``summarise`` as the portfolio screen.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from sync.portfolio import summarise

from ..db import Database
from ..db.models import Family, Outbox, RequestRow, User
from ..game.book import SqlBook
from ..market.clock import WeekdayMarketClock

__all__ = ["emit_weekly_summaries", "week_of"]

SEOUL = ZoneInfo("Asia/Seoul")
_SENDS_AT = timedelta(hours=9)  # Monday 09:00 local: a parent reads it with the week ahead


def week_of(now: datetime) -> str:
    """The summary week ``now`` falls in (``2026-W48``); it starts on Monday at 09:00 in Seoul."""
    shifted = now.astimezone(SEOUL) - _SENDS_AT
    year, week, _ = shifted.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(now: datetime) -> datetime:
    shifted = now.astimezone(SEOUL) - _SENDS_AT
    monday = shifted.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=shifted.weekday())
    return monday + _SENDS_AT


def emit_weekly_summaries(db: Database, now: datetime) -> int:
    """Write this week's summaries for every family that has none yet; returns how many events."""
    week, since = week_of(now), week_start(now)
    with db.read() as session:
        families = list(session.scalars(select(Family.id)))
    written = 0
    for family_id in families:
        with db.write(family_id) as session:
            done = session.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(
                    Outbox.family_id == family_id,
                    Outbox.event == "WeeklySummary",
                    Outbox.created_at >= since,
                )
            )
            if done:
                continue
            children = session.scalars(
                select(User).where(User.family_id == family_id, User.role == "child").order_by(User.id)
            )
            for child in children:
                book = SqlBook(
                    session,
                    family_id=family_id,
                    child_id=child.id,
                    client_id=None,
                    now=now,
                    market_clock=WeekdayMarketClock(),
                )
                summary = summarise(book)
                pending = session.scalar(
                    select(func.count())
                    .select_from(RequestRow)
                    .where(RequestRow.child_id == child.id, RequestRow.status == "pending")
                )
                payload = {
                    "week": week,
                    "value": summary.total_value,
                    "profit": summary.profit,
                    "pending": int(pending or 0),
                }
                session.add(
                    Outbox(
                        family_id=family_id,
                        child_id=child.id,
                        event="WeeklySummary",
                        payload=payload,
                        created_at=now,
                        delivered_at=None,
                    )
                )
                written += 1
    return written

"""Figures read from the database at scrape time: queue depths and the seed's business metrics.

They are facts of the shared database, not of one process, so every server process reports the
same values and none of them needs prometheus-client's multiprocess files. Reading them costs a few
aggregate queries (and a valuation per child for the average return), so one read is kept for
``max_age`` seconds.

Only counts and averages leave here: no family's name, member or amount.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from sync.portfolio import summarise
from sync.records import RequestStatus, Role, TradeStatus

from ..db import Database
from ..db.models import Delivery, Device, Family, Outbox, RequestRow, TradeRow, User
from ..game.book import SqlBook
from ..market.clock import WeekdayMarketClock
from ..payment.subscriptions import conversion

__all__ = ["Figures", "FiguresCollector", "read_figures"]

Figures = list[GaugeMetricFamily]
_APPROVED = (RequestStatus.APPROVED.value, RequestStatus.PAID.value)


def read_figures(db: Database, now: datetime) -> Figures:
    with db.read() as session:
        waiting = session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.delivered_at.is_(None))
        )
        deliveries = dict(
            session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.status != "done")
                .group_by(Delivery.status)
            ).all()
        )
        queued = session.scalar(
            select(func.count()).select_from(TradeRow).where(TradeRow.status == TradeStatus.QUEUED.value)
        )
        families = session.scalar(select(func.count()).select_from(Family))
        disabled = session.scalar(
            select(func.count()).select_from(Family).where(Family.disabled_at.is_not(None))
        )
        members = dict(
            session.execute(
                select(User.role, func.count()).where(User.family_id.is_not(None)).group_by(User.role)
            ).all()
        )
        active = {window: _active_users(session, now - span) for window, span in _WINDOWS.items()}
        decided = dict(
            session.execute(
                select(RequestRow.status, func.count())
                .where(RequestRow.created_at >= now - timedelta(days=30))
                .group_by(RequestRow.status)
            ).all()
        )
        returns = _average_return(session, now)
        premium = conversion(session)
    approved = sum(int(decided.get(s, 0)) for s in _APPROVED)
    rejected = int(decided.get(RequestStatus.REJECTED.value, 0))
    out: Figures = [
        _gauge("yongdon_outbox_events_waiting", "Domain events not yet delivered", int(waiting or 0)),
        _labelled(
            "yongdon_notification_deliveries",
            "Notification deliveries not done, by status (dead: gave up; requeue from the console)",
            "status",
            {s: int(deliveries.get(s, 0)) for s in ("pending", "dead")},
        ),
        _gauge("yongdon_queued_orders", "Orders waiting for their market's opening", int(queued or 0)),
        _gauge("yongdon_families", "Families on this server", int(families or 0)),
        _gauge("yongdon_families_disabled", "Families the operator disabled", int(disabled or 0)),
        _labelled(
            "yongdon_family_members",
            "Parents and children on this server",
            "role",
            {r.value: int(members.get(r.value, 0)) for r in (Role.PARENT, Role.CHILD)},
        ),
        _labelled(
            "yongdon_active_users", "Members seen syncing in the window (DAU: 1d, MAU: 30d)", "window", active
        ),
        _labelled(
            "yongdon_allowance_decisions_30d",
            "Allowance requests made in the last 30 days and decided, by decision",
            "decision",
            {"approved": approved, "rejected": rejected},
        ),
    ]
    # NaN (not absent) while nothing was decided or invested: a dashboard shows "no data yet"
    ratio = approved / (approved + rejected) if approved + rejected else math.nan
    out.append(
        _gauge(
            "yongdon_allowance_approval_ratio",
            "Approved share of the allowance requests decided (requests of the last 30 days)",
            ratio,
        )
    )
    out.append(
        _gauge(
            "yongdon_game_return_average_ratio",
            "Mean of every child's game profit over the money put in",
            math.nan if returns is None else returns,
        )
    )
    out.extend(_premium(premium))
    return out


def _premium(premium: dict[str, Any]) -> Figures:
    """The hosted service's premium conversion (all zero on a family server)."""
    ratio = premium["ratio"]
    return [
        _labelled(
            "yongdon_subscriptions",
            "Families by premium status (hosted): trial, active (paying), past_due, lapsed, cancelled",
            "status",
            premium["statuses"],
        ),
        _gauge(
            "yongdon_premium_conversion_ratio",
            "Families that paid for premium among those that started a trial",
            math.nan if ratio is None else ratio,
        ),
    ]


_WINDOWS = {"1d": timedelta(days=1), "30d": timedelta(days=30)}


def _active_users(session: Session, since: datetime) -> int:
    query = select(func.count(distinct(Device.user_id))).where(
        Device.family_id.is_not(None), Device.last_seen_at >= since
    )
    return int(session.scalar(query) or 0)


def _average_return(session: Session, now: datetime) -> float | None:
    children = session.execute(select(User.id, User.family_id).where(User.role == Role.CHILD.value)).all()
    ratios = []
    clock = WeekdayMarketClock()
    for child_id, family_id in children:
        book = SqlBook(
            session, family_id=family_id, child_id=child_id, client_id=None, now=now, market_clock=clock
        )
        summary = summarise(book)
        if summary.invested:
            ratios.append(summary.profit / summary.invested)
    return sum(ratios) / len(ratios) if ratios else None


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=value)


def _labelled(name: str, text: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, text, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


class FiguresCollector(Collector):
    """Serves :func:`read_figures`, read at most once every ``max_age`` seconds per process."""

    def __init__(self, db: Database, clock: Callable[[], datetime], max_age: float = 30.0) -> None:
        self.db, self.clock, self.max_age = db, clock, max_age
        self._lock = threading.Lock()
        self._read_at = -max_age
        self._figures: Figures = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            if time.monotonic() - self._read_at >= self.max_age:
                self._figures = read_figures(self.db, self.clock())
                self._read_at = time.monotonic()
            yield from self._figures

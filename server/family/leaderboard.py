"""The family leaderboard: the opted-in children of the caller's family, ranked by
benchmark-relative return (:mod:`sync.leaderboard`) over the last week and since they started.

A parent turns it on per child (the house rule ``leaderboard``); a child sees the board only while its
own rule is on, and only its own family's children are ever on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from sync.errors import Code
from sync.leaderboard import Entry, Standing, rank
from sync.records import Role

from ..db import Database
from ..db.models import User
from ..errors import DomainError
from ..game import services as game
from ..game.book import current_rules
from ..market.providers import ProviderChain
from ..principal import Principal
from .schemas import LeaderboardOut, StandingOut

__all__ = ["leaderboard"]


def leaderboard(db: Database, viewer: Principal, now: datetime, chain: ProviderChain) -> LeaderboardOut:
    if viewer.family_id is None:
        raise DomainError(Code.NOT_FOUND, "no such family")
    with db.read() as session:
        children = session.scalars(
            select(User)
            .where(User.family_id == viewer.family_id, User.role == Role.CHILD.value)
            .order_by(User.created_at)
        ).all()
        opted = [(c.id, c.display_name) for c in children if current_rules(session, c.id).leaderboard]
    if viewer.role is Role.CHILD and viewer.user_id not in {child_id for child_id, _ in opted}:
        opted = []  # not on the board: the child does not see it either
    boards: dict[str, list[Standing]] = {}
    for range_ in ("1W", "ALL"):
        entries = []
        for child_id, name in opted:
            # each child's figures as that child's own performance screen shows them
            as_child = Principal(
                user_id=child_id, role=Role.CHILD, family_id=viewer.family_id, client_id=None
            )
            perf = game.performance(db, as_child, child_id, range_, now, chain)
            beat = None if perf.benchmark_missing else perf.beat_pct
            entries.append(Entry(child_id=child_id, name=name, beat_pct=beat, twr_pct=perf.twr_pct))
        boards[range_] = rank(entries)
    return LeaderboardOut(
        enabled=bool(opted),
        as_of=now,
        week=[_out(s, viewer) for s in boards["1W"]],
        since_start=[_out(s, viewer) for s in boards["ALL"]],
    )


def _out(standing: Standing, viewer: Principal) -> StandingOut:
    return StandingOut(
        rank=standing.rank,
        child_id=standing.child_id,
        name=standing.name,
        beat_pct=standing.beat_pct,
        twr_pct=standing.twr_pct,
        me=standing.child_id == viewer.user_id,
    )

"""Whether a stock still trades: the one answer the stock page and the order rules share.

A stock trades no more once a recorded delisting has begun (midnight at its exchange on the day after
the last session), or, in history replay, once the replayed day is past its bundled price history
(the replay quotes it no more). The order rule refuses such orders (``SYMBOL_ENDED``) and the stock
page says trading ended, from the same facts, so the two never disagree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.market import market_of
from sync.rules import Market

from ..db.models import CorporateAction

__all__ = ["delisting_date", "ended_given", "ended_in", "ex_moment", "replay_member"]

_ZONES = {Market.KRX: ZoneInfo("Asia/Seoul"), Market.US: ZoneInfo("America/New_York")}


def ex_moment(symbol: str, ex_date: date) -> datetime:
    """When ``ex_date`` begins at the symbol's exchange (UTC): shares held before it carry the action."""
    return datetime.combine(ex_date, time(0), _ZONES[market_of(symbol)]).astimezone(UTC)


def replay_member(provider: Any) -> Any:
    """The chain's replay provider when history replay is the mode (it comes first and names rates);
    ``None`` in live mode, where the replay is a fallback and its end means nothing."""
    members = getattr(provider, "providers", [provider])
    first = members[0] if members else None
    store = getattr(first, "store", None)
    return first if store is not None and getattr(first, "rates", False) else None


def ended_in(session: Session, provider: Any, symbol: str, now: datetime) -> tuple[str, date] | None:
    """``("delisting", last session)`` once a recorded delisting has begun, ``("data_end", last bar)``
    in history replay past the symbol's bundled history; ``None`` while it trades."""
    return ended_given(session.scalar(delisting_date(symbol)), provider, symbol, now)


def delisting_date(symbol: Any) -> Any:
    """The statement of ``symbol``'s earliest recorded delisting's ex-date (a scalar, or none);
    ``symbol`` is a value or a column (a book reads it with a symbol's other facts)."""
    return select(func.min(CorporateAction.ex_date)).where(
        CorporateAction.symbol == symbol, CorporateAction.kind == "delisting"
    )


def ended_given(ex_date: date | None, provider: Any, symbol: str, now: datetime) -> tuple[str, date] | None:
    """:func:`ended_in` with the delisting's ex-date already read."""
    if ex_date is not None and ex_moment(symbol, ex_date) <= now:
        return "delisting", ex_date - timedelta(days=1)
    replay = replay_member(provider)
    last = replay.store.ended_by(symbol, replay.today(now)) if replay is not None else None
    return ("data_end", last) if last is not None else None

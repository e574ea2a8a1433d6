"""What ``GET /api/market/status`` answers: per market open or closed, the next open and close."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from sync.rules import Market

from .calendar import MarketCalendars

__all__ = ["market_status"]


def _iso(t: datetime | None, market_zone: Any) -> str | None:
    # shown in the exchange's own zone, offset included, so "09:00+09:00" reads as the open it is
    return t.astimezone(market_zone).isoformat() if t is not None else None


def market_status(calendars: MarketCalendars, now: datetime, provider: Any = None) -> dict[str, Any]:
    """Each market's state at ``now`` by the real calendars; ``provider`` health when it reports one."""
    markets = []
    for market in Market:
        calendar = calendars[market]
        session = calendar.session_at(now)
        upcoming = calendar.next_session(now)
        markets.append(
            {
                "market": market.value,
                "timezone": calendar.zone.key,
                "open": session is not None,
                "session": None
                if session is None
                else {"open": _iso(session.open, calendar.zone), "close": _iso(session.close, calendar.zone)},
                "next_open": _iso(upcoming.open if upcoming else None, calendar.zone),
                "next_close": _iso(calendar.next_close(now), calendar.zone),
            }
        )
    return {"as_of": now.isoformat(), "markets": markets, "provider": _health(provider, now)}


def _health(provider: Any, now: datetime) -> dict[str, Any] | None:
    """The provider's own report (``providers.base.Health``), or ``None`` when none is configured."""
    if provider is None or not callable(getattr(provider, "health", None)):
        return None
    report = provider.health(now)
    data = asdict(report) if is_dataclass(report) and not isinstance(report, type) else dict(report)
    return {
        "name": getattr(provider, "name", None),
        **{k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()},
    }

"""When KRX and US markets trade, for the screens ("closed — opens tomorrow 09:00").

The real calendars (holidays, half days) live on the server: the last ``GET /api/market/status``
answer is remembered and trusted until the moment it named (the session's close, or the next open).
Past that, or before any answer, regular weekday sessions in each market's own timezone stand in;
the server decides every fill, so that guess can only make a hint early by a holiday.

A market's times are said in its own zone, named ("한국시간 09:00", "New York 9:30 (23:30 KST)"):
a device left on UTC must not announce the KRX open as "tomorrow 00:00".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.rules import Market

__all__ = [
    "KST",
    "SESSIONS",
    "Session",
    "forget",
    "is_open",
    "last_open",
    "market_time",
    "next_open",
    "remember",
]


@dataclass(frozen=True)
class Session:
    tz: ZoneInfo
    opens: time
    closes: time


SESSIONS = {
    Market.KRX: Session(ZoneInfo("Asia/Seoul"), time(9, 0), time(15, 30)),
    Market.US: Session(ZoneInfo("America/New_York"), time(9, 30), time(16, 0)),
}


@dataclass(frozen=True)
class _Known:
    open: bool
    until: datetime  # the session's close when open, the next open when closed
    next_open: datetime | None


KST = SESSIONS[Market.KRX].tz

_known: dict[Market, _Known] = {}


def market_time(tools: Any, market: Market, moment: datetime, now: datetime) -> str:
    """``moment`` in ``market``'s own zone, stated: KRX in Korea time, US in New York time with the
    Korean clock beside it (a family in Korea stays up for it)."""
    when = tools.fmt.when(moment, now, SESSIONS[market].tz)
    if market is Market.KRX:
        return str(tools.tr("hours.krx_at", when=when))
    return str(tools.tr("hours.us_at", when=when, kst=moment.astimezone(KST).strftime("%H:%M")))


def remember(status: dict[str, Any]) -> None:
    """Keep the server's answer (``GET /api/market/status``) for the moments it covers."""
    for row in status.get("markets", []):
        try:
            market = Market(row["market"])
            next_open = datetime.fromisoformat(row["next_open"]) if row.get("next_open") else None
            if row["open"]:
                until = datetime.fromisoformat(row["session"]["close"])
            elif next_open is not None:
                until = next_open
            else:
                continue
        except (KeyError, TypeError, ValueError):
            continue  # a malformed row: the weekday rule stands in for that market
        _known[market] = _Known(bool(row["open"]), until, next_open)


def forget() -> None:
    _known.clear()


def _trusted(market: Market, now: datetime) -> _Known | None:
    known = _known.get(market)
    return known if known is not None and now < known.until else None


def is_open(market: Market, now: datetime) -> bool:
    if (known := _trusted(market, now)) is not None:
        return known.open
    s = SESSIONS[market]
    local = now.astimezone(s.tz)
    return local.weekday() < 5 and s.opens <= local.time() < s.closes


def next_open(market: Market, now: datetime) -> datetime:
    """The next session start strictly after ``now`` (aware)."""
    if (known := _trusted(market, now)) is not None and known.next_open is not None:
        return known.next_open
    s = SESSIONS[market]
    local = now.astimezone(s.tz)
    day = local.date()
    for _ in range(8):
        start = datetime.combine(day, s.opens, tzinfo=s.tz)
        if start.weekday() < 5 and start > local:
            return start
        day += timedelta(days=1)
    raise AssertionError("a weekday always comes within a week")


def last_open(market: Market, now: datetime) -> datetime:
    """The start of the latest weekday session at or before ``now`` (aware; holidays not known)."""
    s = SESSIONS[market]
    local = now.astimezone(s.tz)
    day = local.date()
    for _ in range(8):
        start = datetime.combine(day, s.opens, tzinfo=s.tz)
        if start.weekday() < 5 and start <= local:
            return start
        day -= timedelta(days=1)
    raise AssertionError("a weekday always comes within a week")

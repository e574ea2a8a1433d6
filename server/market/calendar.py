"""Exchange sessions for KRX and the US: real holidays, early closes and late opens.

The schedule comes from ``exchange_calendars`` (XKRX, XNYS, bundled data: no network), read once
into plain UTC ``(open, close)`` pairs, so answering "is it open?" is a bisect and never touches
pandas again (pandas also warns from inside the library, which this project's tests treat as
errors). Two corrections are applied on top:

- every KRX closure that ``holidays.financial_holidays("XKRX")`` knows and exchange_calendars
  misses (the 2026-06-03 local election day, the restored Constitution Day 2026-07-17);
- the college-entrance-exam (수능) day, when KRX opens an hour late (10:00) and closes an hour
  late (16:30) so that exam-takers' parents are not on the road at 9; exchange_calendars
  models KRX's first-day 10:00 open but not this one.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from importlib.metadata import version
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from sync.rules import Market

__all__ = [
    "CSAT_DAYS",
    "ExchangeCalendar",
    "MarketCalendars",
    "Session",
    "local_day",
    "market_calendars",
    "replayed",
    "use_cache_dir",
]

KST = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")

# 대학수학능력시험 days (Ministry of Education announcements). KRX trades 10:00–16:30 KST on them.
# The ministry announces each year's date the spring before: add it here when it does.
CSAT_DAYS: frozenset[date] = frozenset(
    date.fromisoformat(d)
    for d in (
        "2019-11-14",
        "2020-12-03",
        "2021-11-18",
        "2022-11-17",
        "2023-11-16",
        "2024-11-14",
        "2025-11-13",
        "2026-11-19",
    )
)
_CSAT_HOURS = (time(10, 0), time(16, 30))

_EXCHANGES = {Market.KRX: ("XKRX", KST), Market.US: ("XNYS", NEW_YORK)}
FIRST_YEAR = 2000  # the replay ("time machine") data starts in 2000


@dataclass(frozen=True, order=True)
class Session:
    """One trading session: ``open`` ≤ t < ``close`` is open (both aware UTC)."""

    open: datetime
    close: datetime


class ExchangeCalendar:
    """The sessions of one exchange between ``first`` and ``last``, sorted by open."""

    def __init__(self, market: Market, zone: ZoneInfo, sessions: list[Session]) -> None:
        self.market, self.zone = market, zone
        self.sessions = sorted(sessions)
        self._opens = [s.open for s in self.sessions]
        self._by_day = {s.open.astimezone(zone).date(): s for s in self.sessions}

    @property
    def first(self) -> date:
        return self.sessions[0].open.astimezone(self.zone).date()

    @property
    def last(self) -> date:
        return self.sessions[-1].open.astimezone(self.zone).date()

    def session_on(self, day: date) -> Session | None:
        """The session on the exchange's local ``day``; ``None`` on a weekend or holiday."""
        return self._by_day.get(day)

    def session_at(self, t: datetime) -> Session | None:
        """The session open at ``t``, if any."""
        i = bisect.bisect_right(self._opens, _utc(t)) - 1
        if i >= 0 and t < self.sessions[i].close:
            return self.sessions[i]
        return None

    def is_open(self, t: datetime) -> bool:
        return self.session_at(t) is not None

    def next_session(self, t: datetime) -> Session | None:
        """The first session that opens strictly after ``t`` (``None`` past the calendar's end)."""
        i = bisect.bisect_right(self._opens, _utc(t))
        return self.sessions[i] if i < len(self.sessions) else None

    def next_open(self, t: datetime) -> datetime | None:
        session = self.next_session(t)
        return session.open if session else None

    def last_open(self, t: datetime) -> datetime | None:
        """The latest open at or before ``t`` (``None`` before the calendar's start)."""
        i = bisect.bisect_right(self._opens, _utc(t)) - 1
        return self._opens[i] if i >= 0 else None

    def next_close(self, t: datetime) -> datetime | None:
        """When the current session closes, or else when the next one will."""
        current = self.session_at(t)
        if current is not None:
            return current.close
        upcoming = self.next_session(t)
        return upcoming.close if upcoming else None


class ReplayTime(Protocol):
    """The history replay's clock (``server.market.providers.replay.ReplayClock``)."""

    def instant_at(self, now: datetime) -> datetime: ...

    def server_time(self, replayed: datetime) -> datetime: ...


class ReplayedCalendar:
    """An exchange's sessions of the replayed years, in server time.

    Every question is asked of the historic calendar at the replayed instant, and every session
    answered is moved back to the server time at which the replay reaches it: so replaying 2012,
    a day KRX was closed in 2012 is closed, a day closed today but open in 2012 is open, and a
    2012 half day closes early. Queued orders and the refresher's opening rows (``watch.is_news``)
    meet these sessions at their server-time opens.
    """

    def __init__(self, base: ExchangeCalendar, replay: ReplayTime) -> None:
        self.base, self.replay = base, replay
        self.market, self.zone = base.market, base.zone

    def _at(self, t: datetime) -> datetime:
        return self.replay.instant_at(_utc(t))

    def _back(self, session: Session | None) -> Session | None:
        if session is None:
            return None
        return Session(self.replay.server_time(session.open), self.replay.server_time(session.close))

    def session_on(self, day: date) -> Session | None:
        """The session of the replayed local ``day`` (in server time)."""
        return self._back(self.base.session_on(day))

    def session_at(self, t: datetime) -> Session | None:
        return self._back(self.base.session_at(self._at(t)))

    def is_open(self, t: datetime) -> bool:
        return self.base.is_open(self._at(t))

    def next_session(self, t: datetime) -> Session | None:
        return self._back(self.base.next_session(self._at(t)))

    def next_open(self, t: datetime) -> datetime | None:
        session = self.next_session(t)
        return session.open if session else None

    def last_open(self, t: datetime) -> datetime | None:
        opened = self.base.last_open(self._at(t))
        return None if opened is None else self.replay.server_time(opened)

    def next_close(self, t: datetime) -> datetime | None:
        closing = self.base.next_close(self._at(t))
        return None if closing is None else self.replay.server_time(closing)


class MarketCalendars:
    """Both markets' calendars; a :class:`~server.market.clock.MarketClock` for the fill rules."""

    def __init__(self, calendars: dict[Market, ExchangeCalendar | ReplayedCalendar]) -> None:
        self.calendars = calendars

    def __getitem__(self, market: Market) -> ExchangeCalendar | ReplayedCalendar:
        return self.calendars[market]

    def is_open(self, market: Market, now: datetime) -> bool:
        return self.calendars[market].is_open(now)

    def next_open(self, market: Market, now: datetime) -> datetime | None:
        return self.calendars[market].next_open(now)

    def next_close(self, market: Market, now: datetime) -> datetime | None:
        return self.calendars[market].next_close(now)

    def next_session(self, market: Market, after: datetime) -> Session | None:
        return self.calendars[market].next_session(after)

    def last_open(self, market: Market, t: datetime) -> datetime | None:
        return self.calendars[market].last_open(t)


class LazyCalendars(MarketCalendars):
    """Calendars built on first use: a chain names its calendars on every pass, and most passes
    (a moved price, a first quote) never ask them anything."""

    def __init__(self, build: Callable[[], MarketCalendars]) -> None:  # noqa: D107
        self._build, self._built = build, None  # type: ignore[var-annotated]

    @property  # type: ignore[override]
    def calendars(self) -> dict[Market, ExchangeCalendar | ReplayedCalendar]:
        if self._built is None:
            self._built = self._build().calendars
        return self._built  # type: ignore[return-value]


def replayed(calendars: MarketCalendars, replay: ReplayTime) -> MarketCalendars:
    """``calendars`` as the history replay lives them: the replayed years' sessions on its clock."""
    bases = {m: c.base if isinstance(c, ReplayedCalendar) else c for m, c in calendars.calendars.items()}
    return MarketCalendars({market: ReplayedCalendar(base, replay) for market, base in bases.items()})


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError("calendar times are aware (UTC)")
    return t.astimezone(UTC)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _krx_closures(first: int, last: int) -> set[date]:
    import holidays

    return set(holidays.financial_holidays("XKRX", years=range(first, last + 1)))


def _load(market: Market, first: int, last: int) -> ExchangeCalendar:
    import exchange_calendars

    name, zone = _EXCHANGES[market]
    # exchange_calendars (pandas 3.1) emits Pandas4Warning on construction; nothing of it is ours
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calendar = exchange_calendars.get_calendar(name, start=f"{first}-01-01", end=f"{last}-12-31")
        schedule = calendar.schedule
        opens = [ts.to_pydatetime() for ts in schedule["open"]]
        closes = [ts.to_pydatetime() for ts in schedule["close"]]
    closed = _krx_closures(first, last) if market is Market.KRX else set()
    sessions: list[Session] = []
    for opened, closing in zip(opens, closes, strict=True):
        day = opened.astimezone(zone).date()
        if day in closed:
            continue
        if market is Market.KRX and day in CSAT_DAYS:
            opened, closing = (_local(day, at, zone) for at in _CSAT_HOURS)
        sessions.append(Session(opened.astimezone(UTC), closing.astimezone(UTC)))
    return ExchangeCalendar(market, zone, sessions)


_lock = threading.Lock()
_cached: MarketCalendars | None = None
_cache_dir: Path | None = None


def use_cache_dir(path: Path) -> None:
    """Keep the built sessions in ``path``: building them takes seconds of pandas work, reading
    them back a few milliseconds, so a restarted server answers its first order at once."""
    global _cache_dir
    _cache_dir = path


def market_calendars(today: date | None = None) -> MarketCalendars:
    """The process's calendars, built on first use from 2000 to two years ahead (or read back)."""
    global _cached
    with _lock:
        if _cached is None:
            last = (today or datetime.now(UTC).date()).year + 2
            stored = _cache_dir / f"calendars-{_cache_key(last)}.json" if _cache_dir else None
            _cached = _read(stored) if stored else None
            if _cached is None:
                _cached = MarketCalendars({m: _load(m, FIRST_YEAR, last) for m in _EXCHANGES})
                if stored:
                    _write(stored, _cached)
        return _cached


def _cache_key(last: int) -> str:
    """Everything the sessions depend on: a new library release or exam day makes a new file."""
    parts = [
        "1",
        version("exchange-calendars"),
        version("holidays"),
        str(FIRST_YEAR),
        str(last),
        *sorted(d.isoformat() for d in CSAT_DAYS),
        *(t.isoformat() for t in _CSAT_HOURS),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _read(path: Path) -> MarketCalendars | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return MarketCalendars(
            {
                market: ExchangeCalendar(
                    market,
                    zone,
                    [
                        Session(datetime.fromtimestamp(o, UTC), datetime.fromtimestamp(c, UTC))
                        for o, c in data[market.value]
                    ],
                )
                for market, (_, zone) in _EXCHANGES.items()
            }
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: build again


def _write(path: Path, calendars: MarketCalendars) -> None:
    data = {
        market.value: [[int(s.open.timestamp()), int(s.close.timestamp())] for s in calendar.sessions]
        for market, calendar in calendars.calendars.items()
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, path)  # a reader never sees half a file
    except OSError:
        pass  # a read-only data dir: the next start builds them again


def local_day(market: Market, t: datetime) -> date:
    """``t`` as the market's local date."""
    return t.astimezone(_EXCHANGES[market][1]).date()

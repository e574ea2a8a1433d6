"""Price history for charts: ranges 1W–max, the ``market_bars`` store, and where a range's bars come from.

A range ends at the date the family is "at" (today, or the replay date in replay mode: a child in 2008
never sees 2009). Bars this server stored (backfill, refresher) answer when they cover the range;
otherwise the provider chain does (live, bundled history, simulation). Long ranges are sent as weekly
bars so a 30-year chart is a few hundred points, not eight thousand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.market import currency_of

from ..db import Database
from ..db.models import BarRow
from .directory import directory
from .providers.base import Bar, day_start
from .providers.replay import bundled_history

if TYPE_CHECKING:
    from .providers.chain import ProviderChain

__all__ = [
    "RANGES",
    "RangeName",
    "ensure_partitions",
    "history_for",
    "resolve_symbol",
    "store_bars",
    "stored_bars",
    "weekly",
]

RangeName = Literal["1W", "1M", "3M", "6M", "1Y", "5Y", "max"]
# range → (calendar days back, interval sent); None days = everything there is
RANGES: dict[str, tuple[int | None, str]] = {
    "1W": (7, "1d"),
    "1M": (31, "1d"),
    "3M": (92, "1d"),
    "6M": (183, "1d"),
    "1Y": (366, "1d"),
    "5Y": (1_827, "1wk"),
    "max": (None, "1wk"),
}
EARLIEST = date(1970, 1, 1)
SLACK = timedelta(days=6)  # a range may start on a weekend or a holiday week


def resolve_symbol(symbol: str) -> str | None:
    """The provider ticker of a directory entry (a KRX code finds its ``.KS``/``.KQ`` ticker) or of a
    bundled-history company; ``None`` for anything else, which would otherwise get a simulated chart."""
    entry = directory().get(symbol)
    if entry is not None:
        return entry.symbol
    return symbol if bundled_history().has(symbol) else None


def stored_bars(session: Session, symbol: str, interval: str, start: date, end: date) -> list[Bar]:
    rows = session.scalars(
        select(BarRow)
        .where(
            BarRow.symbol == symbol,
            BarRow.interval == interval,
            BarRow.ts >= day_start(start),
            BarRow.ts < day_start(end + timedelta(days=1)),
        )
        .order_by(BarRow.ts)
    )
    return [Bar(r.ts, r.close, r.open, r.high, r.low, r.volume, r.source) for r in rows]


def ensure_partitions(session: Session, years: Iterable[int]) -> None:
    """PostgreSQL: create the yearly partitions of ``market_bars`` that ``years`` need (idempotent)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for year in sorted(set(years)):
        session.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS market_bars_y{year:04d} PARTITION OF market_bars "
                f"FOR VALUES FROM ('{year:04d}-01-01 00:00+00') TO ('{year + 1:04d}-01-01 00:00+00')"
            )
        )


def store_bars(db: Database, symbol: str, interval: str, bars: Sequence[Bar]) -> int:
    """Insert or replace ``bars`` in one transaction; returns how many were written."""
    if not bars:
        return 0
    with db.write() as session:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        ensure_partitions(session, (b.ts.year for b in bars))
        stmt = dialect.insert(BarRow)
        columns = ("open", "high", "low", "close", "volume", "source")
        upsert = stmt.on_conflict_do_update(
            index_elements=["symbol", "interval", "ts"], set_={c: getattr(stmt.excluded, c) for c in columns}
        )
        # one executemany: SQLAlchemy batches it ("insertmanyvalues") without compiling a huge VALUES
        session.execute(
            upsert,
            [
                {
                    "symbol": symbol,
                    "interval": interval,
                    "ts": b.ts,
                    "open": b.open,
                    "high": b.high,
                    "low": b.low,
                    "close": b.close,
                    "volume": b.volume,
                    "source": b.source,
                }
                for b in bars
            ],
        )
    return len(bars)


def weekly(bars: Sequence[Bar]) -> list[Bar]:
    """Daily bars folded into ISO weeks (open of the first day, close of the last, extremes, volume sum)."""
    weeks: dict[tuple[int, int], list[Bar]] = {}
    for bar in bars:
        iso = bar.ts.isocalendar()
        weeks.setdefault((iso.year, iso.week), []).append(bar)
    folded = []
    for days in weeks.values():
        highs = [b.high for b in days if b.high is not None]
        lows = [b.low for b in days if b.low is not None]
        volumes = [b.volume for b in days if b.volume is not None]
        folded.append(
            Bar(
                ts=days[0].ts,
                close=days[-1].close,
                open=days[0].open,
                high=max(highs) if highs else None,
                low=min(lows) if lows else None,
                volume=sum(volumes) if volumes else None,
                source=days[-1].source,
            )
        )
    return folded


def _covers(bars: Sequence[Bar], start: date, end: date) -> bool:
    return bool(bars) and bars[0].ts.date() <= start + SLACK and bars[-1].ts.date() >= end - SLACK


def history_for(
    db: Database, chain: ProviderChain, symbol: str, range_name: str, now: datetime
) -> dict[str, Any]:
    """The chart of ``symbol`` over ``range_name`` as the history route answers it."""
    days, interval = RANGES[range_name]
    end = chain.today(now)
    start = EARLIEST if days is None else end - timedelta(days=days)
    with db.read() as session:
        stored = stored_bars(session, symbol, "1d", start, end)
    bars = stored if days is not None and _covers(stored, start, end) else chain.history(symbol, start, end)
    if not bars:
        bars = stored  # the chain had nothing: what we stored is better than an empty chart
    if interval == "1wk":
        bars = weekly(bars)
    sources = sorted({b.source for b in bars})
    return {
        "symbol": symbol,
        "range": range_name,
        "interval": interval,
        "currency": currency_of(symbol),
        "source": sources[0] if len(sources) == 1 else "+".join(sources) or None,
        "from": bars[0].ts.date().isoformat() if bars else None,
        "to": bars[-1].ts.date().isoformat() if bars else None,
        "bars": [
            {"t": b.ts.date().isoformat(), "o": b.open, "h": b.high, "l": b.low, "c": b.close, "v": b.volume}
            for b in bars
        ],
    }

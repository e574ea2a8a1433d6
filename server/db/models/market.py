"""The symbols the server keeps priced, and price bars per symbol and interval (the charts' store).

Keyed by (symbol, interval, ts) with no surrogate id: SQLite keeps it as a ``WITHOUT ROWID`` table (the
rows live in key order, so a symbol's range is one contiguous read); PostgreSQL partitions it by time
(``PARTITION BY RANGE (ts)``, yearly partitions made by ``server.market.history`` on first write) with a
BRIN index on ``ts``, which stays tiny because bars arrive roughly in time order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base

__all__ = ["BarRow", "WatchedSymbol"]


class BarRow(Base):
    """One bar; daily bars sit at 00:00 UTC of their exchange-local session date. Prices as quotes
    (won, micro-dollars); ``source`` names the provider ("yahoo", "replay", "sim", "snapshot")."""

    __tablename__ = "market_bars"
    __table_args__ = {"sqlite_with_rowid": False, "postgresql_partition_by": "RANGE (ts)"}
    symbol: Mapped[str] = mapped_column(String(20), primary_key=True)
    interval: Mapped[str] = mapped_column(String(4), primary_key=True)  # "1d", "1h", "1m"
    ts: Mapped[datetime] = mapped_column(primary_key=True)
    open: Mapped[int | None] = mapped_column(BigInteger)
    high: Mapped[int | None] = mapped_column(BigInteger)
    low: Mapped[int | None] = mapped_column(BigInteger)
    close: Mapped[int] = mapped_column(BigInteger)
    volume: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(32))


# BRIN on PostgreSQL; a plain index on SQLite, where it serves the time-ordered scans (pruning old
# intraday bars) — one model for both, so the migration test can compare them
Index("ix_market_bars_ts", BarRow.ts, postgresql_using="brin")


class WatchedSymbol(Base):
    """A symbol the server keeps priced: someone looked at it, traded it, subscribed to it or an operator
    backfilled it. Watched from its first such request for as long as the server runs (the refresher
    refreshes it, the pull publishes its quotes); never removed, so a family's list never goes stale."""

    __tablename__ = "watched_symbols"
    symbol: Mapped[str] = mapped_column(String(20), primary_key=True)
    since: Mapped[datetime]

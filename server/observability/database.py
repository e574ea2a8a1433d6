"""Database saturation: the connection pool in use against its capacity, and the write lock.

Gauges are per process and summed over live processes (``livesum``) in multiprocess mode; the
write lock's held time is a counter whose rate is the fraction of time a writer held it (for SQLite,
where one writer at a time serves the whole server, that fraction *is* the write saturation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event

from ..db import Database

__all__ = ["POOL_CAPACITY", "POOL_IN_USE", "WRITE_HELD", "WRITE_WAIT", "instrument_database"]

POOL_IN_USE = Gauge(
    "yongdon_db_pool_connections_in_use",
    "Database connections checked out of the pool",
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "yongdon_db_pool_connections_capacity",
    "Connections the pool may hand out (size plus overflow)",
    multiprocess_mode="livesum",
)
WRITE_WAIT = Histogram(
    "yongdon_db_write_lock_wait_seconds",
    "Time a write transaction waited for its lock (SQLite's writer, PostgreSQL's family row)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
WRITE_HELD = Counter(
    "yongdon_db_write_lock_held_seconds",
    "Seconds write transactions held their lock (rate: the fraction of time a writer held it)",
)


def _observe_write(waited: float, held: float) -> None:
    WRITE_WAIT.observe(waited)
    WRITE_HELD.inc(held)


def _checked_out(*_: Any) -> None:
    POOL_IN_USE.inc()


def _checked_in(*_: Any) -> None:
    POOL_IN_USE.dec()


def instrument_database(db: Database) -> Callable[[], None]:
    """Watch ``db``'s pool and write lock; returns the call that stops watching (before disposing)."""
    pool: Any = db.engine.pool
    capacity = pool.size() + max(getattr(pool, "_max_overflow", 0), 0) if hasattr(pool, "size") else 1
    POOL_CAPACITY.inc(capacity)
    event.listen(pool, "checkout", _checked_out)
    event.listen(pool, "checkin", _checked_in)
    db.write_observers.append(_observe_write)

    def stop() -> None:
        POOL_CAPACITY.dec(capacity)
        event.remove(pool, "checkout", _checked_out)
        event.remove(pool, "checkin", _checked_in)
        db.write_observers.remove(_observe_write)

    return stop

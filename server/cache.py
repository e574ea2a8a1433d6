"""A small read cache: in process for one server, in Redis when several processes serve one database.

Entries are bytes under a key the caller scopes (a family's entry names the family). Expiry is judged
on the server's clock (the app's ``clock``, which tests and history replay move), not Redis's: an
entry is served only while ``stored_at <= now < stored_at + ttl``, so a clock moved back does not
stretch an entry's life either. Redis also drops an entry a little after its TTL in real time, to
bound its memory; a miss is always safe (the caller computes the answer again).

A cache never fails a read: a Redis that does not answer is a miss, and a put that fails is dropped.
"""

from __future__ import annotations

import logging
import struct
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Cache", "MemoryCache", "RedisCache", "make_cache"]

log = logging.getLogger(__name__)
_STAMP = struct.Struct(">qq")  # stored_at, expires_at: microseconds since the epoch, server clock


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _seal(value: bytes, now: datetime, ttl: timedelta) -> bytes:
    start = _us(now)
    return _STAMP.pack(start, start + int(ttl.total_seconds() * 1_000_000)) + value


def _open(stored: bytes | None, now: datetime) -> bytes | None:
    if stored is None or len(stored) < _STAMP.size:
        return None
    start, end = _STAMP.unpack_from(stored)
    return stored[_STAMP.size :] if start <= _us(now) < end else None


@runtime_checkable  # Litestar checks a dependency against its annotation
class Cache(Protocol):
    def get(self, key: str, now: datetime) -> bytes | None:
        """The value under ``key`` if it is still fresh at ``now``; else ``None``."""
        ...

    def put(self, key: str, value: bytes, ttl: timedelta, now: datetime) -> None: ...

    def close(self) -> None: ...


class MemoryCache:
    """One process's entries, least recently used dropped past ``max_entries`` (a portfolio keyed by
    its family's change-log head leaves its older keys behind with every commit)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> bytes | None:
        with self._lock:
            stored = self._entries.get(key)
            if stored is not None:
                self._entries.move_to_end(key)
        return _open(stored, now)

    def put(self, key: str, value: bytes, ttl: timedelta, now: datetime) -> None:
        with self._lock:
            self._entries[key] = _seal(value, now, ttl)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def close(self) -> None:
        with self._lock:
            self._entries.clear()


class RedisCache:
    """Entries shared by every process using the same Redis and prefix (``<prefix>:cache:<key>``)."""

    SLACK = timedelta(seconds=5)  # Redis keeps an entry this much past its TTL (real time)

    def __init__(self, url: str, prefix: str = "yongdon") -> None:
        import redis  # only when configured: the embedded server has no Redis

        # short timeouts: a read waits for the cache only as long as recomputing would take
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = f"{prefix}:cache:"
        self._errors = redis.RedisError

    def get(self, key: str, now: datetime) -> bytes | None:
        try:
            stored = self._redis.get(self._prefix + key)
        except self._errors as error:
            log.warning("cache read failed: %s", type(error).__name__)
            return None
        return _open(stored if isinstance(stored, bytes) else None, now)

    def put(self, key: str, value: bytes, ttl: timedelta, now: datetime) -> None:
        try:
            self._redis.set(
                self._prefix + key,
                _seal(value, now, ttl),
                px=int((ttl + self.SLACK) / timedelta(milliseconds=1)),
            )
        except self._errors as error:
            log.warning("cache write failed: %s", type(error).__name__)

    def close(self) -> None:
        self._redis.close()


def make_cache(redis_url: str | None, prefix: str) -> Cache:
    """Redis when the server is configured with one (``YONGDON_REDIS_URL``), else in process."""
    return RedisCache(redis_url, prefix) if redis_url else MemoryCache()

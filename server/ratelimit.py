"""Fixed-window rate limits per caller and per route group, each group with its own counters.

Authenticated calls are counted per *user*, never per IP: a whole family shares one home address.
Anonymous calls (login, join, refresh) are counted per IP for the general group; the login, PIN and
code-redemption groups are counted by their services on the account they target.

Counters live in memory for one process, or in Redis when several processes serve one database.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import anyio.to_thread
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from sync.errors import ProtocolCode

from .errors import ProblemError
from .principal import Principal

__all__ = ["LIMITS", "Limit", "MemoryCounters", "RateLimitMiddleware", "RateLimiter", "RedisCounters"]


@dataclass(frozen=True)
class Limit:
    count: int
    window: int  # seconds


LIMITS: dict[str, tuple[Limit, ...]] = {
    "general": (Limit(100, 60),),
    "trading": (Limit(10, 60),),
    # password login, PIN login, step-up, admin setup: 5 a minute, and tiers that back off — a guesser
    # waits a minute, then ten, then the rest of the hour
    "login": (Limit(5, 60), Limit(10, 600), Limit(20, 3600)),
    "redeem": (Limit(5, 3600),),  # invite and pairing codes: 5 guesses an hour
}
TRADING_PREFIX = "/api/game/trade"


class Counters(Protocol):
    blocking: bool  # True when a hit does network I/O (run it off the event loop)

    def hit(self, key: str, window_index: int, window: int) -> int:
        """Count one hit in the window and return the count so far."""
        ...

    def close(self) -> None: ...


class MemoryCounters:
    """Counters of one process."""

    blocking = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, window_index: int, window: int) -> int:
        with self._lock:
            if len(self._counts) > 50_000:  # forget finished windows so memory stays bounded
                self._counts = {k: v for k, v in self._counts.items() if v[0] >= window_index}
            index, count = self._counts.get(key, (window_index, 0))
            count = count + 1 if index == window_index else 1
            self._counts[key] = (window_index, count)
            return count

    def close(self) -> None:
        self._counts.clear()


class RedisCounters:
    """Counters shared by every process using the same Redis."""

    blocking = True

    def __init__(self, url: str, prefix: str = "yongdon") -> None:
        import redis  # only when configured: the embedded server has no Redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def hit(self, key: str, window_index: int, window: int) -> int:
        name = f"{self._prefix}:rl:{key}:{window_index}"
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window + 5)
            count, _ = pipe.execute()
        return int(count)

    def close(self) -> None:
        self._redis.close()


class RateLimiter:
    """Counts hits per (group, identity) and refuses with 429 ``RATE_LIMITED`` and ``Retry-After``."""

    def __init__(self, counters: Counters, clock: Callable[[], datetime], *, enabled: bool = True) -> None:
        self.counters = counters
        self.clock = clock
        self.enabled = enabled

    def hit(self, group: str, identity: str) -> None:
        if not self.enabled:
            return
        now = self.clock().timestamp()
        retry_after = 0
        for tier, limit in enumerate(LIMITS[group]):
            index = int(now // limit.window)
            key = f"{group}:{identity}" if tier == 0 else f"{group}/{limit.window}:{identity}"
            if self.counters.hit(key, index, limit.window) > limit.count:
                retry_after = max(retry_after, math.ceil((index + 1) * limit.window - now))
        if retry_after:
            raise ProblemError(
                429,
                ProtocolCode.RATE_LIMITED,
                f"too many requests: try again in {retry_after} s",
                extra={"retry_after": retry_after},
                headers={"Retry-After": str(retry_after)},
            )


def identity_of(scope: Scope) -> str:
    user = scope.get("user")
    if isinstance(user, Principal):
        return f"user:{user.user_id}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


class RateLimitMiddleware(ASGIMiddleware):
    """The general and trading groups under ``/api/``, counted after authentication (keyed by user)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        limiter: RateLimiter | None = getattr(scope["app"].state, "limiter", None)
        if limiter is not None and limiter.enabled and scope["path"].startswith("/api/"):
            group = "trading" if scope["path"].startswith(TRADING_PREFIX) else "general"
            await _hit(limiter, group, identity_of(scope))
        await next_app(scope, receive, send)


async def _hit(limiter: RateLimiter, group: str, identity: str) -> None:
    if limiter.counters.blocking:
        await anyio.to_thread.run_sync(limiter.hit, group, identity)
    else:
        limiter.hit(group, identity)

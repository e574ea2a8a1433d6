"""Fixed-window rate limits, each group with its own counters.

Two kinds of budget:

- **Requests** (:meth:`RateLimiter.hit`): every call under ``/api/`` counts in the general group
  (100 a minute) or, for trades, the trading group (10 a minute) — per *user* once signed in (a
  whole family shares one home address), per caller address before (sign-in, join, refresh). The
  address is the peer's, or the one forwarded by a proxy listed in ``YONGDON_TRUSTED_PROXIES``
  (uvicorn decides, see ``server.cli``); a caller cannot pick it with a header.
- **Failures** (:meth:`RateLimiter.attempt`, :meth:`RateLimiter.forgive`): wrong passwords, PINs
  and pairing codes. An attempt is counted *before* it is checked, so parallel guesses cannot
  overtake the count; an attempt the limit refuses, and one that succeeds, is taken back, so only
  failures use a budget. Whose budget a failure uses is the services' decision
  (``server.accounts.throttle``, ``server.accounts.pairing``), never an address.

Counters live in memory for one process, or in Redis when several processes serve one database
(keys under ``YONGDON_REDIS_PREFIX``, so servers sharing a Redis keep apart).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import anyio.to_thread
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from sync.errors import ProtocolCode

from .errors import DomainError
from .principal import Principal

__all__ = [
    "LIMITS",
    "Attempt",
    "Limit",
    "MemoryCounters",
    "RateLimitMiddleware",
    "RateLimiter",
    "RedisCounters",
    "take_back_request",
]


@dataclass(frozen=True)
class Limit:
    count: int
    window: int  # seconds


# a guesser waits a minute, then the rest of ten minutes, then the rest of the hour
_BACKING_OFF = (Limit(5, 60), Limit(10, 600), Limit(20, 3600))
LIMITS: dict[str, tuple[Limit, ...]] = {
    "general": (Limit(100, 60),),
    "trading": (Limit(10, 60),),
    # the operator's one-time setup, per address: its token is unguessable, this only spares Argon2
    "setup": _BACKING_OFF,
    # wrong passwords (sign-in and step-up) and PINs: see server.accounts.throttle
    "password": _BACKING_OFF,
    "pin": _BACKING_OFF,
    # pairing codes (server.accounts.pairing): wrong codes server-wide, refusals of a real code
    "wrong-code": (Limit(1000, 600),),
    "code": (Limit(10, 3600),),
    "family-codes": (Limit(30, 3600),),
    # SMS verification codes per parent (server.notify.phone): each one is a text someone pays for
    "sms-code": (Limit(5, 3600), Limit(10, 86400)),
}
TRADING_PREFIX = "/api/game/trade"


@dataclass(frozen=True)
class Window:
    """One counter: a key in one fixed window (``index`` = start time // ``seconds``) that allows
    ``allowed`` hits."""

    key: str
    index: int
    seconds: int
    allowed: int


class Counters(Protocol):
    blocking: bool  # True when counting does network I/O (run it off the event loop)

    def count(self, windows: Sequence[Window]) -> list[int]:
        """Count one hit in each window and return each count so far."""
        ...

    def uncount(self, windows: Sequence[Window]) -> None:
        """Take back one hit counted in each window."""
        ...

    def close(self) -> None: ...


class MemoryCounters:
    """Counters of one process."""

    blocking = False
    _TIDY_AT = 50_000  # entries; then finished windows are forgotten, so memory stays bounded

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window index, count)
        self._ends: dict[str, int] = {}  # key -> when its window ends (s)
        self._tidy_at = self._TIDY_AT

    def count(self, windows: Sequence[Window]) -> list[int]:
        with self._lock:
            if len(self._counts) > self._tidy_at:
                self._forget_finished(max(window.index * window.seconds for window in windows))
            counts = []
            for window in windows:
                index, count = self._counts.get(window.key, (window.index, 0))
                count = count + 1 if index == window.index else 1
                self._counts[window.key] = (window.index, count)
                self._ends[window.key] = (window.index + 1) * window.seconds
                counts.append(count)
            return counts

    def _forget_finished(self, now: int) -> None:
        # by end time: window indexes of different lengths (a minute, an hour) do not compare
        live = {key for key, end in self._ends.items() if end > now}
        self._counts = {key: value for key, value in self._counts.items() if key in live}
        self._ends = {key: self._ends[key] for key in live}
        # live windows may be many: tidy again only once they have doubled, not on every hit
        self._tidy_at = max(self._TIDY_AT, 2 * len(self._counts))

    def uncount(self, windows: Sequence[Window]) -> None:
        with self._lock:
            for window in windows:
                index, count = self._counts.get(window.key, (window.index, 0))
                if index == window.index and count > 0:  # a later window starts from zero anyway
                    self._counts[window.key] = (index, count - 1)

    def close(self) -> None:
        self._counts.clear()
        self._ends.clear()


class RedisCounters:
    """Counters shared by every process using the same Redis and prefix."""

    blocking = True

    def __init__(self, url: str, prefix: str = "yongdon") -> None:
        import redis  # only when configured: the embedded server has no Redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def _name(self, window: Window) -> str:
        return f"{self._prefix}:rl:{window.key}:{window.index}"

    def count(self, windows: Sequence[Window]) -> list[int]:
        with self._redis.pipeline(transaction=True) as pipe:
            for window in windows:
                pipe.incr(self._name(window))
                pipe.expire(self._name(window), window.seconds + 5)
            results = pipe.execute()
        return [int(count) for count in results[::2]]

    def uncount(self, windows: Sequence[Window]) -> None:
        with self._redis.pipeline(transaction=True) as pipe:
            for window in windows:
                pipe.decr(self._name(window))
                # the window may have expired meanwhile: the key must not outlive it again
                pipe.expire(self._name(window), window.seconds + 5)
            pipe.execute()

    def close(self) -> None:
        self._redis.close()


@dataclass(frozen=True)
class Attempt:
    """What :meth:`RateLimiter.attempt` counted, to take back with :meth:`RateLimiter.forgive`."""

    windows: tuple[Window, ...] = ()


class RateLimiter:
    """Counts per (group, identity) and refuses with 429 ``RATE_LIMITED`` and ``Retry-After``."""

    def __init__(self, counters: Counters, clock: Callable[[], datetime], *, enabled: bool = True) -> None:
        self.counters = counters
        self.clock = clock
        self.enabled = enabled

    def hit(self, group: str, identity: str) -> Attempt:
        """Count a request; 429 once the group's budget for ``identity`` is spent (refusals count too).

        Returns what it counted, for :meth:`forgive` should the caller turn out not to be ``identity``
        after all (:func:`take_back_request`)."""
        if not self.enabled:
            return Attempt()
        now = self.clock().timestamp()
        windows = self._windows(((group, identity),), now)
        self._refuse_if_over(windows, self.counters.count(windows), now, "too many requests")
        return Attempt(tuple(windows))

    def attempt(self, *budgets: tuple[str, str], why: str = "too many failed attempts") -> Attempt:
        """Count one attempt against each ``(group, identity)`` budget; 429 when one is spent.

        A refused attempt is taken back at once: it was never tried, so it is no failure. The
        caller takes back one that succeeds with :meth:`forgive`.
        """
        if not self.enabled:
            return Attempt()
        now = self.clock().timestamp()
        windows = self._windows(budgets, now)
        counts = self.counters.count(windows)
        try:
            self._refuse_if_over(windows, counts, now, why)
        except DomainError:
            self.counters.uncount(windows)
            raise
        return Attempt(tuple(windows))

    def forgive(self, attempt: Attempt) -> None:
        """Take back an attempt that succeeded: only failures use a budget."""
        if attempt.windows:
            self.counters.uncount(attempt.windows)

    @staticmethod
    def _windows(budgets: Sequence[tuple[str, str]], now: float) -> list[Window]:
        windows = []
        for group, identity in budgets:
            for tier, limit in enumerate(LIMITS[group]):
                key = f"{group}:{identity}" if tier == 0 else f"{group}/{limit.window}:{identity}"
                windows.append(Window(key, int(now // limit.window), limit.window, limit.count))
        return windows

    @staticmethod
    def _refuse_if_over(windows: Sequence[Window], counts: Sequence[int], now: float, why: str) -> None:
        retry_after = 0
        for window, count in zip(windows, counts, strict=True):
            if count > window.allowed:
                retry_after = max(retry_after, math.ceil((window.index + 1) * window.seconds - now))
        if retry_after:
            raise DomainError(
                ProtocolCode.RATE_LIMITED,
                f"{why}: try again in {retry_after} s",
                extra={"retry_after": retry_after},
                retry_after=retry_after,
            )


def identity_of(scope: Scope) -> str:
    user = scope.get("user")
    if isinstance(user, Principal):
        return f"user:{user.user_id}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


# the scope key of what a request counted, while its caller's standing is not yet confirmed
_COUNTED = "yongdon_counted_request"


class RateLimitMiddleware(ASGIMiddleware):
    """The general and trading groups under ``/api/``, counted after authentication (keyed by user)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        limiter: RateLimiter | None = getattr(scope["app"].state, "limiter", None)
        if limiter is not None and limiter.enabled and scope["path"].startswith("/api/"):
            group = "trading" if scope["path"].startswith(TRADING_PREFIX) else "general"
            scope[_COUNTED] = await _hit(limiter, group, identity_of(scope))  # type: ignore[literal-required]
        await next_app(scope, receive, send)


async def _hit(limiter: RateLimiter, group: str, identity: str) -> Attempt:
    if limiter.counters.blocking:
        return await anyio.to_thread.run_sync(limiter.hit, group, identity)
    return limiter.hit(group, identity)


def take_back_request(scope: Any) -> None:
    """Take back the request counted against the user its token names, once that token is found no
    longer standing (a revoked device, a signed-out session; ``server.auth.middleware``, whose busiest
    routes confirm it only in the handler, after the count). Without it a revoked device, still
    sending until its token expires, would spend its user's budget and hold back the user's other
    devices. Blocking (Redis): call it from a worker thread."""
    attempt: Attempt | None = scope.pop(_COUNTED, None)
    limiter: RateLimiter | None = getattr(scope["app"].state, "limiter", None)
    if attempt is not None and limiter is not None:
        limiter.forgive(attempt)

"""Load shedding: past a bounded number of requests in flight, answer 503 at once instead of queueing.

Without a bound, an evening when every device of a big family syncs at once (or a caller who floods
the server) lines requests up behind the database's write lock until each waits a minute: every
caller times out, retries, and the queue grows. With it, the requests beyond ``max_in_flight`` in
this process get ``503 UNAVAILABLE`` with ``Retry-After`` in microseconds of work; the app's sync
engine waits at least that long (and backs off with jitter), so the server keeps answering the
requests it took at the speed it can.

The count is per process (one event loop: no lock needed). Probes (``/health``, ``/ready``) and
``/metrics`` are never shed, so an operator sees the overload instead of a dead server; WebSockets
are long-lived and bounded by the live channel's own limits.
"""

from __future__ import annotations

import json
import time
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from sync.errors import ProtocolCode

__all__ = ["QUIET_S", "RETRY_AFTER_S", "Gate"]

RETRY_AFTER_S = 1
QUIET_S = 1.0
"""Seconds without a request after which the process counts as quiet (:meth:`Gate.busy`): a device
that is syncing sends its requests well within a second of each other."""
_NEVER_SHED = frozenset({"/health", "/ready", "/metrics"})
_BODY = json.dumps(
    {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "code": ProtocolCode.UNAVAILABLE.value,
        "detail": "the server is busy: try again shortly",
    }
).encode()


class Gate:
    """The process's count of requests in flight, shared by every route's middleware stack.

    Litestar builds a middleware stack per route, so the count lives here and :meth:`middleware`
    hands each stack a wrapper that reports to it.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.shed = 0  # refused since start (a figure for the operator)
        self.last_seen = time.monotonic()  # when a request last began or ended

    def busy(self) -> bool:
        """Whether requests are being served, or were within :data:`QUIET_S`: background work (the
        notification dispatcher) rests only then. Read from other threads: an int and a float, each
        read whole."""
        return self.in_flight > 0 or time.monotonic() - self.last_seen < QUIET_S

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def gated(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"] in _NEVER_SHED:
                await app(scope, receive, send)
                return
            if self.in_flight >= self.limit:
                self.shed += 1
                await _refuse(send)
                return
            self.in_flight += 1
            self.last_seen = time.monotonic()
            try:
                await app(scope, receive, send)
            finally:
                self.in_flight -= 1
                self.last_seen = time.monotonic()

        return gated


async def _refuse(send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(_BODY)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode()),
    ]
    start: Any = {"type": "http.response.start", "status": 503, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": _BODY})

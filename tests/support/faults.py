"""A fault-injecting httpx transport: the network between a device and the server, misbehaving.

Each request meets one fault, chosen by the test (``next_faults``) or at random from a seeded
``random.Random`` (``chaos``): the request is lost, the response is lost after the server committed,
the request is delivered twice, it is held back and delivered later (reordering), or the server
answers 503. A lost response looks to the device exactly like a timeout.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable

import httpx

__all__ = ["FAULTS", "FaultTransport"]

FAULTS = ("ok", "drop_request", "drop_response", "duplicate", "hold", "error_5xx")


class FaultTransport(httpx.BaseTransport):
    def __init__(
        self, inner: httpx.BaseTransport, *, rng: random.Random | None = None, chaos: float = 0.0
    ) -> None:
        self.inner = inner
        self.rng = rng or random.Random(0)  # noqa: S311 - a test's seeded chaos, not a secret
        self.chaos = chaos
        self.healthy = not chaos
        self.next_faults: deque[str] = deque()
        self.held: list[httpx.Request] = []
        self.log: list[tuple[str, str]] = []

    def plan(self, faults: Iterable[str]) -> None:
        self.next_faults.extend(faults)

    def heal(self) -> None:
        self.chaos, self.healthy = 0.0, True
        self.next_faults.clear()

    def _fault(self) -> str:
        if self.next_faults:
            return self.next_faults.popleft()
        if not self.healthy and self.rng.random() < self.chaos:
            return self.rng.choice(FAULTS[1:])
        return "ok"

    def _forward(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        return response

    def release_held(self) -> None:
        """Deliver the held-back requests now (their answers are lost, as a late packet's would be)."""
        held, self.held = self.held, []
        for request in held:
            self._forward(request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        fault = self._fault()
        self.log.append((fault, request.url.path))
        if fault == "drop_request":
            raise httpx.ConnectError("injected: request lost", request=request)
        if fault == "error_5xx":
            return httpx.Response(
                503, headers={"Retry-After": "1"}, json={"code": "UNAVAILABLE"}, request=request
            )
        if fault == "hold":
            self.held.append(request)
            raise httpx.ReadTimeout("injected: request held back", request=request)
        if fault == "duplicate":
            self._forward(request)
            return self._forward(request)
        response = self._forward(request)
        if fault == "drop_response":
            raise httpx.ReadTimeout("injected: response lost after the server answered", request=request)
        return response

"""Overload: a server past its bound refuses at once with 503 and ``Retry-After``, and recovers.

A real ``yongdon server`` process over a real socket, told to work on two requests at a time; forty
sign-ins arrive together (each is one Argon2 verify, tens of milliseconds of work). The two it took are
answered as usual; the others are refused in no time with the stable code and ``Retry-After`` instead
of queueing behind them, the probes still answer, and afterwards the server serves everyone again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import yongdon_server

LOGIN = {"email": "nobody@example.com", "password": "not the password!", "client_id": "c-overload-probe"}


@pytest.fixture
def busy_server(tmp_path: Path) -> Iterator[str]:
    # two at a time; the sign-in limit off: this is about overload, not the login limit
    with yongdon_server(
        tmp_path / "d", tmp_path / "server.log", YONGDON_MAX_IN_FLIGHT="2", YONGDON_RATE_LIMITS="0"
    ) as url:
        yield url


async def _burst(url: str, n: int) -> tuple[list[httpx.Response], httpx.Response]:
    limits = httpx.Limits(max_connections=n + 1)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        logins = [http.post("/api/users/login", json=LOGIN) for _ in range(n)]
        answers = await asyncio.gather(*logins, http.get("/ready"))
        return list(answers[:-1]), answers[-1]


def test_past_its_bound_the_server_refuses_at_once_and_then_recovers(busy_server: str) -> None:
    answers, ready = asyncio.run(_burst(busy_server, 40))

    statuses = sorted(r.status_code for r in answers)
    assert set(statuses) <= {401, 503}, statuses
    refused = [r for r in answers if r.status_code == 503]
    served = [r for r in answers if r.status_code == 401]
    assert refused, "forty sign-ins at a bound of two: some must be refused"
    assert served, "the requests the server took are answered as usual"
    for r in refused:
        assert r.headers["retry-after"] == "1"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "UNAVAILABLE"
    assert ready.status_code == 200, "probes are never shed: the operator sees a busy server, not a dead one"

    # the burst is over: everyone is served again
    after = httpx.post(f"{busy_server}/api/users/login", json=LOGIN, timeout=30)
    assert after.status_code == 401 and after.json()["code"] == "UNAUTHENTICATED"

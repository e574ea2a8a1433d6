"""The portfolio cache across two real server processes sharing PostgreSQL and Redis: one process's
cached entry serves the other, and a commit on either makes both compute it again."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.live import LiveServer, Seeded, seed_family

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


def _portfolio(server: LiveServer, seeded: Seeded, who: str) -> dict[str, Any]:
    url = f"{server.url}/api/game/portfolio/{seeded.users['kid0']}"
    answer = httpx.get(url, headers=seeded.headers(who), timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _grant(server: LiveServer, seeded: Seeded, amount: int) -> None:
    body = {"child_id": seeded.users["kid0"], "amount": amount, "reason": "용돈"}
    answer = httpx.post(
        f"{server.url}/api/family/grants", json=body, headers=seeded.headers("mom"), timeout=10
    )
    assert answer.status_code == 201, answer.text


def test_two_processes_share_the_entry_and_see_each_others_commits(
    servers: tuple[LiveServer, LiveServer],
) -> None:
    one, two = servers
    seeded = seed_family(one.settings(), children=1)
    first = _portfolio(one, seeded, "kid0")
    # valued once, by process one: process two serves the same valuation (its as_of, to the microsecond)
    assert _portfolio(two, seeded, "mom") == first

    _grant(two, seeded, 7_000)  # committed by process two
    after = _portfolio(one, seeded, "kid0")
    assert after["cash"] == first["cash"] + 7_000 and after["as_of"] != first["as_of"]
    assert _portfolio(two, seeded, "kid0") == after

    _grant(one, seeded, 1_000)  # and the other way round
    assert _portfolio(two, seeded, "mom")["cash"] == after["cash"] + 1_000

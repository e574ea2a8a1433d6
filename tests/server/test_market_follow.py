"""A running server follows the operator's market switch (issue 13): ``yongdon market use`` writes the
stored setting from another process, and the server's refresher picks it up at its next pass — the
prices, the status and every request move to the new replay without a restart."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from server.market.admin import choose_mode
from server.market.refresher import attach_refresher
from tests.conftest import MovableClock
from tests.helpers import Family

FAST = 5_760.0  # a replay day every 15 s, what an operator compressing a month uses


def source_of(client: TestClient[Any], headers: dict[str, str], symbol: str) -> str:
    answer = client.get(f"/api/market/stocks/{symbol}/price", headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["source"])


def until(check: Any, seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (answer := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.05)
    return answer


def test_the_refresher_follows_a_switch_made_while_the_server_runs(
    app: Litestar, clock: MovableClock
) -> None:
    choose_mode(app.state.db, clock(), "replay", date(2012, 1, 3), 1.0)
    refresher = attach_refresher(app)
    refresher.interval = 0.05
    with TestClient(app) as client:
        kid = Family.create(client, ("지우",)).child("지우").headers
        assert source_of(client, kid, "MSFT") == "replay:2012-01-03"
        built = app.state.market_chain
        time.sleep(0.3)  # several passes over an unchanged setting keep the chain (a live one's backoff)
        assert app.state.market_chain is built

        # the operator's CLI, in its own process, writes only the stored setting
        choose_mode(app.state.db, clock(), "replay", date(2009, 5, 19), FAST)
        until(lambda: source_of(client, kid, "MSFT") == "replay:2009-05-19")
        status = client.get("/api/market/status", headers=kid).json()["provider"]
        assert status["detail"]["replay_date"] == "2009-05-19"

        clock.advance(seconds=15)  # one replay day at the new speed
        until(lambda: source_of(client, kid, "MSFT") == "replay:2009-05-20")

"""The child's performance answers with the market beside it: KOSPI for Korean holdings, the S&P 500
for US ones, from Yahoo when live and the bundled real history in replay, and "missing", never a
simulated index, when nobody has the figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.market.providers import save_config
from server.market.providers.replay import ReplayClock, bundled_history
from tests.conftest import MovableClock
from tests.helpers import Family, Member
from tests.support.market import ScriptedMarket

SAMSUNG, APPLE, KOSPI, SP500 = "005930.KS", "AAPL", "^KS11", "^GSPC"
TUESDAY = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 10:00 in Seoul: KRX is open


def renew(client: TestClient[Litestar], kid: Member) -> None:
    """The app renews its access token after hours and days, as the child's device does."""
    renewed = client.post("/api/auth/refresh", json={"refresh_token": kid.refresh})
    assert renewed.status_code == 200, renewed.text
    kid.tokens = dict(renewed.json())


def performance(client: TestClient[Litestar], kid: Member) -> dict[str, Any]:
    """The child's whole history as the app loads it."""
    renew(client, kid)
    response = client.get(
        f"/api/game/performance/{kid.user_id}", params={"range": "ALL"}, headers=kid.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def buy(client: TestClient[Litestar], kid: Member, symbol: str, amount: int) -> None:
    renew(client, kid)
    body = {"symbol": symbol, "amount": amount}
    response = client.post("/api/game/trade/buy", json=body, headers=kid.headers)
    assert response.status_code == 200 and response.json()["trade"]["status"] == "filled", response.text


@pytest.fixture
def live(client: TestClient[Litestar], app: Litestar, clock: MovableClock) -> tuple[Member, ScriptedMarket]:
    clock.now = TUESDAY
    kid = Family.create(client, ("지우",)).child("지우")
    market = ScriptedMarket(clock).attach(app)
    market.trades(SAMSUNG, 70_000)
    clock.now += timedelta(minutes=1)
    buy(client, kid, SAMSUNG, 500_000)
    clock.now = TUESDAY + timedelta(days=2)  # Thursday
    market.trades(SAMSUNG, 77_000)
    return kid, market


def test_a_child_holding_a_korean_stock_is_compared_with_kospi_from_yahoo(
    client: TestClient[Litestar], live: tuple[Member, ScriptedMarket]
) -> None:
    kid, market = live
    market.yahoo.closed_at(
        KOSPI,
        {
            date(2026, 11, 24): 2_500_000_000,
            date(2026, 11, 25): 2_550_000_000,
            date(2026, 11, 26): 2_600_000_000,
        },
    )
    answer = performance(client, kid)
    values = [p["value"] for p in answer["series"]]
    line = [p["value"] for p in answer["benchmark"]]
    assert answer["benchmark_indices"] == [KOSPI] and answer["benchmark_missing"] == []
    assert len(line) == len(values) and line[0] == values[0]
    assert answer["benchmark_pct"] == 4.0  # 2,500 → 2,600 points
    assert line[-1] == round(values[0] * 1.04)  # no money came in after the start
    assert answer["beat_pct"] == round(answer["twr_pct"] - 4.0, 2) and answer["beat_pct"] > 0
    assert answer["benchmark_source"] == "yahoo"


def test_kospi_nobody_has_is_reported_missing_not_simulated(
    client: TestClient[Litestar], live: tuple[Member, ScriptedMarket]
) -> None:
    kid, market = live
    market.yahoo.down = True  # and no package ships KOSPI: the simulation must not stand in
    answer = performance(client, kid)
    assert answer["benchmark"] == [] and answer["benchmark_pct"] is None and answer["beat_pct"] is None
    assert answer["benchmark_indices"] == [KOSPI] and answer["benchmark_missing"] == [KOSPI]
    assert len(answer["series"]) >= 3  # the child's own line is still there


def test_kospi_yahoo_gave_once_is_kept_for_when_yahoo_is_down(
    client: TestClient[Litestar], live: tuple[Member, ScriptedMarket]
) -> None:
    kid, market = live
    market.yahoo.closed_at(KOSPI, {date(2026, 11, 24): 2_500_000_000, date(2026, 11, 26): 2_450_000_000})
    first = performance(client, kid)
    market.yahoo.down = True
    again = performance(client, kid)
    assert again["benchmark_pct"] == first["benchmark_pct"] == -2.0
    assert again["benchmark_source"] == "yahoo"  # the bars Yahoo gave, as this server stored them


def test_in_replay_a_us_holding_is_compared_with_the_bundled_s_and_p_500(
    client: TestClient[Litestar], app: Litestar, clock: MovableClock
) -> None:
    # the family replays 2012 one day per real day, starting on Tuesday 2012-01-03 at TUESDAY
    clock.now = TUESDAY
    save_config(app.state.db, _replay(ReplayClock(date(2012, 1, 3), TUESDAY, 1.0)))
    kid = Family.create(client, ("지우",)).child("지우")
    clock.now = TUESDAY + timedelta(hours=14, minutes=31)  # 09:31 in New York, the replay at 2012-01-03
    buy(client, kid, APPLE, 300_000)
    clock.now = TUESDAY + timedelta(
        days=6, hours=15
    )  # the replay at 2012-01-09 (inside the week a sign-in lasts)
    answer = performance(client, kid)
    store = bundled_history()
    start, end = store.bar_on(SP500, date(2012, 1, 3)), store.bar_on(SP500, date(2012, 1, 9))
    assert start is not None and end is not None
    expected = round((end[1].close / start[1].close - 1) * 100, 2)
    assert answer["benchmark_indices"] == [SP500] and answer["benchmark_source"] == "replay"
    assert answer["benchmark_pct"] == expected != 0
    assert answer["benchmark"][0]["value"] == answer["series"][0]["value"]


def _replay(clock: ReplayClock) -> Any:
    from server.market.providers import MarketConfig

    return MarketConfig("replay", clock)

"""USD/KRW: rounding to micro-won, the bundled ECB fallback with its real date, the provider first,
and the two market routes (rate, status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.db import Database
from server.market.fx import ECB_SOURCE, ecb_usdkrw, micro_won, refresh_fx
from server.market.providers.base import Health
from server.market.quotes import FX_SYMBOL
from server.market.source import StaticQuoteSource
from tests.conftest import MovableClock
from tests.helpers import Family
from tests.support.market import ScriptedMarket

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # Tuesday, 14:00 in Seoul


def test_micro_won_rounds_to_the_nearest_half_to_even() -> None:
    assert micro_won(1385.23) == 1_385_230_000  # a provider's float, read as the decimal it prints
    assert micro_won(Decimal("1335.266738274257")) == 1_335_266_738
    assert micro_won(Decimal("1400.0000005")) == 1_400_000_000  # half: to even
    assert micro_won(Decimal("1400.0000015")) == 1_400_000_002
    assert micro_won("1400.0000006") == 1_400_000_001
    for bad in (0, -1.5, float("nan"), "inf"):
        with pytest.raises(ValueError, match="exchange rate"):
            micro_won(bad)  # type: ignore[arg-type]


def test_ecb_rate_is_the_cross_rate_of_the_last_fixing_with_its_date() -> None:
    friday = ecb_usdkrw(date(2026, 10, 30))
    assert friday is not None
    assert friday.day == date(2026, 10, 30)
    assert friday.rate == 1_335_266_738  # KRW 1491.76 per EUR ÷ USD 1.1172 per EUR
    assert friday.as_of == datetime(2026, 10, 30, 13, 15, tzinfo=UTC)  # 14:15 in Frankfurt
    # a weekend has no fixing: the rate is Friday's, labelled Friday (never interpolated)
    assert ecb_usdkrw(date(2026, 11, 1)) == friday
    # past the end of the bundled data: the last rate, still labelled with its own date
    assert ecb_usdkrw(date(2026, 11, 24)) == friday
    older = ecb_usdkrw(date(2008, 9, 15))
    assert older is not None and older.day == date(2008, 9, 15)
    assert 1_000_000_000 < older.rate < 1_300_000_000
    assert ecb_usdkrw(date(1998, 12, 31)) is None  # before the euro


@pytest.fixture
def db(app: Litestar) -> Database:
    return app.state.db  # type: ignore[no-any-return]


def test_offline_the_bundled_ecb_rate_is_recorded_once(db: Database) -> None:
    first = refresh_fx(db, NOW)
    assert first is not None
    assert (first.symbol, first.price, first.source, first.currency) == (
        FX_SYMBOL,
        1_335_266_738,
        ECB_SOURCE,
        "KRW",
    )
    again = refresh_fx(db, NOW + timedelta(minutes=15))
    assert again is not None and again.quote_id == first.quote_id  # nothing newer: no new row


class _FailingProvider:
    name = "yahoo"

    def fx(self, pair: str, now: datetime) -> Any:
        raise ConnectionError("Too Many Requests")


def test_the_provider_wins_and_its_rate_outlives_an_outage(db: Database) -> None:
    provider = StaticQuoteSource({FX_SYMBOL: 1_472_350_000}, name="yahoo")
    live = refresh_fx(db, NOW, provider)
    assert live is not None and (live.price, live.source) == (1_472_350_000, "yahoo")
    # the provider fails later: yesterday's provider rate is newer than the ECB's of October
    kept = refresh_fx(db, NOW + timedelta(days=1), _FailingProvider())
    assert kept is not None and kept.quote_id == live.quote_id


def test_fx_route_labels_source_and_date(client: TestClient[Litestar], clock: MovableClock) -> None:
    clock.now = NOW
    kid = Family.create(client, ("지우",)).child("지우")
    assert client.get("/api/market/fx/USDKRW").status_code == 401
    response = client.get("/api/market/fx/USDKRW", headers=kid.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pair"] == "USDKRW"
    assert body["rate"] == 1_335_266_738
    assert body["rate_text"] == "1,335.26"
    assert (body["source"], body["date"]) == ("ecb", "2026-10-30")
    # the same quote (one row), so a fill can cite it
    assert client.get("/api/market/fx/USDKRW", headers=kid.headers).json()["quote_id"] == body["quote_id"]


class _RateLimited:
    """A provider that reports itself unhealthy, as the Yahoo adapter does after a 429."""

    name = "yahoo"

    def health(self, now: datetime) -> Health:
        return Health(
            healthy=False, last_error="Too Many Requests", retry_at=now + timedelta(minutes=5), failures=3
        )


def test_status_route_on_thanksgiving(
    client: TestClient[Litestar], app: Litestar, clock: MovableClock
) -> None:
    clock.now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday: 12:00 in Seoul, Thanksgiving in NY
    ScriptedMarket(lambda: clock.now).attach(app)  # a live server: today's calendars
    app.state.market_provider = _RateLimited()
    kid = Family.create(client, ("지우",)).child("지우")
    response = client.get("/api/market/status", headers=kid.headers)
    assert response.status_code == 200, response.text
    markets = {m["market"]: m for m in response.json()["markets"]}
    assert markets["KRX"]["open"] is True
    assert markets["KRX"]["session"] == {
        "open": "2026-11-26T09:00:00+09:00",
        "close": "2026-11-26T15:30:00+09:00",
    }
    assert markets["KRX"]["next_close"] == "2026-11-26T15:30:00+09:00"
    assert markets["KRX"]["next_open"] == "2026-11-27T09:00:00+09:00"
    assert markets["US"]["open"] is False and markets["US"]["session"] is None
    assert markets["US"]["timezone"] == "America/New_York"
    assert markets["US"]["next_open"] == "2026-11-27T09:30:00-05:00"  # Friday's half day
    assert markets["US"]["next_close"] == "2026-11-27T13:00:00-05:00"
    assert response.json()["provider"] == {
        "name": "yahoo",
        "healthy": False,
        "last_error": "Too Many Requests",
        "retry_at": "2026-11-26T03:05:00Z",  # RFC 3339 in UTC, as every typed timestamp
        "failures": 3,
        "detail": {},
    }


@dataclass(frozen=True)
class _Quote:  # shaped like providers.base.ProviderQuote
    symbol: str
    price: int
    as_of: datetime
    source: str


class _Echo:
    """A provider that answers with what is already stored (the ``snapshot`` provider does)."""

    name = "snapshot"

    def __init__(self, quote: Any) -> None:
        self.quote = quote

    def fx(self, pair: str, now: datetime) -> Any:
        return _Quote(FX_SYMBOL, self.quote.price, self.quote.as_of, "snapshot")


def test_an_echoed_rate_keeps_its_own_label(db: Database) -> None:
    ecb = refresh_fx(db, NOW)
    assert ecb is not None
    echoed = refresh_fx(db, NOW + timedelta(minutes=15), _Echo(ecb))
    assert echoed is not None and (echoed.quote_id, echoed.source) == (ecb.quote_id, "ecb")


def test_a_history_replay_converts_at_the_replayed_days_rate(db: Database) -> None:
    """A replayed 2011 price converts at 2011's rate, also on a day the bundled ECB file covers (its
    fixing of that day, later than the morning, once won over the replayed rate)."""
    from server.market.providers import ProviderChain, ReplayClock
    from server.market.providers.replay import ReplayProvider

    morning = datetime(2026, 10, 20, 0, 5, tzinfo=UTC)  # 09:05 in Seoul, before the ECB's fixing
    replay = ReplayProvider(ReplayClock(date(2011, 11, 22), morning))
    rate = refresh_fx(db, morning, ProviderChain([replay]))
    replayed = ecb_usdkrw(date(2011, 11, 22))
    assert replayed is not None and rate is not None
    assert (rate.price, rate.source) == (replayed.rate, "replay:2011-11-22")

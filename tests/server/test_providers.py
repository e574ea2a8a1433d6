"""The provider chain and the offline providers, on the real database and the bundled history.

What a family notices: with Yahoo unreachable prices still come — from what the server stored, else
from real history (labelled with its real date), else simulated (labelled ``sim``); the replay moves
one real session per day; a simulated price is the same after a restart; a company that was not
listed yet on the replay date has no price at all rather than a made-up one.
"""

from __future__ import annotations

import csv
import gzip
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from litestar import Litestar
from litestar.testing import TestClient
from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response

from server.db import Database
from server.market.admin import choose_mode
from server.market.clock import FixedMarketClock
from server.market.fx import ecb_usdkrw, refresh_fx
from server.market.pricer import Pricer
from server.market.providers import ProviderChain, ReplayClock, build_chain, load_config
from server.market.providers.base import Bar, Health, ProviderQuote
from server.market.providers.replay import HISTORY_DIR, ReplayProvider, bundled_history
from server.market.providers.sim import SimProvider, krx_tick
from server.market.providers.snapshot import SnapshotProvider
from server.market.providers.yahoo import YahooProvider
from server.market.quotes import latest_quotes
from server.market.refresher import Refresher, attach_refresher, record_quotes
from server.market.source import DEMO_PRICES
from sync.rules import Market
from tests.conftest import MovableClock
from tests.helpers import Family

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def bundled_close(symbol: str, day: str) -> int:
    """Read the asset file directly, independent of the provider's own parsing."""
    with gzip.open(HISTORY_DIR / f"{symbol}.csv.gz", "rt") as handle:
        return next(int(row["close"]) for row in csv.DictReader(handle) if row["date"] == day)


class NetworkDown(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        self.requests += 1
        raise requests.ConnectionError("Failed to resolve 'query2.finance.yahoo.com'")

    def close(self) -> None:
        pass


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def down_yahoo(tmp_path: Path) -> Iterator[tuple[YahooProvider, NetworkDown]]:
    adapter, session = NetworkDown(), requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    yield YahooProvider(tmp_path / "yfinance", session=session), adapter
    session.close()


def replay_at(day: date, speed: float = 1.0) -> ReplayProvider:
    return ReplayProvider(ReplayClock(day, NOW, speed))


class Live:
    """A provider shaped like :class:`YahooProvider` (same name and methods) that answers ``prices``
    and records what it was asked: for what the server does around Yahoo, not Yahoo's own parsing
    (that is test_providers_yahoo.py, at the HTTP boundary)."""

    name = "yahoo"

    def __init__(self, prices: dict[str, int] | None = None, bars: int = 0) -> None:
        self.prices, self.bars = dict(prices or {}), bars
        self.asked: list[list[str]] = []
        self.charted: list[str] = []

    def today(self, now: datetime) -> date:
        return now.date()

    def quotes(self, symbols: list[str], now: datetime) -> dict[str, ProviderQuote]:
        self.asked.append(sorted(symbols))
        return {s: ProviderQuote(s, self.prices[s], now, self.name) for s in symbols if s in self.prices}

    def history(self, symbol: str, start: date, end: date, interval: str = "1d") -> list[Bar]:
        self.charted.append(symbol)
        days = [end - timedelta(days=n) for n in range(self.bars)][::-1]
        return [
            Bar(ts=datetime(d.year, d.month, d.day, tzinfo=UTC), close=50_000, source="yahoo") for d in days
        ]

    def actions(self, symbol: str) -> list[Any]:
        return []

    def fx(self, pair: str, now: datetime) -> ProviderQuote | None:
        return None

    def health(self, now: datetime) -> Health:
        return Health()


def test_yahoo_down_falls_back_to_snapshot_then_replay_then_sim(
    db: Database, down_yahoo: tuple[YahooProvider, NetworkDown]
) -> None:
    yahoo, network = down_yahoo
    # the server was online yesterday and stored Samsung's price
    record_quotes(db, ProviderChain([Live({"005930.KS": 71_500})]), ["005930.KS"], NOW - timedelta(days=1))
    replay = replay_at(date(2008, 3, 14))
    chain = ProviderChain(
        [yahoo, SnapshotProvider(db), replay, SimProvider(DEMO_PRICES, skip=bundled_history().has)]
    )
    quotes = chain.quotes(["005930.KS", "AAPL", "035720.KS", "META"], NOW)

    assert network.requests > 0 and not yahoo.health(NOW).healthy
    assert (quotes["005930.KS"].price, quotes["005930.KS"].source) == (71_500, "snapshot")
    assert quotes["005930.KS"].as_of == NOW - timedelta(days=1)  # stored, not pretended live
    assert quotes["AAPL"].source == "replay:2008-03-14"
    assert quotes["AAPL"].price == bundled_close("AAPL", "2008-03-14")
    assert quotes["035720.KS"].source == "sim" and quotes["035720.KS"].currency == "KRW"
    assert "META" not in quotes  # listed in 2012: in 2008 it has no price, not a simulated one

    # the next ask does not wait on the network again: yahoo backs off and refuses at once
    asked = network.requests
    assert chain.quotes(["AAPL"], NOW + timedelta(seconds=5))["AAPL"].source == "replay:2008-03-14"
    assert network.requests == asked


def test_chain_health_reports_the_first_provider_and_every_other(
    down_yahoo: tuple[YahooProvider, NetworkDown], db: Database
) -> None:
    yahoo, _ = down_yahoo
    chain = ProviderChain([yahoo, SnapshotProvider(db), replay_at(date(2008, 3, 14))])
    chain.quotes(["AAPL"], NOW)
    health = chain.health(NOW)
    assert not health.healthy and health.last_error == "ConnectionError"
    assert health.detail == {
        "yahoo": "failing: ConnectionError",
        "snapshot": "ok",
        "replay": "ok",
        "replay_date": "2008-03-14",
    }


def test_replay_moves_one_day_per_day_and_keeps_friday_over_the_weekend() -> None:
    replay = replay_at(date(2008, 3, 13))  # a Thursday
    assert replay.quotes(["AAPL"], NOW)["AAPL"].source == "replay:2008-03-13"
    friday = replay.quotes(["AAPL"], NOW + timedelta(days=1, hours=2))["AAPL"]
    saturday = replay.quotes(["AAPL"], NOW + timedelta(days=2))["AAPL"]
    monday = replay.quotes(["AAPL"], NOW + timedelta(days=4))["AAPL"]
    assert friday.source == saturday.source == "replay:2008-03-14" and friday.price == saturday.price
    assert monday.source == "replay:2008-03-17" and monday.price == bundled_close("AAPL", "2008-03-17")
    assert replay.quotes(["AAPL"], NOW - timedelta(days=3))["AAPL"].source == "replay:2008-03-13"


def test_replay_speed_and_the_end_of_the_bundled_data() -> None:
    fast = replay_at(date(2008, 3, 13), speed=7)  # a week a day
    assert fast.today(NOW + timedelta(days=2)) == date(2008, 3, 27)
    last = replay_at(date(2022, 12, 28))  # AAPL's last bundled session still quotes, with its date
    assert last.quotes(["AAPL"], NOW)["AAPL"].source == "replay:2022-12-28"
    assert last.quotes(["AAPL"], NOW)["AAPL"].price == bundled_close("AAPL", "2022-12-28")
    # the day after, and any day later, AAPL has no price: its last close made new each day would
    # pass for a price the market still makes
    assert last.quotes(["AAPL"], NOW + timedelta(days=1)) == {}
    assert replay_at(date(2030, 1, 2)).quotes(["AAPL", "005930.KS"], NOW) == {}


def test_replay_history_is_real_and_stops_at_the_asked_end() -> None:
    bars = replay_at(date(2012, 1, 3)).history("IBM", date(2011, 12, 26), date(2012, 1, 3))
    assert [b.ts.date().isoformat() for b in bars] == [
        "2011-12-27",
        "2011-12-28",
        "2011-12-29",
        "2011-12-30",
        "2012-01-03",
    ]
    assert all(b.open and b.high and b.low and b.volume for b in bars)  # bokeh's IBM is full OHLCV
    assert all(b.low <= b.close <= b.high for b in bars)  # type: ignore[operator]


def test_sim_is_seeded_per_symbol_and_calibrated() -> None:
    days = [date(2020, 1, 1) + timedelta(days=n) for n in range(0, 5 * 365, 7)]
    one, other = SimProvider(DEMO_PRICES), SimProvider(DEMO_PRICES)
    forward = [one.price_on("005930.KS", d) for d in days]
    backward = [other.price_on("005930.KS", d) for d in reversed(days)][::-1]
    assert forward == backward  # the same prices whatever order (or process) asks
    assert all(p % krx_tick(p) == 0 for p in forward)  # KRX tick sizes
    assert min(forward) > 70_000 / 3 and max(forward) < 70_000 * 3  # reverts to its base price
    assert len(set(forward)) > 50  # and moves
    assert one.price_on("000660.KS", days[0]) != one.price_on("005930.KS", days[0])
    unknown = one.price_on("123456.KQ", date(2026, 11, 24))
    assert unknown > 0 and unknown % krx_tick(unknown) == 0
    assert one.price_on("ZZZZ", date(2026, 11, 24)) % 10_000 == 0  # whole cents in micro-dollars
    assert one.quotes(["USDKRW=X"], NOW) == {} and one.fx("USDKRW", NOW) is None  # never a made-up rate


def test_refresh_records_only_moved_prices_with_their_source(db: Database) -> None:
    chain = ProviderChain(
        [replay_at(date(2008, 3, 13)), SimProvider(DEMO_PRICES, skip=bundled_history().has)]
    )
    first = record_quotes(db, chain, ["AAPL", "005930.KS"], NOW)
    assert {q.symbol: q.source for q in first} == {"AAPL": "replay:2008-03-13", "005930.KS": "sim"}
    assert record_quotes(db, chain, ["AAPL", "005930.KS"], NOW + timedelta(hours=1)) == []
    moved = record_quotes(db, chain, ["AAPL"], NOW + timedelta(days=1))
    assert [(q.source, q.price) for q in moved] == [
        ("replay:2008-03-14", bundled_close("AAPL", "2008-03-14"))
    ]
    with db.read() as session:
        assert latest_quotes(session, ["AAPL"])["AAPL"].source == "replay:2008-03-14"


def test_the_replay_clock_survives_a_restart(db: Database, tmp_path: Path) -> None:
    first = load_config(db, NOW)
    assert first.mode == "replay" and first.replay.anchor == NOW
    chain = build_chain(db, tmp_path, NOW + timedelta(days=3))  # "restarted" three days later
    assert chain.name == "replay→sim"
    assert chain.today(NOW + timedelta(days=3)) == first.replay.start + timedelta(days=3)


def test_live_refresher_asks_only_open_markets_once_a_minute(db: Database) -> None:
    live = Live()
    chain = ProviderChain([live])  # type: ignore[list-item]
    Pricer(db, lambda: chain).ensure(["AAPL", "005930.KS"], NOW)  # a child looked at both
    assert live.asked == [["005930.KS", "AAPL"]]  # their first prices, asked at once
    clock = [NOW]
    refresher = Refresher(db, chain, lambda: clock[0], FixedMarketClock({Market.US}))
    refresher.run_once()
    clock[0] += timedelta(seconds=30)
    refresher.run_once()  # inside the minute: Yahoo is not asked again
    clock[0] += timedelta(seconds=31)
    refresher.run_once()
    assert live.asked[1:] == [["AAPL"], ["AAPL"]]  # KRX is closed: never asked


def test_the_servers_refresher_moves_prices_and_status_reports_the_chain(
    app: Litestar, clock: MovableClock
) -> None:
    """What ``yongdon server`` and ``yongdon demo`` run: the refresher starts and stops with the app and
    keeps the symbols the family looked at moving with the replay."""
    # a replayed day turns at 00:00 UTC: start at 01:00 (five minutes later is then 2008-03-14
    # 07:30 in the replay), whatever the hour the suite runs at — after 17:30 it was the 15th
    clock.now = clock().replace(hour=1, minute=0, second=0, microsecond=0) + timedelta(days=1)
    choose_mode(app.state.db, clock(), "replay", date(2008, 3, 13), 366.0)  # a replayed day per ~4 min
    refresher = attach_refresher(app)
    refresher.interval = 0.05
    with TestClient(app) as client:
        kid = Family.create(client, ("지우",)).child("지우").headers
        first = client.get("/api/market/stocks/AAPL/price", headers=kid).json()
        assert (first["source"], first["price"]) == ("replay:2008-03-13", bundled_close("AAPL", "2008-03-13"))
        clock.advance(minutes=5)  # the replay is at Friday 2008-03-14 now
        for _ in range(100):
            quote = client.get("/api/market/stocks/AAPL/price", headers=kid).json()
            if quote["source"] != first["source"]:
                break
            time.sleep(0.05)
        assert (quote["source"], quote["price"]) == ("replay:2008-03-14", bundled_close("AAPL", "2008-03-14"))
        provider = client.get("/api/market/status", headers=kid).json()["provider"]
        assert provider["name"] == "replay→sim" and provider["detail"]["replay_date"] == "2008-03-14"
    assert refresher._thread is None  # stopped with the app


def test_the_time_machine_converts_at_the_replayed_days_exchange_rate(db: Database) -> None:
    today = refresh_fx(db, NOW - timedelta(hours=1))  # the rate of today, stored when the server started
    assert today is not None and today.source == "ecb"
    chain = ProviderChain(
        [replay_at(date(2008, 9, 15)), SimProvider(DEMO_PRICES, skip=bundled_history().has)]
    )
    Refresher(db, chain, lambda: NOW).run_once()
    with db.read() as session:
        fx = latest_quotes(session, ["USDKRW=X"])["USDKRW=X"]
    assert fx.source == "replay:2008-09-15"
    assert fx.price == ecb_usdkrw(date(2008, 9, 15)).rate  # type: ignore[union-attr]
    assert 1_000_000_000 < fx.price < 1_200_000_000  # about 1,110 won: 2008's rate, not today's


def test_live_mode_stores_yahoos_daily_bars_once_a_day_after_the_close(db: Database) -> None:
    """So that with Yahoo down tomorrow, charts still come from the server's own bars (snapshot)."""
    live = Live(bars=3)
    chain = ProviderChain([live])  # type: ignore[list-item]
    Pricer(db, lambda: chain).ensure(["AAPL", "005930.KS"], NOW)
    clock = [NOW]
    refresher = Refresher(db, chain, lambda: clock[0], FixedMarketClock({Market.US}))
    refresher.run_once()
    refresher.run_once()
    assert live.charted == ["005930.KS"]  # KRX is closed, the US is open; once a day
    clock[0] += timedelta(days=1)
    refresher.market_clock = FixedMarketClock(set())
    refresher.run_once()
    assert sorted(live.charted) == ["005930.KS", "005930.KS", "AAPL"]
    tomorrow = NOW.date() + timedelta(days=1)
    stored = SnapshotProvider(db).history("005930.KS", NOW.date() - timedelta(days=5), tomorrow)
    assert [b.source for b in stored] == ["yahoo"] * 4 and stored[-1].ts.date() == tomorrow

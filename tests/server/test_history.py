"""``GET /api/market/stocks/{symbol}/history`` on the real app (SQLite and PostgreSQL).

What a family notices: the chart ends at the date they are "at" — in the time machine a child in
September 2008 never sees October 2008; US companies show real prices, Korean ones a labelled
simulation; bars the server stored from Yahoo win over both; long ranges come as weekly bars.
"""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from server.market.admin import choose_mode
from server.market.history import store_bars
from server.market.providers.base import Bar
from server.market.providers.replay import HISTORY_DIR
from server.market.refresher import follow_stored_market
from tests.conftest import MovableClock
from tests.helpers import Family


@pytest.fixture
def kid(client: TestClient[Any]) -> dict[str, str]:
    return Family.create(client, ("지우",)).child("지우").headers


def history(client: TestClient[Any], headers: dict[str, str], symbol: str, range_: str) -> dict[str, Any]:
    response = client.get(f"/api/market/stocks/{symbol}/history", params={"range": range_}, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def closes(symbol: str) -> dict[str, int]:
    with gzip.open(HISTORY_DIR / f"{symbol}.csv.gz", "rt") as handle:
        return {row["date"]: int(row["close"]) for row in csv.DictReader(handle)}


def time_machine(app: Litestar, clock: MovableClock, start: date) -> None:
    choose_mode(app.state.db, clock(), "replay", start, 1.0)
    # as the running server's next market pass would (no passes run on a test's clock): the family's
    # sign-up has already built the chain, in the stored mode of then
    follow_stored_market(app.state)


def test_the_time_machine_never_shows_the_future(
    app: Litestar, client: TestClient[Any], kid: dict[str, str], clock: MovableClock
) -> None:
    time_machine(app, clock, date(2008, 9, 15))
    chart = history(client, kid, "AAPL", "1Y")
    assert (chart["source"], chart["interval"], chart["currency"]) == ("replay", "1d", "USD")
    assert chart["to"] == "2008-09-15" and "2007-09-1" in chart["from"]
    real = closes("AAPL")
    assert all(bar["c"] == real[bar["t"]] for bar in chart["bars"])
    assert len(chart["bars"]) > 240

    clock.advance(days=1)  # the next real day: one more replayed session (and a fresh sign-in)
    tomorrow = Family.create(client, ("하늘",)).child("하늘").headers
    assert history(client, tomorrow, "AAPL", "1W")["to"] == "2008-09-16"


def test_the_chart_says_when_a_stock_trades_no_more(
    app: Litestar, client: TestClient[Any], kid: dict[str, str], clock: MovableClock
) -> None:
    """Past GOOGL's bundled history (its last bar: 2013-03-01) the page learns that trading ended;
    a company the operator records as delisted says so from the day after its last session."""
    from server.market.actions import record_delisting

    time_machine(app, clock, date(2013, 3, 1))
    assert history(client, kid, "GOOGL", "1W")["ended"] is None  # its last day: it still trades
    clock.advance(days=1)
    later = Family.create(client, ("하늘",)).child("하늘").headers  # a fresh sign-in on the next day
    chart = history(client, later, "GOOGL", "1W")
    assert chart["ended"] == {"kind": "data_end", "last_session": "2013-03-01"}
    assert chart["to"] == "2013-03-01"  # the chart stops at the last bar
    assert history(client, later, "AAPL", "1W")["ended"] is None  # AAPL trades on

    # the operator records that AAPL was delisted two days ago (server days, whatever the hour)
    last_session = clock().date() - timedelta(days=2)
    record_delisting(app.state.db, "AAPL", 150_000_000, last_session, clock())
    assert history(client, later, "AAPL", "1W")["ended"] == {
        "kind": "delisting",
        "last_session": last_session.isoformat(),
    }


def test_korean_stocks_are_a_labelled_simulation(
    client: TestClient[Any], kid: dict[str, str], app: Litestar, clock: MovableClock
) -> None:
    time_machine(app, clock, date(2012, 1, 3))
    chart = history(client, kid, "005930", "1M")  # a KRX code finds 005930.KS
    assert (chart["symbol"], chart["source"], chart["currency"]) == ("005930.KS", "sim", "KRW")
    days = [date.fromisoformat(bar["t"]) for bar in chart["bars"]]
    assert days[-1] == date(2012, 1, 3) and all(d.weekday() < 5 for d in days)
    assert all(bar["o"] is None and bar["c"] > 0 for bar in chart["bars"])  # only what the walk knows


def test_long_ranges_are_weekly(
    client: TestClient[Any], kid: dict[str, str], app: Litestar, clock: MovableClock
) -> None:
    time_machine(app, clock, date(2012, 1, 3))
    five = history(client, kid, "IBM", "5Y")
    assert five["interval"] == "1wk" and 255 <= len(five["bars"]) <= 263
    weekdays = {date.fromisoformat(bar["t"]).isocalendar()[:2] for bar in five["bars"]}
    assert len(weekdays) == len(five["bars"])  # one bar per ISO week
    everything = history(client, kid, "AAPL", "max")
    assert everything["from"].startswith("1990-01") and everything["to"] == "2012-01-03"


def test_bars_the_server_stored_win(
    app: Litestar, client: TestClient[Any], kid: dict[str, str], clock: MovableClock
) -> None:
    time_machine(app, clock, date(2012, 1, 3))
    days = [date(2011, 11, 28) + timedelta(days=n) for n in range(40)]
    stored = [
        Bar(ts=datetime(d.year, d.month, d.day, tzinfo=UTC), close=1_000_000 + n, source="yahoo")
        for n, d in enumerate(days)
        if d.weekday() < 5
    ]
    assert store_bars(app.state.db, "005930.KS", "1d", stored) == len(stored)
    chart = history(client, kid, "005930.KS", "1M")
    assert chart["source"] == "yahoo" and chart["to"] == "2012-01-03"
    assert chart["bars"][-1]["c"] == stored[[b.ts.date() for b in stored].index(date(2012, 1, 3))].close
    # a range the stored bars do not cover comes from the providers
    assert history(client, kid, "005930.KS", "1Y")["source"] == "sim"


def test_storing_bars_again_replaces_them_and_partitions_by_year(app: Litestar, backend: str) -> None:
    bars = [Bar(ts=datetime(y, 12, 30, tzinfo=UTC), close=y, source="replay") for y in (2010, 2011, 2012)]
    store_bars(app.state.db, "AAPL", "1d", bars)
    store_bars(app.state.db, "AAPL", "1d", [Bar(ts=bars[0].ts, close=7, source="yahoo")])
    with app.state.db.read() as session:
        rows = session.execute(sa.text("SELECT close, source FROM market_bars ORDER BY ts")).all()
        assert [tuple(r) for r in rows] == [(7, "yahoo"), (2011, "replay"), (2012, "replay")]
        if backend == "postgres":
            partitions = session.scalars(
                sa.text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'market_bars'::regclass ORDER BY 1"
                )
            ).all()
            # yearly partitions outlive a test's emptied tables, so others' years may be there too
            assert {"market_bars_y2010", "market_bars_y2011", "market_bars_y2012"} <= set(partitions)


def test_unknown_symbols_bad_ranges_and_strangers(client: TestClient[Any], kid: dict[str, str]) -> None:
    missing = client.get("/api/market/stocks/NOPE/history", headers=kid)
    assert missing.status_code == 404 and missing.json()["code"] == "SYMBOL_UNKNOWN"
    bad = client.get("/api/market/stocks/AAPL/history", params={"range": "2D"}, headers=kid)
    assert bad.status_code in (400, 422) and bad.json()["code"] == "INVALID_ARGS"
    assert client.get("/api/market/stocks/AAPL/history").status_code == 401
